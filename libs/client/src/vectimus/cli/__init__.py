"""The `vectimus` command."""
