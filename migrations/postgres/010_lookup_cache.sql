-- Provider answers a workspace paid for, reused for 0 credits while fresh.
CREATE TABLE lookup_cache (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    lookup_key   text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('hit', 'miss')),
    fields       jsonb NOT NULL,
    fetched_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, lookup_key)
);
