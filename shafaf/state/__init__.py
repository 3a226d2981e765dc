"""var/state.db: runs and their leases, agencies' tokens (hashed) and requests."""
