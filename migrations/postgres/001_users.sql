CREATE TABLE users (
    id                uuid PRIMARY KEY,
    email             text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) <= 254),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    password_hash     text NOT NULL,
    is_platform_admin boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
