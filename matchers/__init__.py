"""tanfwatch: matchers stage."""
