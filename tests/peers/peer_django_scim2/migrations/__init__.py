"""The project's migrations (its user model is swappable, so it needs them)."""
