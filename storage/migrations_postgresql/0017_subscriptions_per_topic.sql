-- Several subscriptions per chat (#15): one per forum topic, and any chat may hold several with their own
-- topics and times.
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_chat_id_key;
CREATE INDEX subscriptions_by_chat ON subscriptions (chat_id, thread_id);
