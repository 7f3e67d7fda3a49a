"""x2ct.inference."""
