-- /timeline by words searched the GIN index of an expression: PostgreSQL keeps no statistics for it, so
-- the planner guessed every query matched often and walked event_clusters in position order, computing
-- to_tsvector for each row until ten matched: a rare or unknown word read the whole table (300-450 ms p95
-- at 3,000 articles in bench.latency_pg, against 3-5 ms on SQLite). A stored column has statistics
-- (its most common stems), so a rare word goes through the index and a common one stops early on a
-- cheap filter. PostgreSQL only: SQLite's events_fts is an FTS5 table.
DROP INDEX event_clusters_search;
ALTER TABLE event_clusters ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms || ' ' || context)) STORED;
CREATE INDEX event_clusters_search ON event_clusters USING GIN (search);
ANALYZE event_clusters;
