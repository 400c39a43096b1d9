"""The archive viewer: Datasette over the archive, with the private tables kept private."""
