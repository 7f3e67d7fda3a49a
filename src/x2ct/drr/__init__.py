"""x2ct.drr."""
