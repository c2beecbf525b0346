"""Writes of the downloads section. Each state change is one function, atomic and typed."""
