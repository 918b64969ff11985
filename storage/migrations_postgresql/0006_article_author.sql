-- The byline of articles that come from web pages and feeds (trafilatura, JSON-LD, <author>).
ALTER TABLE articles ADD COLUMN author TEXT COLLATE "C";
