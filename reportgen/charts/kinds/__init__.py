"""One module per chart kind, each defining `KIND` (see `reportgen/charts/kind.py`)."""
