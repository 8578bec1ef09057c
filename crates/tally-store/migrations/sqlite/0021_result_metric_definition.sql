-- Version 21: a frozen result of a custom metric keeps that metric's definition as it
-- was when the period closed (its names, unit and what it counts), so editing the
-- metric later changes neither the result nor how it reads. Null for the built-in
-- metrics, which never change. Keep in step with the other backend's 0021.
alter table goal_results add column metric_definition text;
