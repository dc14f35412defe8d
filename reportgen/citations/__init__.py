"""Cite: citations formatted by Pandoc's citeproc in a CSL style."""
