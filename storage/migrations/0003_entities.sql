-- People, organisations and places across articles, with what /who shows precomputed at ingest so a card
-- never scans the archive: counts and dates on the entity, co-mentions in entity_pairs.
CREATE TABLE entities (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,           -- "PER:владимир путин", "ORG:евросоюз"
    kind          TEXT NOT NULL CHECK (kind IN ('PER', 'ORG', 'LOC')),
    name          TEXT NOT NULL,                  -- the canonical display name
    surname_stem  TEXT,                           -- people: finds the same person named another way
    mentions      INTEGER NOT NULL DEFAULT 0,
    articles      INTEGER NOT NULL DEFAULT 0,
    first_seen    TEXT,                           -- publication dates, ISO 8601 UTC
    last_seen     TEXT
);
CREATE INDEX entities_by_surname ON entities (surname_stem) WHERE surname_stem IS NOT NULL;

-- Stems of every word an entity was named with ("лавров", "мид", "ес", "евросоюз"): /who looks names up here.
CREATE TABLE entity_terms (
    term       TEXT NOT NULL,
    entity_id  INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    PRIMARY KEY (term, entity_id)
) WITHOUT ROWID;
CREATE INDEX entity_terms_by_entity ON entity_terms (entity_id);

CREATE TABLE article_entities (
    article_id    INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_id     INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    published_at  TEXT NOT NULL,
    mentions      INTEGER NOT NULL,
    PRIMARY KEY (article_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX article_entities_by_entity ON article_entities (entity_id, published_at DESC);
CREATE INDEX article_entities_by_date ON article_entities (published_at);

CREATE TABLE mentions (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_id   INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    sentence    INTEGER NOT NULL,
    start       INTEGER NOT NULL,                 -- offsets into title + "\n\n" + text
    stop        INTEGER NOT NULL,
    text        TEXT NOT NULL
);
CREATE INDEX mentions_by_article ON mentions (article_id);
CREATE INDEX mentions_by_entity ON mentions (entity_id);

CREATE TABLE roles (
    id            INTEGER PRIMARY KEY,
    entity_id     INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    article_id    INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    sentence      INTEGER NOT NULL
);
CREATE INDEX roles_by_entity ON roles (entity_id, published_at DESC);
CREATE INDEX roles_by_article ON roles (article_id);

CREATE TABLE quotes (
    id            INTEGER PRIMARY KEY,
    entity_id     INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    article_id    INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('quote', 'statement')),
    text          TEXT NOT NULL,
    published_at  TEXT NOT NULL
);
CREATE INDEX quotes_by_entity ON quotes (entity_id, published_at DESC);
CREATE INDEX quotes_by_article ON quotes (article_id);

-- How many articles mention both; kept for people as `other_id`, so a card lists who appears with anyone.
CREATE TABLE entity_pairs (
    entity_id  INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    other_id   INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    articles   INTEGER NOT NULL,
    PRIMARY KEY (entity_id, other_id)
) WITHOUT ROWID;
CREATE INDEX entity_pairs_top ON entity_pairs (entity_id, articles DESC);
-- A merge or a deleted entity removes the pairs naming it on either side, without scanning them all.
CREATE INDEX entity_pairs_by_other ON entity_pairs (other_id);

-- Which articles have been analysed, by which version of the analysis.
CREATE TABLE analyses (
    article_id   INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    analyzed_at  TEXT NOT NULL
);
