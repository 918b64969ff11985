-- Several instances of the bot on one database (PostgreSQL): scheduled work is claimed here, so that
-- exactly one instance runs it, and another finishes it when the claim's lease runs out unfinished.

-- A scheduled run (a digest slot at its moment, the daily clean-up): who runs it, until when, and when done.
CREATE TABLE job_runs (
    job            TEXT COLLATE "C" NOT NULL,                 -- 'digest:08:00@Europe/Moscow', 'forget-left-items'
    period         TEXT COLLATE "C" NOT NULL,                 -- the scheduled moment (UTC ISO) or day
    claimed_by     TEXT COLLATE "C" NOT NULL,                 -- host:pid:random of the instance
    claimed_until  TEXT COLLATE "C" NOT NULL,                 -- ISO 8601 UTC; renewed while it runs
    done_at        TEXT COLLATE "C",
    PRIMARY KEY (job, period)
);
CREATE INDEX job_runs_unfinished ON job_runs (claimed_until) WHERE done_at IS NULL;

-- One sender per delivery, across instances: the in-memory guard's database form.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT COLLATE "C";
ALTER TABLE deliveries ADD COLUMN claimed_until TEXT COLLATE "C";

-- One poller per feed poll.
ALTER TABLE feeds ADD COLUMN claimed_by TEXT COLLATE "C";
ALTER TABLE feeds ADD COLUMN claimed_until TEXT COLLATE "C";
