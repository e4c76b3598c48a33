"""Screenplay text: Fountain in and out, and the prose a small model writes."""
