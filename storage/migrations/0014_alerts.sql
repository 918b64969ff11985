-- Instant alerts (/alert): a short message as soon as a new story matching a chat's topics appears.
-- One setting per chat, or per forum topic of a chat.
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    chat_id       INTEGER NOT NULL,
    thread_id     INTEGER NOT NULL DEFAULT 0,       -- forum topic; 0: the chat itself
    chat_type     TEXT NOT NULL,
    language      TEXT NOT NULL,
    timezone      TEXT NOT NULL,                    -- quiet hours are in this zone
    topics        TEXT NOT NULL,                    -- as written: "Лукашенко, переговоры, -спорт"
    quiet_from    TEXT,                             -- HH:MM local; NULL: no quiet hours
    quiet_to      TEXT,
    per_hour      INTEGER NOT NULL DEFAULT 10,      -- alerts beyond it fold into the next digest
    active        INTEGER NOT NULL DEFAULT 1,
    created_by    INTEGER,
    created_at    TEXT NOT NULL,
    since_story   INTEGER NOT NULL DEFAULT 0        -- stories up to this id existed before: never alerted
);
CREATE UNIQUE INDEX alerts_by_chat ON alerts (chat_id, thread_id);

-- What each alert setting was sent about each story, claimed before sending: one row per (alert,
-- story, seq) is the exactly-once guard, whichever instance claims it. seq 0 is the story's alert,
-- 1, 2… its follow-ups (at most one an hour, only with new facts).
CREATE TABLE alert_sends (
    alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    story_id    INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'folded', 'failed')),
    reason      TEXT,                               -- folded: quiet or limit; failed: Telegram's answer
    text        TEXT NOT NULL DEFAULT '',           -- the message (HTML), or the facts it carried
    facts       TEXT NOT NULL DEFAULT '',           -- the plain sentences it told, for the novelty check
    reports     INTEGER NOT NULL,                   -- the story's reports when it was decided
    message_id  INTEGER,
    created_at  TEXT NOT NULL,                      -- ISO 8601 UTC
    PRIMARY KEY (alert_id, story_id, seq)
);
CREATE INDEX alert_sends_pending ON alert_sends (status) WHERE status = 'pending';
CREATE INDEX alert_sends_recent ON alert_sends (alert_id, created_at);

-- The newest story the alert job has looked at.
CREATE TABLE alert_cursor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    story_id  INTEGER NOT NULL
);
