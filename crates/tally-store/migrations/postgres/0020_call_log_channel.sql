-- Version 20: the call log keeps the channel a call names (the line it came in on), so
-- the call pages can say where an inbound call came from. Calls logged before this
-- version had no channel Tally read (the field was ignored), so the rows already
-- logged stay as they are; `tally rebuild` follows the log again. Keep in step with
-- the other backend's 0020.
alter table call_log add column channel text;
