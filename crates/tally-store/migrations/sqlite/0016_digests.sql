-- Version 16: the daily digest by email. One row per person and day reported on,
-- queued when the organisation's digest time passes, for those who chose the digest
-- (`digest` among their email kinds); the unique key makes each sent once across
-- restarts and instances. The email is written when it is sent, from the figures of
-- that day. Senders claim due rows as for the other outboxes. Keep in step with the
-- other backend's 0016.
create table email_digests (
    key integer primary key,
    user_key bigint not null references users (key),
    day bigint not null,
    status text not null,
    attempts bigint not null default 0,
    next_at bigint not null,
    claimed_until bigint,
    last_error text,
    sent_at bigint,
    created_at bigint not null,
    unique (user_key, day)
);
create index email_digests_due on email_digests (status, next_at);
