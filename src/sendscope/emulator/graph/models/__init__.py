"""Graph rules and JSON shapes, one module per resource; no HTTP here."""
