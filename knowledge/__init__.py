"""Content as data (YAML, Chinese) and, from the knowledge issue on, retrieval over it."""
