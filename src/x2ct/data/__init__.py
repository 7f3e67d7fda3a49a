"""x2ct.data."""
