-- Events for /timeline. Reports of one event from several articles are merged as they are stored (never
-- at query time), into clusters that keep the finest dating and every source.

-- One row per event; `position` encodes the timeline order (storage/events.py timeline_position) and is
-- the full-text rowid, so a page of any topic is a range scan in that order.
CREATE TABLE event_clusters (
    id            INTEGER PRIMARY KEY,
    position      INTEGER NOT NULL UNIQUE,
    begin_on      TEXT NOT NULL,                  -- ISO date, inclusive
    end_on        TEXT NOT NULL,
    granularity   TEXT NOT NULL,                  -- bot.analysis.timeexpr.GRANULARITIES
    text          TEXT NOT NULL,                  -- the clause of the best-dated report
    headline      INTEGER NOT NULL,               -- that report is an article's headline
    participants  TEXT NOT NULL,                  -- entity ids of every report, space-separated
    sources       INTEGER NOT NULL,               -- distinct articles
    terms         TEXT NOT NULL,                  -- stems of every report's clause (full-text column)
    context       TEXT NOT NULL                   -- stems of the reporting articles' headlines (full-text column)
);

CREATE TABLE event_reports (
    id          INTEGER PRIMARY KEY,
    cluster_id  INTEGER NOT NULL REFERENCES event_clusters (id) ON DELETE CASCADE,
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    begin_on    TEXT NOT NULL,
    end_on      TEXT NOT NULL,
    granularity TEXT NOT NULL,
    text        TEXT NOT NULL,
    headline    INTEGER NOT NULL
);
CREATE INDEX event_reports_by_cluster ON event_reports (cluster_id, article_id);
CREATE INDEX event_reports_by_article ON event_reports (article_id);

-- Where a new report looks for the event it may belong to: clusters sharing a content stem whose interval
-- begins shortly before it (`coarse` separates intervals longer than a month, which are looked up further back).
CREATE TABLE event_terms (
    term        TEXT NOT NULL,
    coarse      INTEGER NOT NULL,
    begin_day   INTEGER NOT NULL,                 -- date ordinals of the cluster's interval
    end_day     INTEGER NOT NULL,
    cluster_id  INTEGER NOT NULL REFERENCES event_clusters (id) ON DELETE CASCADE,
    PRIMARY KEY (term, coarse, begin_day, cluster_id)
) WITHOUT ROWID;
CREATE INDEX event_terms_by_cluster ON event_terms (cluster_id);

-- How many events each stem is indexed for: a new report looks its event up by its rarest stems.
CREATE TABLE event_term_counts (
    term    TEXT PRIMARY KEY,
    events  INTEGER NOT NULL
) WITHOUT ROWID;

-- Who takes part, in timeline order: /timeline <person> pages through one index range.
CREATE TABLE event_entities (
    entity_id   INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    cluster_id  INTEGER NOT NULL REFERENCES event_clusters (id) ON DELETE CASCADE,
    PRIMARY KEY (entity_id, position)
) WITHOUT ROWID;
CREATE INDEX event_entities_by_cluster ON event_entities (cluster_id);

-- An entity merged into another (storage/entities.py moves its mentions first) takes its events along;
-- links the target already has go with the source's row.
CREATE TRIGGER event_entities_follow_merge AFTER UPDATE OF entity_id ON mentions
WHEN OLD.entity_id != NEW.entity_id
BEGIN
    UPDATE OR IGNORE event_entities SET entity_id = NEW.entity_id WHERE entity_id = OLD.entity_id;
END;

CREATE VIRTUAL TABLE events_fts USING fts5 (
    terms, context,
    content = 'event_clusters', content_rowid = 'position',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Word topics of /timeline pages, so a button carries a number, not the query (callback data is 64 bytes).
CREATE TABLE timeline_topics (
    id     INTEGER PRIMARY KEY,
    query  TEXT NOT NULL UNIQUE
);
