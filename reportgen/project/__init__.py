"""Load: a project's config, metadata, bibliography and chart data, checked."""
