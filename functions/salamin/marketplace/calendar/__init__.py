"""The expert calendar: slot rules (availability) and how time is occupied (busy, locks, caps)."""
