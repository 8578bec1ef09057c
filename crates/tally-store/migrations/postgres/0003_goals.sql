-- Version 3 (postgres): KPI goals, their history, frozen period results, and the teams
-- each supervisor supervises. Keep in step with the other backend's 0003.

-- A goal (KPI plan); definition is its JSON: name, criteria, assignees, days.
-- Every period that ended on or before closed_through has its results in goal_results.
create table goals (
    key bigint generated always as identity primary key,
    id text not null unique,
    name text not null,
    definition text not null,
    revision bigint not null,
    archived_at bigint,
    closed_through bigint not null,
    created_at bigint not null,
    created_by text not null,
    updated_at bigint not null,
    updated_by text not null
);

-- Every version of every goal: what it was, who made it, and when.
create table goal_revisions (
    goal_key bigint not null references goals (key),
    revision bigint not null,
    action text not null,
    definition text not null,
    actor text not null,
    at bigint not null,
    primary key (goal_key, revision)
);

-- The result of a goal's criterion for one closed period and one assignee, frozen
-- with the target and revision of the goal when the period closed.
create table goal_results (
    goal_key bigint not null references goals (key),
    metric text not null,
    period_from bigint not null,
    period_to bigint not null,
    subject_kind text not null,
    subject_id text not null,
    revision bigint not null,
    target text not null,
    actual bigint not null,
    achieved bigint not null,
    closed_at bigint not null,
    primary key (goal_key, metric, period_from, period_to, subject_kind, subject_id)
);

-- "Supervises" links: a supervisor sets KPIs for, and sees, these teams.
create table supervisors (
    team_key bigint not null references teams (key),
    user_key bigint not null references users (key),
    primary key (team_key, user_key)
);
