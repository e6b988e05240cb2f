"""Graph handlers, one module per resource; each exports its ROUTES."""
