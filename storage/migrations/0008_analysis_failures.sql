-- Articles whose analysis failed, and why (/stats counts them). A transient fault (a full disk, a locked
-- database) is retried while the bot runs; a failure inherent to the article waits for a /reindex.
-- An article is analysed (a row in `analyses`) or failed (a row here), never both.
CREATE TABLE analysis_failures (
    article_id  INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    transient   INTEGER NOT NULL,                 -- 1: the fault was the storage's, not the article's
    failed_at   TEXT NOT NULL                     -- ISO 8601 UTC
);
