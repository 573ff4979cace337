"""Dunning: decides who gets a payment reminder today, writes it and sends it."""

__version__ = "0.1.0"
