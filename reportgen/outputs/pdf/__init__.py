"""The PDF: the model as HTML through a Jinja template, typeset by WeasyPrint."""
