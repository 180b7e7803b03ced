-- Every provider attempt of the waterfall: what was asked, what came back, what it cost.
CREATE TABLE enrichment_attempts (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    record_id    uuid NOT NULL,  -- no FK: the history outlives a deleted record
    run_id       text NOT NULL,
    provider     text NOT NULL,
    outcome      text NOT NULL,
    latency_ms   double precision NOT NULL CHECK (latency_ms >= 0),
    credits      integer NOT NULL CHECK (credits >= 0),
    cached       boolean NOT NULL,
    fields       text[] NOT NULL,
    detail       text NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX enrichment_attempts_record_idx ON enrichment_attempts (workspace_id, record_id, created_at DESC, id DESC);
