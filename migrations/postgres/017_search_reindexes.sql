-- Rebuilds of the search index (`POST /admin/search/reindex`, `cascade search reindex`): one running at a time.
CREATE TABLE search_reindexes (
    id            uuid PRIMARY KEY,
    status        text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    phase         text NOT NULL CHECK (phase IN ('copying', 'catching_up', 'swapped', 'done')),
    index_name    text,  -- NULL until the new index is made
    total         bigint NOT NULL CHECK (total >= 0),
    copied        bigint NOT NULL CHECK (copied >= 0),
    caught_up     bigint NOT NULL CHECK (caught_up >= 0),
    failed        bigint NOT NULL CHECK (failed >= 0),
    error         text,
    started_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    requested_by  uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX search_reindexes_one_running ON search_reindexes ((true)) WHERE status = 'running';
CREATE INDEX search_reindexes_started_idx ON search_reindexes (started_at DESC);
