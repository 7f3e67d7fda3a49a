"""x2ct.metrics."""
