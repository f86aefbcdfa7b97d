"""The callable boundary: request parsing, auth, error mapping. Only this package and main.py
import `firebase_functions`."""
