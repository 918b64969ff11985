-- Articles as ingested, deduplicated by URL and by a hash of their normalised text.
CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    url           TEXT UNIQUE,
    title         TEXT NOT NULL,
    text          TEXT NOT NULL,
    published_at  TEXT NOT NULL,            -- ISO 8601, UTC
    source        TEXT,
    lang          TEXT NOT NULL,
    content_hash  TEXT NOT NULL UNIQUE,
    ingested_at   TEXT NOT NULL,            -- ISO 8601, UTC
    ingested_by   INTEGER                   -- Telegram user id; NULL from the shell or a feed
);
CREATE INDEX articles_by_published ON articles (published_at DESC, id DESC);

-- Stems, not words: a query's stems then match every Russian word form (see bot/analysis/stems.py).
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
