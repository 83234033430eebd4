"""The pipeline steps, in data-flow order: crawl → extract → summarize → deliver (see
docs/architecture.md). Each is safe to re-run and to kill; SQLite status columns are
the only hand-off between them."""
