-- Publication dates outside 1900-01-01 … ingest time + 2 days were stored as given before ingestion checked
-- them ("0001-01-01", "9999-12-31"), and overflowed when shown in a time zone. Such an article gets its ingest
-- time, as it would be stored today, and so do the copies of its date (/who's tables, entities, its story).
-- Dates are ISO 8601 UTC strings of one shape, so comparing strings compares moments.
CREATE TEMP TABLE implausible_dates AS
    SELECT id FROM articles
    WHERE published_at < '1900-01-01'
       OR published_at > strftime('%Y-%m-%dT%H:%M:%S+00:00', ingested_at, '+2 days');

UPDATE articles SET published_at = ingested_at WHERE id IN (SELECT id FROM implausible_dates);

UPDATE article_entities SET published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_id)
    WHERE article_id IN (SELECT id FROM implausible_dates);
UPDATE roles SET published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_id)
    WHERE article_id IN (SELECT id FROM implausible_dates);
UPDATE quotes SET published_at = (SELECT a.published_at FROM articles a WHERE a.id = article_id)
    WHERE article_id IN (SELECT id FROM implausible_dates);
UPDATE entities SET
    first_seen = (SELECT min(ae.published_at) FROM article_entities ae WHERE ae.entity_id = entities.id),
    last_seen = (SELECT max(ae.published_at) FROM article_entities ae WHERE ae.entity_id = entities.id)
    WHERE id IN (
        SELECT entity_id FROM article_entities WHERE article_id IN (SELECT id FROM implausible_dates)
    );
UPDATE stories SET
    first_published = (
        SELECT min(a.published_at) FROM article_stories s JOIN articles a ON a.id = s.article_id
        WHERE s.story_id = stories.id
    ),
    last_published = (
        SELECT max(a.published_at) FROM article_stories s JOIN articles a ON a.id = s.article_id
        WHERE s.story_id = stories.id
    )
    WHERE id IN (SELECT story_id FROM article_stories WHERE article_id IN (SELECT id FROM implausible_dates));

DROP TABLE implausible_dates;
