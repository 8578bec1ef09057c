-- Version 11: sales channels. `channels` is the organisation's list (an id events and
-- CRM records name, the name shown, whether forms still offer it, its place in lists),
-- filled with a usual first list. `sales_rollups` keeps, per local day, credited user
-- and channel ('' for none), what the sales-by-channel report sums: the customers and
-- opportunities created, the opportunities won and lost now (on the day of the latest
-- change to that status), and the revenue of the won ones in minor units. Each is a
-- part of the same user's day in `rollups`, so it stays within 64 bits when those do.
-- Ingest keeps it in the same transaction as the rollups; databases from before it
-- are filled once from the entities' state (`Store::fill_sales_once`). Keep in step
-- with the other backend's 0011.
create table channels (
    id text primary key,
    name text not null,
    active bigint not null default 1,
    position bigint not null
);
insert into channels (id, name, position) values
    ('hotline', 'Hotline', 1),
    ('website', 'Website', 2),
    ('facebook', 'Facebook', 3),
    ('zalo', 'Zalo', 4),
    ('referral', 'Giới thiệu', 5),
    ('walk_in', 'Khách đến trực tiếp', 6);

create table sales_rollups (
    day bigint not null,
    channel text not null,
    user_key bigint not null,
    customers_new bigint not null default 0,
    opportunities_new bigint not null default 0,
    opportunities_won bigint not null default 0,
    opportunities_lost bigint not null default 0,
    revenue bigint not null default 0,
    primary key (day, channel, user_key)
) without rowid;
