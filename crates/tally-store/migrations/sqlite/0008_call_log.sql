-- Version 8: the call log, one row per `call` event, for the pages that list calls (by
-- person and day, by customer and number) without reading the whole event log. It
-- follows the event log in large chunks (`Store::catch_up_call_log`, from the sequence
-- number in meta `call_log_reached`), not in ingest's transaction, so ingest does not
-- slow down. `phone` is the other side's number in the national form of
-- `tally_core::phone` (empty when none). Keep in step with the other backend's 0008.
create table call_log (
    event_id text not null,
    user_id text not null,
    customer_id text,
    phone text not null,
    at_micros bigint not null,
    day bigint not null,
    direction text not null,
    answered bigint not null,
    talk_seconds bigint not null
);
create index call_log_by_user on call_log (user_id, at_micros);
create index call_log_by_time on call_log (at_micros);
create index call_log_by_customer on call_log (customer_id, at_micros) where customer_id is not null;
create index call_log_by_phone on call_log (phone, at_micros) where phone <> '';
