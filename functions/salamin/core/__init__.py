"""Cross-cutting pieces every domain package uses: errors, clock, collection names."""
