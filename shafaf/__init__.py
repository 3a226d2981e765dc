"""Shafaf (شفاف): a transparency open-data portal for government agencies."""

__version__ = "0.1.0"
