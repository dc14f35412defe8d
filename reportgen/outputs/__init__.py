"""The outputs: one subpackage per format (pdf, docx), each behind `backend.Backend`,
listed in `registry.py`."""
