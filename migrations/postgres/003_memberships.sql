CREATE TABLE memberships (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('viewer', 'member', 'admin', 'owner')),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
-- "my workspaces" and the keyset order of the member list
CREATE INDEX memberships_user_idx ON memberships (user_id, workspace_id);
CREATE INDEX memberships_joined_idx ON memberships (workspace_id, created_at, user_id);
