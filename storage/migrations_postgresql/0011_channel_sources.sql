-- Telegram channels whose posts are stored as they appear (/addchannel).
CREATE TABLE channel_sources (
    chat_id     BIGINT PRIMARY KEY,
    username    TEXT,
    title       TEXT NOT NULL,
    added_by    BIGINT,
    added_at    TEXT NOT NULL,
    posts       BIGINT NOT NULL DEFAULT 0
);
