-- Version 15: notices by email. `email_choices` is what each person chose to receive
-- by email (the kinds between commas, as webhooks keep them) and in which language.
-- `email_deliveries` is the email outbox: one row per notice and person who chose its
-- kind and has an email address, written in the transaction that records the notice;
-- senders claim due rows as for webhooks. Keep in step with the other backend's 0015.
create table email_choices (
    user_key bigint primary key references users (key),
    kinds text not null,
    lang text not null
);

create table email_deliveries (
    key integer primary key,
    notice_key bigint not null references notices (key),
    user_key bigint not null references users (key),
    status text not null,
    attempts bigint not null default 0,
    next_at bigint not null,
    claimed_until bigint,
    last_error text,
    sent_at bigint,
    created_at bigint not null,
    unique (notice_key, user_key)
);
create index email_deliveries_due on email_deliveries (status, next_at);
