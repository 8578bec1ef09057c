-- Version 7: a frozen result's actual is a total over a period and, for a team, over
-- its members: it may pass what 64 bits hold (each user's day does not), so it is
-- kept as the decimal text of the whole number, like the target beside it.
-- Keep in step with the other backend's 0007.
alter table goal_results alter column actual type text using actual::text;
