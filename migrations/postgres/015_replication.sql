-- Replication: sinks (search, later analytics) follow the outbox each at its own position, in commit order.
--
-- An event's position is (txid, id): the transaction that wrote it, then its id. A sink reads only events
-- of transactions below the reading snapshot's xmin, every one of which has committed or rolled back, so
-- no transaction still running can later commit an event behind a position already passed (as one holding
-- a lower sequence number could). A long transaction holds every sink back while it runs, and no longer.
ALTER TABLE outbox_events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX outbox_events_position_idx ON outbox_events (txid, id);

-- A record's version: 1 when created, one more at every write; a sink keeps the highest it saw.
ALTER TABLE records ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);

-- Each sink's position: every event at or before (txid, event_id) has been applied or set aside.
CREATE TABLE replication_consumers (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    txid        xid8 NOT NULL DEFAULT '0',
    event_id    uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    applied     bigint NOT NULL DEFAULT 0 CHECK (applied >= 0),  -- events applied since the sink began
    updated_at  timestamptz NOT NULL
);

-- Events a sink could not apply: retried (next_attempt_at set) until their attempts run out, then dead
-- letters (next_attempt_at NULL) until replayed or discarded. Their sink's position moves past them.
CREATE TABLE replication_failures (
    consumer        text NOT NULL REFERENCES replication_consumers (name) ON DELETE CASCADE,
    event_id        uuid NOT NULL,
    attempts        integer NOT NULL CHECK (attempts >= 1),
    last_error      text NOT NULL,
    first_failed_at timestamptz NOT NULL,
    last_failed_at  timestamptz NOT NULL,
    next_attempt_at timestamptz,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX replication_failures_due_idx ON replication_failures (consumer, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX replication_failures_dead_idx ON replication_failures (consumer, last_failed_at DESC, event_id)
    WHERE next_attempt_at IS NULL;
