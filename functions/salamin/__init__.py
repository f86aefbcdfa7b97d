"""Salamin backend: expert marketplace, interview analysis and learning paths."""
