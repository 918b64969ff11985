"""Stories, novelty and digest composition: pure, testable without Telegram."""
