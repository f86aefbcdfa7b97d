"""Adapters to external services (Gemini, Stripe, Storage), each failing with typed errors."""
