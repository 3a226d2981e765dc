"""The transparency pages: home, agency, service, lists, and what they share (queries, charts, figures, the page cache)."""
