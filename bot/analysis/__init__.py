"""Article understanding: pure functions on strings, safe to run in a worker process."""
