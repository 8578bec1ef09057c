-- Version 2: every committed write that changed rollups, with the days it touched.
-- Each server instance keeps an in-memory read model of the rollups; comparing its
-- version with the latest here tells it which days another writer changed.
create table changes (
    version bigint primary key,
    -- Comma-separated day numbers, or '*' when everything changed (a rebuild).
    days text not null
);
