"""Adaptive learning paths (spec §3.1): competencies, mastery from evidence, a versioned
activity catalog, a deterministic path builder, and exactly-once progress events."""
