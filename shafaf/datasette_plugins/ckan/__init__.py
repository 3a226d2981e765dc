"""The CKAN-compatible Action API."""
