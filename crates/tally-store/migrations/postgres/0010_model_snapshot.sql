-- Version 10: a snapshot of a server's in-memory read model (rollups and distinct
-- marks as of one data version, named in meta 'model_snapshot'), in parts: one per
-- user and chunks of entity ids. A restart loads it in one read, then reloads only
-- the days changed since. See crates/tally-store/src/snapshot.rs.
-- Keep in step with the other backend's 0010.
create table model_snapshot (
    part text primary key,
    body bytea not null
);
