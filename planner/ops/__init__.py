"""Staff pages about the running service."""
