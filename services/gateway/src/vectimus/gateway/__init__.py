"""Vectimus gateway service."""
