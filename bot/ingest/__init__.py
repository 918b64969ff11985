"""Turning files, messages and pages into article drafts: pure code, run in a worker process."""
