"""Booking an expert: holds, payments, webhooks, the session lifecycle, feedback, money."""
