-- Version 6: a counter that every change to the organisation moves (people, their
-- extensions, teams, memberships, supervisors, goals, scoring settings), in the
-- change's own transaction. Each server keeps the organisation in memory and compares
-- this counter with its copy's to know when another instance changed it.
-- Keep in step with the other backend's 0006.
create table org_version (
    version bigint not null
);
insert into org_version (version) values (0);
