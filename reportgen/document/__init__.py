"""Read: the document model, Pandoc's reading of the sections into it, and resolving."""
