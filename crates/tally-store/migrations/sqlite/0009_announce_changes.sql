-- Version 9: PostgreSQL announces every new data version with NOTIFY (see the other
-- backend's 0009). SQLite serves one server, which knows its own writes; the few
-- writes of other processes (the CLI) are caught by the live pages' poll. Nothing to
-- change here: the version number stays in step.
select 1;
