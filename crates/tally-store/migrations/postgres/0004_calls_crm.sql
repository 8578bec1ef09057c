-- Version 4: phone extensions, call records from the PBX, and the mini-CRM's records.
-- Keep in step with the other backend's 0004.

-- More extensions of a user, besides users.extension: each maps to one user.
create table extensions (
    extension text primary key,
    user_key bigint not null references users (key)
);

-- Every call record received from a PBX, by source and unique id, and what became of
-- it: counted (its call event), internal (not counted), unmapped (kept aside until its
-- extension is mapped), rejected (the event was refused: the reason says why).
create table call_records (
    source text not null,
    uid text not null,
    status text not null,
    reason text,
    record text not null,
    event_id text,
    received_at bigint not null,
    primary key (source, uid)
);
create index call_records_by_status on call_records (status);

-- Mini-CRM records (customers, notes, opportunities, to-dos, meetings, messages): the
-- record as JSON, with the columns lists filter, search and sort on.
create table crm_records (
    kind text not null,
    id text not null,
    customer_id text,
    owner_id text,
    sort_name text not null,
    search text not null,
    body text not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (kind, id)
);
create index crm_records_by_customer on crm_records (kind, customer_id);

-- Customers' phones, normalised, to find who is calling.
create table customer_phones (
    phone text not null,
    customer_id text not null,
    primary key (phone, customer_id)
);
