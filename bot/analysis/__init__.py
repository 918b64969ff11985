"""Article understanding: pure functions on strings run in worker processes; service.py queues and stores."""
