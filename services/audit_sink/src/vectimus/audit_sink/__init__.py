"""Vectimus audit-sink service."""
