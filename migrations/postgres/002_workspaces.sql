CREATE TABLE workspaces (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL
);
