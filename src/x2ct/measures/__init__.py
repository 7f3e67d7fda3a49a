"""x2ct.measures."""
