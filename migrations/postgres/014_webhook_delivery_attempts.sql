-- Every attempt of a webhook delivery, replays' too: its delivery keeps only the last one's outcome.
-- Written in the transaction that records the attempt on its delivery (which holds the delivery's row),
-- and gone with the delivery. A delivery retried for its whole window (3 days, waits doubling from 30 s
-- to 6 h) has about 20.
CREATE TABLE webhook_delivery_attempts (
    delivery_id      uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    seq              integer NOT NULL CHECK (seq >= 1),  -- 1, 2, ... over the delivery's life: the log's order
    attempt          integer NOT NULL CHECK (attempt >= 1),  -- the X-Cascade-Attempt sent: from 1 after a replay
    started_at       timestamptz NOT NULL,
    status_code      integer,  -- NULL when no answer came (refused, unreachable, timed out)
    latency_ms       integer NOT NULL CHECK (latency_ms >= 0),
    response_excerpt text NOT NULL DEFAULT '',
    error            text,
    -- also reads a delivery's log in order and serves the cascade from a delivery
    PRIMARY KEY (delivery_id, seq)
);
