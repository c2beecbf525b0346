"""Writes of the archive, one module per domain: ingestion (all mail in), lists, replies,
uploads. Views, admin, commands and tasks call these; nothing else writes archive rows."""
