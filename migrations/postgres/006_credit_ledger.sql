-- One row per workspace holds the balances; the ledger is the append-only
-- history every change leaves. The CHECKs are the last line of defence:
-- available credits (balance - reserved) can never go below zero.
CREATE TABLE credit_accounts (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    balance      bigint NOT NULL DEFAULT 0,
    reserved     bigint NOT NULL DEFAULT 0,
    CONSTRAINT credit_accounts_reserved_not_negative CHECK (reserved >= 0),
    CONSTRAINT credit_accounts_available_not_negative CHECK (balance - reserved >= 0)
);

CREATE TABLE credit_reservations (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    amount       bigint NOT NULL CHECK (amount > 0),
    remaining    bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    closed_at    timestamptz,
    CONSTRAINT credit_reservations_remaining_in_range CHECK (remaining BETWEEN 0 AND amount)
);
CREATE INDEX credit_reservations_open_idx ON credit_reservations (created_at, id) WHERE closed_at IS NULL;

CREATE TABLE credit_ledger (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind            text NOT NULL
        CHECK (kind IN ('grant', 'purchase', 'reserve', 'release', 'charge', 'refund', 'expire')),
    amount          bigint NOT NULL CHECK (amount >= 0),
    balance_after   bigint NOT NULL,
    reserved_after  bigint NOT NULL,
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    fingerprint     text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    actor_id        uuid,
    reservation_id  uuid,
    reference_id    uuid,
    created_at      timestamptz NOT NULL,
    CONSTRAINT credit_ledger_idempotency_key UNIQUE (workspace_id, idempotency_key)
);
CREATE INDEX credit_ledger_listing_idx ON credit_ledger (workspace_id, created_at DESC, id DESC);
CREATE INDEX credit_ledger_kind_listing_idx ON credit_ledger (workspace_id, kind, created_at DESC, id DESC);
CREATE INDEX credit_ledger_refunds_idx ON credit_ledger (reference_id) WHERE kind = 'refund';

-- Append-only: history is never rewritten (rows go only with their workspace).
CREATE FUNCTION credit_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit_ledger is append-only';
END;
$$;
CREATE TRIGGER credit_ledger_no_update BEFORE UPDATE ON credit_ledger
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_is_append_only();
