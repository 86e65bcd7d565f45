"""Renderers: they read a threat model or assessment and compute nothing new."""
