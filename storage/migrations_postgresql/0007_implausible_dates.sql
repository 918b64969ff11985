-- Publication dates outside 1900-01-01 … ingest time + 2 days get the ingest time (see the SQLite migration
-- of the same number). A new PostgreSQL database has no such rows; a copied one was fixed on SQLite first.
CREATE TEMP TABLE implausible_dates ON COMMIT DROP AS
    SELECT id FROM articles
    WHERE published_at < '1900-01-01'
       OR published_at > to_char(
           (ingested_at::timestamptz + interval '2 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'
       );

UPDATE articles SET published_at = ingested_at WHERE id IN (SELECT id FROM implausible_dates);
UPDATE article_entities SET published_at = a.published_at FROM articles a
    WHERE a.id = article_entities.article_id AND a.id IN (SELECT id FROM implausible_dates);
UPDATE roles SET published_at = a.published_at FROM articles a
    WHERE a.id = roles.article_id AND a.id IN (SELECT id FROM implausible_dates);
UPDATE quotes SET published_at = a.published_at FROM articles a
    WHERE a.id = quotes.article_id AND a.id IN (SELECT id FROM implausible_dates);
