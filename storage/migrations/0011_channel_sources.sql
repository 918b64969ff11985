-- Telegram channels whose posts are stored as they appear (/addchannel): the bot is an administrator there.
CREATE TABLE channel_sources (
    chat_id     INTEGER PRIMARY KEY,              -- the channel's id (-100…)
    username    TEXT,                             -- without @; NULL for a private channel
    title       TEXT NOT NULL,
    added_by    INTEGER,
    added_at    TEXT NOT NULL,                    -- ISO 8601 UTC
    posts       INTEGER NOT NULL DEFAULT 0        -- posts stored from it
);
