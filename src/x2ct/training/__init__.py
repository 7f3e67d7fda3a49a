"""x2ct.training."""
