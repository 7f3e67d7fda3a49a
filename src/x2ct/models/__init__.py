"""x2ct.models."""
