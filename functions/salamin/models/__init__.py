"""Pydantic document models shared by the callables and the domain code."""
