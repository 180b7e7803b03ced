-- The search index of the embedded default (the PostgreSQL adapter of ports/search.py), kept by replication
-- like any other index: each record's newest document, or a tombstone at the version of its deletion.
-- No foreign keys: like an external engine, it holds what replication told it, and answers only for the
-- workspace a query names.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

CREATE TABLE search_documents (
    record_id    uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    version      bigint NOT NULL CHECK (version >= 1),
    deleted      boolean NOT NULL DEFAULT false,
    kind         text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT '',
    name         text NOT NULL DEFAULT '',
    email        text NOT NULL DEFAULT '',
    domain       text NOT NULL DEFAULT '',
    company      text NOT NULL DEFAULT '',
    title        text NOT NULL DEFAULT '',
    industry     text NOT NULL DEFAULT '',
    country      text NOT NULL DEFAULT '',
    seniority    text NOT NULL DEFAULT '',
    technologies text[] NOT NULL DEFAULT '{}',
    sort_name    text COLLATE "C" NOT NULL DEFAULT '',  -- domain.search: compared as code points
    created_at   timestamptz,
    updated_at   timestamptz
);
CREATE INDEX search_documents_relevance_idx ON search_documents (workspace_id, sort_name, record_id)
    WHERE NOT deleted;
CREATE INDEX search_documents_newest_idx ON search_documents (workspace_id, created_at DESC, record_id DESC)
    WHERE NOT deleted;

-- Each live document's words (domain.search.SearchDocument.words): a term finds a word by prefix through
-- the first index, and by a typo through the trigram index, then a bounded edit distance.
CREATE TABLE search_words (
    record_id    uuid NOT NULL,
    workspace_id uuid NOT NULL,
    word         text COLLATE "C" NOT NULL
);
CREATE INDEX search_words_prefix_idx ON search_words (workspace_id, word);
CREATE INDEX search_words_record_idx ON search_words (record_id);
CREATE INDEX search_words_trigram_idx ON search_words USING gin (word gin_trgm_ops);

-- Records written before replication existed: one event each, so the search sink indexes them like any other.
INSERT INTO outbox_events (id, workspace_id, type, data, occurred_at)
SELECT gen_random_uuid(), workspace_id, 'record.updated',
       jsonb_build_object('recordId', id::text, 'kind', kind, 'status', status, 'version', version), now()
FROM records;
