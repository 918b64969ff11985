-- A person's full name in the other script than their display name ("Donald Trump" for "Дональд Трамп"):
-- one identity across Russian and English articles (bot/who/identity.py), named as each reader reads.
ALTER TABLE entities ADD COLUMN other_name TEXT;
