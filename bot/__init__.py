"""tanfwatch: bot stage."""
