-- Version 9: every new data version is announced on the channel `tally_changes`
-- (delivered when its transaction commits), so the servers whose pages listen learn
-- of another instance's write at once instead of at their next poll of `changes`.
-- Whoever writes a version announces it: ingest, CRM actions, rebuilds, the CLI.
-- Keep in step with the other backend's 0009.
create function tally_announce_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('tally_changes', new.version::text);
    return null;
end;
$$;

create trigger changes_announced after insert on changes
    for each row execute function tally_announce_change();
