-- Version 12: TV links. A screen on the wall shows the wallboard at a link that holds
-- a random secret; only the secret's SHA-256 is kept (`secret_hash`), the language
-- the screen shows, who made it, and when it was revoked (a revoked link shows
-- nothing). A link is never deleted, so the list says which screens once had access.
-- Keep in step with the other backend's 0012.
create table screens (
    key bigint generated always as identity primary key,
    name text not null,
    lang text not null,
    secret_hash text not null unique,
    created_by text not null,
    created_at bigint not null,
    revoked_at bigint
);
