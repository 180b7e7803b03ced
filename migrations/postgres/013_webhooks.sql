-- Outgoing webhooks: what a workspace subscribed to, and where.
-- The signing secret is sealed with AES-256-GCM like a credential (007): the plaintext is
-- never stored, and the associated data binds the ciphertext to (workspace_id, id).
CREATE TABLE webhook_subscriptions (
    id                          uuid PRIMARY KEY,
    workspace_id                uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url                         text NOT NULL,  -- checked again by the SSRF guard at every delivery
    events                      text[] NOT NULL CHECK (cardinality(events) >= 1),
    secret_ciphertext           bytea NOT NULL,
    secret_nonce                bytea NOT NULL CHECK (length(secret_nonce) = 12),
    secret_key_version          text NOT NULL CHECK (length(secret_key_version) BETWEEN 1 AND 32),
    -- the secret a rotation replaced: it still signs until previous_secret_expires_at
    previous_secret_ciphertext  bytea,
    previous_secret_nonce       bytea CHECK (length(previous_secret_nonce) = 12),
    previous_secret_key_version text CHECK (length(previous_secret_key_version) BETWEEN 1 AND 32),
    previous_secret_expires_at  timestamptz,
    active                      boolean NOT NULL DEFAULT true,
    failure_streak              integer NOT NULL DEFAULT 0 CHECK (failure_streak >= 0),  -- dead letters in a row
    disabled_reason             text,
    created_by                  uuid NOT NULL,  -- no FK, like audit actor ids: the webhook outlives its author
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    -- a previous secret is stored whole or not at all
    CHECK (num_nulls(previous_secret_ciphertext, previous_secret_nonce, previous_secret_key_version) IN (0, 3))
);
-- the keyset order of the webhook list (oldest first); also counts and finds a workspace's subscribers
CREATE INDEX webhook_subscriptions_listing_idx ON webhook_subscriptions (workspace_id, created_at, id);

-- One delivery per (event, subscription), and the pings: its id is X-Cascade-Delivery.
-- Every attempt and every replay sends the same body under the same id.
CREATE TABLE webhook_deliveries (
    id                    uuid PRIMARY KEY,
    workspace_id          uuid NOT NULL,  -- its subscription's; a workspace's deletion cascades through it
    subscription_id       uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id              uuid,  -- NULL for a ping; no FK: the delivery carries its own body
    event_type            text NOT NULL,
    body                  bytea NOT NULL,  -- the exact bytes signed and sent: never jsonb, never re-encoded
    status                text NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'succeeded', 'failed', 'dead_lettered')),
    attempts              integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- since made or last replayed
    -- when pending: when the next attempt is due; while leased, when the lease runs out
    next_attempt_at       timestamptz,
    lease_id              uuid,  -- the worker attempting it now; results under another lease are dropped
    last_attempt_at       timestamptz,
    last_status_code      integer,  -- NULL when no answer came (refused, unreachable, timed out)
    last_latency_ms       integer,
    last_response_excerpt text NOT NULL DEFAULT '',
    last_error            text,
    created_at            timestamptz NOT NULL,
    replayed_at           timestamptz,  -- a replay starts a new retry window from here
    finished_at           timestamptz
);
-- the deliveries to attempt, longest due first (claimed with FOR UPDATE SKIP LOCKED)
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
-- the keyset order of a subscription's delivery log (newest first); also serves the cascade from a subscription
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (subscription_id, created_at DESC, id DESC);
-- a disabled subscription's pending deliveries, dead-lettered with it
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (subscription_id) WHERE status = 'pending';
-- an event is delivered once per subscription: a publisher that ran twice could not make a second delivery
CREATE UNIQUE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id, subscription_id)
    WHERE event_id IS NOT NULL;
