-- Nothing changes on SQLite: its events_fts is an FTS5 table. PostgreSQL's migration of this number gives
-- event_clusters a stored tsvector column for /timeline by words (the two engines keep the same numbers).
SELECT 1;
