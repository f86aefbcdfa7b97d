"""Test helpers shared across the suite: emulator clients, ID tokens, callables, fixtures data."""
