-- Tally schema, version 1 (sqlite). Keep in step with the other backend's 0001.

-- Key/value facts about the stored data, such as the time zone rollups were computed in.
create table meta (
    name text primary key,
    value text not null
);

create table users (
    key integer primary key,
    id text not null unique,
    name text not null,
    email text unique,
    role text not null,
    extension text,
    active bigint not null default 1,
    created_at bigint not null
);

create table teams (
    key integer primary key,
    id text not null unique,
    name text not null,
    created_at bigint not null
);

-- A member's days in a team: from_day..=to_day (open-ended when to_day is null).
create table memberships (
    key integer primary key,
    team_key bigint not null references teams (key),
    user_key bigint not null references users (key),
    from_day bigint not null,
    to_day bigint
);
create index memberships_by_team on memberships (team_key);

-- API tokens: only the SHA-256 of the secret is kept.
create table tokens (
    key integer primary key,
    name text not null,
    role text not null,
    user_key bigint references users (key),
    secret_hash text not null unique,
    created_at bigint not null
);

-- The event log, append-only, in arrival order; body is the event's canonical JSON.
create table events (
    seq integer primary key,
    id text not null unique,
    type text not null,
    user_id text not null,
    at_micros bigint not null,
    day bigint not null,
    body text not null,
    received_at bigint not null
);

-- Current state of customers, opportunities and to-dos (JSON), for current-state metrics.
create table entities (
    kind text not null,
    id text not null,
    state text not null,
    primary key (kind, id)
) without rowid;

-- One row per (local day, user): the sums of the 16 count, sum and money metrics.
-- Day first, so that a batch of today's events touches few pages.
create table rollups (
    day bigint not null,
    user_key bigint not null,
    calls bigint not null default 0,
    calls_connected bigint not null default 0,
    talk_seconds bigint not null default 0,
    talk_seconds_outbound bigint not null default 0,
    talk_seconds_inbound bigint not null default 0,
    customers_new bigint not null default 0,
    customer_interactions bigint not null default 0,
    todos_created bigint not null default 0,
    todos_completed bigint not null default 0,
    meetings bigint not null default 0,
    emails_sent bigint not null default 0,
    sms_sent bigint not null default 0,
    opportunities_new bigint not null default 0,
    opportunities_won bigint not null default 0,
    revenue bigint not null default 0,
    opportunity_interactions bigint not null default 0,
    primary key (day, user_key)
) without rowid;

-- Distinct marks: entity counted for a distinct metric of a user on a day.
create table marks (
    day bigint not null,
    user_key bigint not null,
    metric bigint not null,
    entity text not null,
    primary key (day, user_key, metric, entity)
) without rowid;
