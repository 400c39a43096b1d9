"""Reports on the archive: coverage, status, health and the `check` explanation."""
