-- The full-text GIN indexes (articles' for /search and inline mode, event_clusters' for /timeline by words)
-- no longer keep a pending list. With GIN's default fastupdate, new rows' entries wait in a list of up to
-- gin_pending_list_limit (4 MB) that every search reads through, and that the planner prices in: on a
-- 30,000-article archive just generated (486 pending pages), PostgreSQL read articles_fts sequentially for
-- an unknown word (13.8 ms) rather than through an index it costed at 1,956; with the list merged, 0.04 ms
-- through the index (bench.timeline /search unknown p50 21.6 ms before). Each insert now updates the
-- index itself: 0.98 against 0.75 ms per article inserted one by one (measured on 1,980 contest articles).
ALTER INDEX articles_fts_search SET (fastupdate = off);
SELECT gin_clean_pending_list('articles_fts_search'::regclass);
ALTER INDEX event_clusters_search SET (fastupdate = off);
SELECT gin_clean_pending_list('event_clusters_search'::regclass);
