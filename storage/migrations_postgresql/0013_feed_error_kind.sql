-- Why a feed's last poll failed, as a kind of its own (storage.feeds.FeedErrorKind); last_error keeps the
-- detail. Stored errors start with their kind ("not_found: HTTP 404") or are the kind alone; any other text
-- was an internal error.
ALTER TABLE feeds ADD COLUMN error_kind TEXT COLLATE "C";

UPDATE feeds SET error_kind = COALESCE(
    (
        SELECT k.kind FROM (VALUES
            ('invalid_url'), ('unsupported_scheme'), ('private_address'), ('dns_failure'), ('unreachable'),
            ('timeout'), ('too_many_redirects'), ('not_found'), ('http_error'), ('too_large'), ('not_html'),
            ('no_article_text'), ('not_a_feed')
        ) AS k (kind)
        WHERE trim(feeds.last_error) = k.kind
           OR substr(feeds.last_error, 1, length(k.kind) + 1) = k.kind || ':'
    ),
    'internal'
)
WHERE last_error IS NOT NULL;
