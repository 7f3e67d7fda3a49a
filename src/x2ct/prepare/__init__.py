"""x2ct.prepare."""
