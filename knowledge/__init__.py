"""Content as data (YAML, Chinese) and retrieval over the knowledge base (jieba, BM25,
rapidfuzz)."""
