-- A workspace's people and companies: what it gave us (inputs), what providers
-- found (fields) and where each field came from (provenance), by field name.
CREATE TABLE records (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('person', 'company')),
    inputs       jsonb NOT NULL CHECK (jsonb_typeof(inputs) = 'object'),
    fields       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(fields) = 'object'),
    -- {field: {provider, fetched_at (ISO 8601), confidence}}
    provenance   jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(provenance) = 'object'),
    status       text NOT NULL DEFAULT 'new'
                 CHECK (status IN ('new', 'enriching', 'enriched', 'partial', 'not_found', 'failed')),
    -- Record.domain, written with every insert and save: the one definition of
    -- the rule stays in the domain, and lower-casing does not depend on the
    -- database's locale the way lower() in a generated column would.
    domain       text CHECK (length(domain) > 0),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
-- the keyset order of the record list (newest first), and one per filter
CREATE INDEX records_listing_idx ON records (workspace_id, created_at DESC, id DESC);
CREATE INDEX records_kind_idx ON records (workspace_id, kind, created_at DESC, id DESC);
CREATE INDEX records_status_idx ON records (workspace_id, status, created_at DESC, id DESC);
CREATE INDEX records_domain_idx ON records (workspace_id, domain, created_at DESC, id DESC)
    WHERE domain IS NOT NULL;
