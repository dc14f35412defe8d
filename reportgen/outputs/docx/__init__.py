"""The DOCX: the model written with python-docx, with real Word footnotes."""
