"""Digests: stories, novelty, composition (pure), scheduling and the service that delivers them."""
