"""PostgreSQL advisory lock keys, one per kind of work that instances must not do at the same time.

Each key is taken by one kind of transaction only: two kinds sharing a key would wait for each other
across every instance for nothing. (Until 2026-11-29 storing analyses and assigning stories both took
1415; they write disjoint tables, so each has its own key now.) SQLite has one writer and takes none."""

MIGRATIONS = 1414  # session lock while one instance applies the migrations
ANALYSES = 1415  # storing analyses: entities, mentions, events (the bot's workers and `bot worker`)
STORIES = 1416  # assigning stories: story ids are numbered from the largest stored
SUBSCRIBE = 1417  # with the chat id as second key: one chat's new subscriptions and their limit
