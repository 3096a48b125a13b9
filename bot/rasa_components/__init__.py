"""Rasa graph components of our own, referenced by module path in config.yml."""
