"""A Telegram news-digest bot that understands the articles it stores."""
