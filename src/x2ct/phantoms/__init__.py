"""x2ct.phantoms."""
