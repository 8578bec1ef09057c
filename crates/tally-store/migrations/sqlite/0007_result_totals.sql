-- Version 7: a frozen result's actual is a total over a period and, for a team, over
-- its members: it may pass what 64 bits hold (each user's day does not), so it is
-- kept as the decimal text of the whole number, like the target beside it.
-- Keep in step with the other backend's 0007.
alter table goal_results add column actual_total text not null default '0';
update goal_results set actual_total = cast(actual as text);
alter table goal_results drop column actual;
alter table goal_results rename column actual_total to actual;

-- A user's day of revenue must stay a 64-bit whole number. SQLite turns an integer sum
-- that overflows into a float; these refuse it instead, as PostgreSQL's bigint does,
-- and the write that would have made it fails whole.
create trigger rollups_revenue_whole_on_insert before insert on rollups
when typeof(new.revenue) <> 'integer'
begin
    select raise(abort, 'rollups.revenue out of range');
end;
create trigger rollups_revenue_whole_on_update before update on rollups
when typeof(new.revenue) <> 'integer'
begin
    select raise(abort, 'rollups.revenue out of range');
end;
