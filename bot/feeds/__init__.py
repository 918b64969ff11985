"""Feeds: RSS/Atom/JSON Feed parsing, OPML import and export, and polling new items into articles."""
