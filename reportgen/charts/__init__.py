"""Charts: the kinds (`kinds/`, one module each, behind `kind.ChartKind`), their registry,
and the draw stage (`draw.py`, matplotlib, imported only when a chart is drawn)."""
