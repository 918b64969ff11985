"""Instant alerts: a short message as soon as a new story matching a chat's topics appears."""
