"""Distribution: routing invoices to channels and delivering them once (DESIGN.md)."""
