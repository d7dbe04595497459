"""Front ends: thin adapters between a messaging app and the services."""
