"""The scheduler loop, harvest freshness and the webhook."""
