"""The registry (metadata/agencies.yml): its models, the line-numbered YAML loader, and schedule rules."""
