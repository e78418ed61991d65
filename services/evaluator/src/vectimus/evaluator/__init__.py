"""Vectimus evaluator service."""
