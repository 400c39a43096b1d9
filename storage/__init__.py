"""tanfwatch: storage stage."""
