-- Who did what to which object of a workspace. Generic: any module writes its
-- own target_type. details holds non-secret facts only (names, changed fields).
CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- no foreign key: the record outlives the account; NULL for system changes
    actor_id     uuid,
    action       text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    target_type  text NOT NULL CHECK (length(target_type) BETWEEN 1 AND 50),
    target_id    uuid NOT NULL,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
    created_at   timestamptz NOT NULL
);
-- the keyset order of the audit log (newest first)
CREATE INDEX audit_log_listing_idx ON audit_log (workspace_id, created_at DESC, id DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);
