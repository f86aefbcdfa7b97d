"""What an active expert (and an admin) manages after activation: profile, status, earnings,
reviews, waitlist."""
