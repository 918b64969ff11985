-- Articles whose analysis failed, and why; an article is analysed or failed, never both.
CREATE TABLE analysis_failures (
    article_id  BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    reason      TEXT COLLATE "C" NOT NULL,
    transient   BIGINT NOT NULL,
    failed_at   TEXT COLLATE "C" NOT NULL
);
