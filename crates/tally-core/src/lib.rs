//! Tally's pure domain: everything that decides a KPI number, with no I/O and no async.
//!
//! The flow (see `design.md`): anything from outside is parsed into a typed
//! [`Event`](event::Event); [`apply`](apply::apply) checks it against the current
//! [`State`](state::State) and returns its [`Contribution`](apply::Contribution)s;
//! [`Rollups`](rollup::Rollups) sum them; reports read sums and distinct marks over a
//! [`DayRange`](calendar::DayRange) of the organization's [`Calendar`](calendar::Calendar).

pub mod access;
pub mod apply;
pub mod batch;
pub mod calendar;
pub mod custom;
pub mod dayset;
pub mod event;
pub mod goal;
pub mod measure;
pub mod metric;
pub mod money;
pub mod notice;
#[cfg(feature = "oracle")]
pub mod oracle;
pub mod org;
pub mod phone;
pub mod progress;
pub mod quantity;
pub mod role;
pub mod rollup;
pub mod state;
pub mod views;

pub use apply::{Contribution, Organization, Rejection, apply};
pub use calendar::{Calendar, Day, DayRange, Period};
pub use dayset::DaySet;
pub use event::{Event, EventKind, FieldError};
pub use goal::{Assignee, Criterion, GoalSpec, PeriodKind, TeamMode};
pub use measure::Measure;
pub use metric::Metric;
pub use money::Currency;
pub use org::{MembershipRecord, Roster, Team, User};
pub use progress::{Grade, Pace, PaceStatus, Scoring};
pub use quantity::{Number, Quantity};
pub use role::Role;
pub use rollup::{Membership, Rollups, Values};
pub use state::State;
