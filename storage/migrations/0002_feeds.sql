-- Feeds the bot polls, and the items it has already taken from each, so a reordered feed adds nothing twice.
CREATE TABLE feeds (
    id                    INTEGER PRIMARY KEY,
    url                   TEXT NOT NULL UNIQUE,
    title                 TEXT NOT NULL DEFAULT '',
    added_by              INTEGER,                  -- Telegram user id; NULL from the shell or OPML import
    added_at              TEXT NOT NULL,            -- ISO 8601, UTC
    interval_minutes      INTEGER NOT NULL DEFAULT 15 CHECK (interval_minutes >= 1),
    etag                  TEXT,                     -- validators for the next conditional GET
    last_modified         TEXT,
    next_poll_at          TEXT NOT NULL,            -- a new feed is due at once
    last_polled_at        TEXT,
    last_success_at       TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    last_error            TEXT,
    paused_at             TEXT,                     -- set after too many failures in a row; NULL: active
    items_total           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX feeds_due ON feeds (next_poll_at) WHERE paused_at IS NULL;

CREATE TABLE feed_items_seen (
    feed_id  INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    guid     TEXT NOT NULL,
    url      TEXT,
    seen_at  TEXT NOT NULL,
    PRIMARY KEY (feed_id, guid)
) WITHOUT ROWID;
CREATE INDEX feed_items_seen_by_url ON feed_items_seen (feed_id, url) WHERE url IS NOT NULL;
