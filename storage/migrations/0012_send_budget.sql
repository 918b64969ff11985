-- Telegram's send rate is per bot token, so every instance of the bot reserves its send slots here
-- (SEND_BUDGET=database): one row per lane, the start time of the last slot handed out.
CREATE TABLE send_budget (
    lane        TEXT PRIMARY KEY,                 -- 'all': every bulk send; 'alerts': instant alerts' share
    next_slot   REAL NOT NULL                     -- seconds since the epoch
);
