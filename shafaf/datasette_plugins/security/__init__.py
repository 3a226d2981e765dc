"""What keeps the portal up and safe: headers and redirects, bad parameters, SQL limits and pools, errors."""
