-- Why a feed's last poll failed, as a kind of its own (storage.feeds.FeedErrorKind) instead of the first
-- word of last_error, which the bot used to parse back. last_error keeps the detail, for logs.
ALTER TABLE feeds ADD COLUMN error_kind TEXT;

-- Stored errors start with their kind: "not_found: HTTP 404", "timeout: no feed within 30 s", or are the
-- kind alone; any other text was an internal error ("internal error: ValueError(...)").
CREATE TEMP TABLE fetch_error_kinds (kind TEXT PRIMARY KEY);
INSERT INTO fetch_error_kinds (kind) VALUES
    ('invalid_url'), ('unsupported_scheme'), ('private_address'), ('dns_failure'), ('unreachable'),
    ('timeout'), ('too_many_redirects'), ('not_found'), ('http_error'), ('too_large'), ('not_html'),
    ('no_article_text'), ('not_a_feed');

UPDATE feeds SET error_kind = COALESCE(
    (
        SELECT k.kind FROM fetch_error_kinds k
        WHERE trim(feeds.last_error) = k.kind
           OR substr(feeds.last_error, 1, length(k.kind) + 1) = k.kind || ':'
    ),
    'internal'
)
WHERE last_error IS NOT NULL;

DROP TABLE fetch_error_kinds;
