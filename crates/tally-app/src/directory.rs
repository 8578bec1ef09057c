//! The organisation in memory: its people, teams, memberships and supervisors (a
//! [`Roster`]), its custom metrics, every goal with its definition parsed once (its
//! criteria may name the custom metrics), each person's extensions, and the scoring
//! settings — loaded in one snapshot and kept at the version the
//! database says, so that a view whose data did not change reads nothing but that
//! version (see `App::now`).

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use tally_core::custom::CustomMetric;
use tally_core::progress::Scoring;
use tally_core::{Currency, Day, DayRange, GoalSpec, Roster};
use tally_store::{GoalRecord, OrgSnapshot, StoredMetric};

/// A stored goal with its definition parsed.
#[derive(Clone, Debug)]
pub struct Goal {
    pub record: GoalRecord,
    pub spec: GoalSpec,
}

/// The organisation at one version.
#[derive(Debug, Default)]
pub struct Directory {
    pub version: i64,
    pub roster: Roster,
    /// Each user's extensions besides their main one, by user key.
    pub extensions: HashMap<i64, Vec<String>>,
    /// Every goal that could be read, archived ones included, ordered by id.
    pub goals: Vec<Goal>,
    pub scoring: Scoring,
    /// The custom metrics as stored, by key (how far their histories are counted is
    /// as of the snapshot).
    pub custom: Vec<StoredMetric>,
    /// Their definitions, in the same order: what a goal's criterion may name.
    pub custom_definitions: Vec<Arc<CustomMetric>>,
}

impl Directory {
    /// The directory of a snapshot; a goal whose stored definition cannot be read is
    /// left out (and said in the log).
    pub fn of(snapshot: OrgSnapshot, currency: &Currency) -> Directory {
        let custom_definitions: Vec<Arc<CustomMetric>> = snapshot
            .custom_metrics
            .iter()
            .map(|m| Arc::new(m.metric.clone()))
            .collect();
        let goals = snapshot
            .goals
            .into_iter()
            .filter_map(|record| match definition_spec(&record.definition, currency, &custom_definitions) {
                Ok(spec) => Some(Goal { record, spec }),
                Err(e) => {
                    tracing::error!(goal = %record.id, error = %e, "a stored goal cannot be read; it is left out");
                    None
                }
            })
            .collect();
        Directory {
            version: snapshot.version,
            roster: Roster::new(
                snapshot.users,
                snapshot.teams,
                snapshot.memberships,
                snapshot.supervisors,
            ),
            extensions: snapshot.extensions,
            goals,
            scoring: scoring_of(snapshot.scoring.as_deref()),
            custom: snapshot.custom_metrics,
            custom_definitions,
        }
    }

    /// A stored custom metric by key.
    pub fn custom_metric(&self, key: &str) -> Option<&StoredMetric> {
        self.custom.iter().find(|m| m.metric.key == key)
    }

    /// A stored goal definition (of any revision), parsed with the custom metrics.
    pub fn spec_of(&self, definition: &str, currency: &Currency) -> Result<GoalSpec, String> {
        definition_spec(definition, currency, &self.custom_definitions)
    }

    /// A goal by id (archived or not).
    pub fn goal(&self, id: &str) -> Option<&Goal> {
        self.goals
            .binary_search_by(|g| g.record.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.goals[i])
    }

    /// The goals that are not archived.
    pub fn current_goals(&self) -> impl Iterator<Item = &Goal> {
        self.goals.iter().filter(|g| g.record.archived_at.is_none())
    }

    /// The goals that are not archived and apply on `day`.
    pub fn goals_open_on(&self, day: Day) -> impl Iterator<Item = &Goal> {
        self.current_goals()
            .filter(move |g| g.spec.active_within(DayRange::single(day)).is_some())
    }
}

/// A stored definition (of any revision), parsed; its criteria may name `custom`.
fn definition_spec(
    definition: &str,
    currency: &Currency,
    custom: &[Arc<CustomMetric>],
) -> Result<GoalSpec, String> {
    let value: Value = serde_json::from_str(definition).map_err(|e| e.to_string())?;
    let map = value.as_object().ok_or("not an object")?;
    GoalSpec::parse(map, currency, custom, Day::from_number(0)).map_err(|e| e.to_string())
}

/// The scoring settings: the defaults, overridden by what was stored.
pub fn scoring_of(stored: Option<&str>) -> Scoring {
    let mut scoring = Scoring::default();
    let stored: Map<String, Value> = stored
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    for (key, value) in stored {
        if let Some(d) = value.as_str().and_then(|s| Decimal::from_str(s).ok()) {
            scoring.set(&key, d);
        }
    }
    scoring
}
