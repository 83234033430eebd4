"""The I/O clients: the arXiv API (:mod:`jobs.clients.arxiv`) and the LLM endpoint
(:mod:`jobs.clients.llm`)."""
