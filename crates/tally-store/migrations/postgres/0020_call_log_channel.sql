-- Version 20: the call log keeps the channel a call names (the line it came in on), so
-- the call pages can say where an inbound call came from. The log is emptied to be
-- followed again from the first event (as after `tally rebuild`), so that calls logged
-- before this version get their channel too. Keep in step with the other backend's
-- 0020.
alter table call_log add column channel text;
delete from call_log;
update meta set value = '0' where name = 'call_log_reached';
