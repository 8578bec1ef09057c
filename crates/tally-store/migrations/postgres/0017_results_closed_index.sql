-- Version 17: the notices' finder asks, every round while data moves, for the period
-- results frozen since its last look; without an index that read scans every result
-- ever frozen, which grows with the history. Keep in step with the other backend's 0017.
create index goal_results_closed on goal_results (closed_at);
