-- One drainer per sink through a lease on its row rather than a lock held by a transaction: the sink is then
-- applied with no transaction open, so a slow engine holds back no snapshot's xmin (see 015).
ALTER TABLE replication_consumers ADD COLUMN lease_token uuid;
ALTER TABLE replication_consumers ADD COLUMN leased_until timestamptz;
