-- Telegram's send rate is per bot token: every instance reserves its send slots here (SEND_BUDGET=database).
CREATE TABLE send_budget (
    lane        TEXT COLLATE "C" PRIMARY KEY,
    next_slot   DOUBLE PRECISION NOT NULL
);
