"""What every stage stands on: one exception tree, the enums, the data folder, durable writes, and the guards every stage shares (URLs, text, local files, JSON, a full disk, public messages)."""
