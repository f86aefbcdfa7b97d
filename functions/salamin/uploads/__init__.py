"""Direct-to-Storage uploads a client starts through a callable (resumable upload sessions)."""
