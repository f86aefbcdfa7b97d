"""Becoming an expert: application, verification documents, admin review, activation."""
