-- Version 14: webhooks and the outbox. `webhooks` are the URLs an admin registered,
-- with the notice kinds each wants (a comma list between commas: ',milestone,pace,'),
-- the secret its deliveries are signed with (kept as is: signing needs it), its run of
-- failed attempts, and when it was paused (after too many failures, or by hand) or
-- removed. `deliveries` is the outbox: one row per notice and webhook, written in the
-- same transaction as the notice, so nothing is lost in a crash and nothing is queued
-- twice; a sender claims due rows for a while (`claimed_until`), so two instances do
-- not send one at once. Keep in step with the other backend's 0014.
create table webhooks (
    key bigint generated always as identity primary key,
    url text not null,
    kinds text not null,
    secret text not null,
    created_by text not null,
    created_at bigint not null,
    failures bigint not null default 0,
    paused_at bigint,
    removed_at bigint
);

create table deliveries (
    key bigint generated always as identity primary key,
    notice_key bigint not null references notices (key),
    webhook_key bigint not null references webhooks (key),
    status text not null,
    attempts bigint not null default 0,
    next_at bigint not null,
    claimed_until bigint,
    last_error text,
    delivered_at bigint,
    created_at bigint not null,
    unique (notice_key, webhook_key)
);
create index deliveries_due on deliveries (status, next_at);
create index deliveries_of_webhook on deliveries (webhook_key, key);
