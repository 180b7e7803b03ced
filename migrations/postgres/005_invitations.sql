CREATE TABLE invitations (
    id          uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email       text NOT NULL CHECK (email = lower(btrim(email))),
    role        text NOT NULL CHECK (role IN ('viewer', 'member', 'admin', 'owner')),
    token_hash  text NOT NULL,
    invited_by  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at  timestamptz
);
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash);
-- one open invitation per email and workspace
CREATE UNIQUE INDEX invitations_open_email_key ON invitations (workspace_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_listing_idx ON invitations (workspace_id, created_at DESC, id DESC);
