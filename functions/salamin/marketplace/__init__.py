"""Expert marketplace: onboarding, discovery, the calendar and booking (one subpackage each)."""
