"""What makes the portal harvestable: DCAT catalogs, data.json, Atom feeds, sitemap and /api."""
