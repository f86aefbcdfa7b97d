"""Interview analysis: measured media metrics, model judgements and transparent fallbacks."""
