-- sqlite: foreign keys off
-- Several subscriptions per chat (#15): one per forum topic, and any chat may hold several with their own
-- topics and times. SQLite cannot drop the UNIQUE on chat_id: the table is rebuilt (foreign keys off, so
-- deliveries and sent sentences keep pointing at the same ids; Database.migrate checks them before the commit).
CREATE TABLE subscriptions_rebuilt (
    id                  INTEGER PRIMARY KEY,
    chat_id             INTEGER NOT NULL,
    thread_id           INTEGER,                    -- forum topic; NULL: the chat itself
    chat_type           TEXT NOT NULL,              -- private, group, supergroup, channel
    language            TEXT NOT NULL,              -- of the digest's own words
    send_at             TEXT NOT NULL,              -- HH:MM, local time of `timezone`
    timezone            TEXT NOT NULL,              -- IANA name
    topics              TEXT NOT NULL DEFAULT '',   -- as the user wrote them: "Лукашенко, переговоры, -спорт"
    paused              INTEGER NOT NULL DEFAULT 0,
    active              INTEGER NOT NULL DEFAULT 1, -- 0: unsubscribed, or the chat is gone (see ended_reason)
    ended_reason        TEXT,
    created_by          INTEGER,
    created_at          TEXT NOT NULL,
    schedule_changed_at TEXT NOT NULL,              -- a run scheduled before this does not include the chat
    last_digest_until   TEXT                        -- articles ingested up to here were in a digest
);
INSERT INTO subscriptions_rebuilt SELECT id, chat_id, thread_id, chat_type, language, send_at, timezone, topics,
    paused, active, ended_reason, created_by, created_at, schedule_changed_at, last_digest_until FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_rebuilt RENAME TO subscriptions;
CREATE INDEX subscriptions_by_slot ON subscriptions (send_at, timezone) WHERE active = 1 AND paused = 0;
CREATE INDEX subscriptions_by_chat ON subscriptions (chat_id, thread_id);
