-- Telegram channels whose posts are stored as they appear (/addchannel).
CREATE TABLE channel_sources (
    chat_id     BIGINT PRIMARY KEY,
    username    TEXT COLLATE "C",
    title       TEXT COLLATE "C" NOT NULL,
    added_by    BIGINT,
    added_at    TEXT COLLATE "C" NOT NULL,
    posts       BIGINT NOT NULL DEFAULT 0
);
