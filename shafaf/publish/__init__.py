"""The ONLY writer of shafaf.db: versions, indicators, search, duplicates and the downloads."""
