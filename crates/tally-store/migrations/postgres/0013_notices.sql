-- Version 13: notices. `notices` holds each moment told about a goal (a milestone
-- reached, a period closed, a pace falling behind, a new leader or top three), once per
-- key: kind, goal, criterion's metric ('' for the leaderboard), period, subject and
-- mark. The unique key is what makes a notice told once across restarts and
-- instances: a second insert of the same key does nothing. `actual` and `target` are
-- decimals: the actual in the metric's stored unit, the target in its unit (as goal
-- results; the score for the leaderboard). `quiet` is 1 for a notice told to nobody: a
-- lower milestone passed in the same round as a higher one is recorded, so that it is
-- never told later, but only the higher one is told.
-- `notice_inbox` is each recipient's copy, unread until they read it; written in the
-- same transaction as the notice. Keep in step with the other backend's 0013.
create table notices (
    key bigint generated always as identity primary key,
    kind text not null,
    goal_id text not null,
    metric text not null,
    period_from bigint not null,
    period_to bigint not null,
    subject_kind text not null,
    subject_id text not null,
    mark text not null,
    actual text not null,
    target text not null,
    quiet bigint not null,
    created_at bigint not null,
    unique (kind, goal_id, metric, period_from, period_to, subject_kind, subject_id, mark)
);

create table notice_inbox (
    user_key bigint not null references users (key),
    notice_key bigint not null references notices (key),
    read_at bigint,
    primary key (user_key, notice_key)
);
create index notice_inbox_unread on notice_inbox (user_key, read_at);
