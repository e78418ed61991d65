"""Vectimus core: the logic every Vectimus process shares."""
