"""Vectimus receipt-signer service."""
