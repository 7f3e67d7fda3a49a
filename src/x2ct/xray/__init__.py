"""x2ct.xray."""
