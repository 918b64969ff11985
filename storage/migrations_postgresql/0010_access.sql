-- Private mode (ACCESS=private): the users and chats admins let in, and who was already told no.
CREATE TABLE access_allowed (
    id          BIGINT PRIMARY KEY,
    kind        TEXT COLLATE "C" NOT NULL CHECK (kind IN ('user', 'chat')),
    label       TEXT COLLATE "C",
    added_by    BIGINT,
    added_at    TEXT COLLATE "C" NOT NULL
);

CREATE TABLE access_refused (
    id          BIGINT PRIMARY KEY,
    refused_at  TEXT COLLATE "C" NOT NULL
);
