"""Validation: readers, mapping, the compiled schema, the report and its messages."""
