"""Things several topics share: image I/O, colour, metrics, data sources, seeds, the client edge and display helpers."""
