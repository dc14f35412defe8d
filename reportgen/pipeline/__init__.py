"""The build: plan, manifest, parallel stages, lock, history; and rebuilds (watch, schedule)."""
