"""The event log: one Protocol, two backends (SQLite embedded, Redis streams)."""
