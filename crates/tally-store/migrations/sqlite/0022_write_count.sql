-- Version 22: a counter that every write transaction moves first, under the write
-- lock (`Store::begin_write`). The event writer plans the next group of batches on a
-- reading connection while the previous group commits; the group's plan is written
-- only if the counter shows that no other write came in between (another request,
-- another instance, a command-line import), and is made again under the lock if one
-- did. Keep in step with the other backend's 0022.
create table write_count (
    n bigint not null
);
insert into write_count (n) values (0);
