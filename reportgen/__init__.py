"""reportgen: sourced policy briefs in PDF and DOCX from one folder of content."""

__version__ = "0.1.0"
