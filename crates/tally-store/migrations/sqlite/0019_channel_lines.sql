-- Version 19: the phone lines of the sales channels. A line is a number customers call
-- (a DID) or a queue of the PBX; an inbound call imported through it names the
-- channel. A line belongs to one channel at most (the key). Keep in step with the
-- other backend's 0019.
create table channel_lines (
    line text primary key,
    channel text not null references channels (id)
);
