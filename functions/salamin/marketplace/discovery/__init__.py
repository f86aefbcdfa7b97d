"""Finding experts: server-maintained search fields, the relevance score, searchExperts."""
