"""Expert marketplace: onboarding, discovery, booking, payments, session lifecycle."""
