-- Nothing changes on SQLite (FTS5 has no pending list). PostgreSQL's migration of this number turns off the
-- pending list of its full-text GIN indexes (the two engines keep the same numbers).
SELECT 1;
