"""Ingest and links: files, messages and pages become stored articles (drafts are pure, run in workers)."""
