-- Version 18: the organisation's own metrics (`tally_core::custom`). `definition` is
-- the JSON an owner or admin saved; `revision` counts its saves. The events logged up
-- to `counted_from` (a `seq` of `events`, the last one when the definition was saved)
-- are counted by the history count, which has reached `counted_to`; later events are
-- counted as they are ingested, in the same transaction. `custom_sums` and
-- `custom_marks` hold what the events metrics count, per metric, local day and
-- credited user, as `rollups` and `marks` do for the built-in ones; the metrics of
-- records read `sales_rollups`. Keep in step with the other backend's 0018.
create table custom_metrics (
    -- Never reused: a step of the history count checks it still counts the same metric.
    id integer primary key autoincrement,
    key text not null unique,
    definition text not null,
    revision bigint not null,
    counted_from bigint not null,
    counted_to bigint not null,
    updated_at bigint not null
);

create table custom_sums (
    metric_id bigint not null,
    day bigint not null,
    user_key bigint not null,
    value bigint not null,
    primary key (metric_id, day, user_key)
) without rowid;

create table custom_marks (
    metric_id bigint not null,
    day bigint not null,
    user_key bigint not null,
    entity text not null,
    primary key (metric_id, day, user_key, entity)
) without rowid;

-- A sum stays a 64-bit whole number, as in `rollups` (see 0007).
create trigger custom_sums_whole_on_insert before insert on custom_sums
when typeof(new.value) <> 'integer'
begin
    select raise(abort, 'custom_sums.value out of range');
end;
create trigger custom_sums_whole_on_update before update on custom_sums
when typeof(new.value) <> 'integer'
begin
    select raise(abort, 'custom_sums.value out of range');
end;
