-- A source's latest reports, read when a digest's catalog is built to tell the source's boilerplate
-- (sentences it prints in reports of different stories: bot/digest/boilerplate.py).
CREATE INDEX articles_by_source ON articles (source, ingested_at DESC);
