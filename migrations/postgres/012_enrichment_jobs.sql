-- Enrichment jobs: many records through the waterfall, paid from one credit reservation.
CREATE TABLE enrichment_jobs (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_by       uuid NOT NULL,  -- no FK, like audit actor ids: the job outlives its author
    status           text NOT NULL
                     CHECK (status IN ('queued', 'running', 'completed', 'partially_completed', 'failed', 'cancelled')),
    fields           text[] NOT NULL,
    providers        text[] NOT NULL,  -- the waterfall order, resolved when the job was made
    total            integer NOT NULL CHECK (total BETWEEN 1 AND 10000),
    credits_reserved integer NOT NULL CHECK (credits_reserved >= 0),
    reservation_id   uuid,
    idempotency_key  text,
    fingerprint      text NOT NULL,
    cancel_requested boolean NOT NULL DEFAULT false,
    credits_spent    integer,
    -- the JobProgress counts when finished: {total, done, enriched, partial, not_found, failed}
    final_progress   jsonb CHECK (jsonb_typeof(final_progress) = 'object'),
    error            text,
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz
);
-- one job per idempotency key and workspace
CREATE UNIQUE INDEX enrichment_jobs_idempotency_key ON enrichment_jobs (workspace_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- the keyset order of the job list (newest first)
CREATE INDEX enrichment_jobs_listing_idx ON enrichment_jobs (workspace_id, created_at DESC, id DESC);

-- A job's records, numbered from 0, each pending until its result is saved.
CREATE TABLE enrichment_job_items (
    job_id       uuid NOT NULL REFERENCES enrichment_jobs (id) ON DELETE CASCADE,
    position     integer NOT NULL CHECK (position >= 0),
    workspace_id uuid NOT NULL,
    record_id    uuid NOT NULL,  -- no FK: a record deleted mid-job keeps its result row
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    outcome      text,  -- a record status or 'missing', once done
    credits      integer NOT NULL DEFAULT 0 CHECK (credits >= 0),
    fields       text[] NOT NULL DEFAULT '{}',
    error        text,
    finished_at  timestamptz,
    PRIMARY KEY (job_id, position)
);
-- the batches still to run
CREATE INDEX enrichment_job_items_pending_idx ON enrichment_job_items (job_id, position) WHERE state = 'pending';

-- What happened, for webhooks and analytics: written in the transaction that made it true.
CREATE TABLE outbox_events (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,  -- no FK: an event outlives its workspace until it is published
    type         text NOT NULL,
    data         jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    occurred_at  timestamptz NOT NULL,
    published_at timestamptz
);
CREATE INDEX outbox_events_recent_idx ON outbox_events (workspace_id, occurred_at DESC, id DESC);
-- what a publisher still has to send, oldest first
CREATE INDEX outbox_events_unpublished_idx ON outbox_events (occurred_at) WHERE published_at IS NULL;
