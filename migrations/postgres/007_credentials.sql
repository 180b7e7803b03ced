-- Provider credentials, sealed with AES-256-GCM: the plaintext is never stored.
-- The associated data binds each ciphertext to (workspace_id, id), so a row's
-- secret copied into another row does not decrypt.
CREATE TABLE credentials (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider     text NOT NULL CHECK (length(provider) BETWEEN 1 AND 50),
    label        text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    ciphertext   bytea NOT NULL,
    nonce        bytea NOT NULL CHECK (length(nonce) = 12),
    key_version  text NOT NULL CHECK (length(key_version) BETWEEN 1 AND 32),
    -- what the mask shows: at most the last 4 characters, nothing for short secrets
    secret_last4 text NOT NULL CHECK (length(secret_last4) <= 4),
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
-- the keyset order of the credential list (newest first)
CREATE INDEX credentials_listing_idx ON credentials (workspace_id, created_at DESC, id DESC);
