-- The analysis queue is the database: an article without a current analysis and not failed for good is
-- waiting. A consumer (the bot's Analyzer, or `python -m bot worker` on another machine) claims a batch
-- here before analysing it; storing the batch's analyses deletes its claims in the same transaction. A
-- claim whose lease ran out (its consumer died mid-batch) may be taken by another consumer.
CREATE TABLE analysis_claims (
    article_id     INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    claimed_by     TEXT NOT NULL,                 -- host:pid:random of the consumer
    claimed_until  TEXT NOT NULL                  -- ISO 8601 UTC: the lease
);
CREATE INDEX analysis_claims_owner ON analysis_claims (claimed_by);
