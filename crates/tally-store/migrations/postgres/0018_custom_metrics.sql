-- Version 18: the organisation's own metrics (`tally_core::custom`). `definition` is
-- the JSON an owner or admin saved; `revision` counts its saves. The events logged up
-- to `counted_from` (a `seq` of `events`, the last one when the definition was saved)
-- are counted by the history count, which has reached `counted_to`; later events are
-- counted as they are ingested, in the same transaction. `custom_sums` and
-- `custom_marks` hold what the events metrics count, per metric, local day and
-- credited user, as `rollups` and `marks` do for the built-in ones; the metrics of
-- records read `sales_rollups`. Keep in step with the other backend's 0018.
create table custom_metrics (
    id bigint generated always as identity primary key,
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
);

create table custom_marks (
    metric_id bigint not null,
    day bigint not null,
    user_key bigint not null,
    entity text not null,
    primary key (metric_id, day, user_key, entity)
);
