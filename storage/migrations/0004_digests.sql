-- Digests: stories that articles join at ingest, subscriptions, and what each chat was sent.

-- The story of each article, and the centroid a new article is compared with (bot/digest/stories.py).
CREATE TABLE stories (
    id               INTEGER PRIMARY KEY,
    lang             TEXT NOT NULL,
    centroid         TEXT NOT NULL,         -- JSON, centroid_to_json
    size             INTEGER NOT NULL,
    first_published  TEXT NOT NULL,         -- ISO 8601, UTC
    last_published   TEXT NOT NULL
);
CREATE INDEX stories_open ON stories (lang, last_published);

CREATE TABLE article_stories (
    article_id  INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    story_id    INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    features    TEXT NOT NULL               -- JSON, features_to_json
);
CREATE INDEX article_stories_by_story ON article_stories (story_id);
CREATE INDEX articles_by_ingested ON articles (ingested_at);

-- Document frequencies of stems over stored articles: the IDF of story vectors.
CREATE TABLE stem_frequencies (
    stem       TEXT PRIMARY KEY,
    documents  INTEGER NOT NULL
) WITHOUT ROWID;

-- One subscription per chat; a forum's digest goes to the topic where /subscribe was sent.
CREATE TABLE subscriptions (
    id                  INTEGER PRIMARY KEY,
    chat_id             INTEGER NOT NULL UNIQUE,
    thread_id           INTEGER,                    -- forum topic; NULL: the chat itself
    chat_type           TEXT NOT NULL,              -- private, group, supergroup
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
CREATE INDEX subscriptions_by_slot ON subscriptions (send_at, timezone) WHERE active = 1 AND paused = 0;

-- One row per (subscription, period), written with the composed messages before the first is sent,
-- and advanced after every message Telegram accepts: a restarted bot sends only what is left.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    period           TEXT NOT NULL,         -- the scheduled time (UTC ISO), or 'now:<time>' for /digest
    since            TEXT,                  -- articles ingested after `since` and up to `until`
    until            TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'empty', 'undeliverable', 'failed')),
    parts            TEXT NOT NULL DEFAULT '[]',  -- JSON list of the message texts (HTML)
    parts_sent       INTEGER NOT NULL DEFAULT 0,
    message_ids      TEXT NOT NULL DEFAULT '[]',
    error            TEXT,
    created_at       TEXT NOT NULL,
    finished_at      TEXT,
    UNIQUE (subscription_id, period)
);
CREATE INDEX deliveries_pending ON deliveries (status) WHERE status = 'pending';

-- Summary sentences a chat was sent about a story: the next summary of the story favours the rest.
CREATE TABLE sent_sentences (
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    story_id         INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    sentence         TEXT NOT NULL,
    sent_at          TEXT NOT NULL,
    PRIMARY KEY (subscription_id, story_id, sentence)
) WITHOUT ROWID;
