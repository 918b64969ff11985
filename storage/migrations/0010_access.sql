-- Private mode (ACCESS=private): the users and chats admins let in, and who was already told no.
-- User ids are positive and chat ids of groups and channels negative, so one key space holds both.
CREATE TABLE access_allowed (
    id          INTEGER PRIMARY KEY,              -- a user id, or a group's or channel's chat id
    kind        TEXT NOT NULL CHECK (kind IN ('user', 'chat')),
    label       TEXT,                             -- @name or title when known, for the list
    added_by    INTEGER,
    added_at    TEXT NOT NULL                     -- ISO 8601 UTC
);

-- A stranger gets one refusal, not one per message: the user (private chats, buttons, inline queries)
-- or the group that was refused.
CREATE TABLE access_refused (
    id          INTEGER PRIMARY KEY,
    refused_at  TEXT NOT NULL                     -- ISO 8601 UTC
);
