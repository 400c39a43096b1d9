"""tanfwatch: watchers stage."""
