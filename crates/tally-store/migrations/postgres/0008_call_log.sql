-- Version 8: the call log, one row per `call` event, for the pages that list calls (by
-- person and day, by customer and number) without reading the whole event log. Written
-- with the event, in the same transaction; filled here from the calls already stored.
-- `phone` is the other side's number as normalised when the call was received (empty
-- when none). Keep in step with the other backend's 0008.
create table call_log (
    event_id text primary key,
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
create index call_log_by_customer on call_log (customer_id, at_micros);
create index call_log_by_phone on call_log (phone, at_micros);
insert into call_log
select id, user_id, body::jsonb ->> 'customer_id', coalesce(body::jsonb ->> 'phone', ''),
       at_micros, day, body::jsonb ->> 'direction',
       case when (body::jsonb ->> 'answered')::boolean then 1 else 0 end,
       coalesce((body::jsonb ->> 'talk_seconds')::bigint, 0)
from events where type = 'call';
