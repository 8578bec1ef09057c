//! The daily digest: each morning, for those who chose it, the day before as the goal
//! view shows it — every goal they see, the people and teams they see in it, each
//! criterion's actual against its target for that day — and, on the day after a week
//! or a month ends, that whole period too. Queued once per person and day when the
//! organisation's digest time passes (the store's unique key); written when sent, from
//! the figures of then, so that late events of the day are in it.

use crate::app::App;
use crate::caller::Caller;
use crate::error::Result;
use crate::views::{ProgressView, visible};
use std::collections::BTreeSet;
use tally_core::goal::period_holding;
use tally_core::views::{Compare, Subject};
use tally_core::{Day, DayRange, PeriodKind};

/// What a person's digest of a day holds: each goal's view over the day, then over
/// the weeks and months that ended that day; only views with rows.
#[derive(Clone, Debug)]
pub struct Digest {
    pub day: Day,
    pub views: Vec<ProgressView>,
}

impl App {
    /// `user_id`'s digest of `day`: what they see of each goal active that day. Empty
    /// for a person no longer active.
    #[tracing::instrument(skip_all, fields(user = user_id, %day))]
    pub async fn digest(&self, user_id: &str, day: Day) -> Result<Digest> {
        let now = self.now().await?;
        let mut digest = Digest {
            day,
            views: Vec::new(),
        };
        let Some(user) = now.directory.roster.user(user_id).filter(|u| u.active) else {
            return Ok(digest);
        };
        let scope = self.read_scope(&Caller::of_user(user), &now.directory);
        let calendar = &self.org().calendar;
        let seen = now.directory.goals_open_on(day);
        for goal in seen.filter(|g| scope.sees_goal(&g.spec)) {
            let kinds: BTreeSet<PeriodKind> = goal.spec.criteria.iter().map(|c| c.period).collect();
            let ended = kinds
                .into_iter()
                .filter(|kind| *kind != PeriodKind::Day)
                .map(|kind| period_holding(kind, day, |d| calendar.week_of(d)))
                .filter(|period| period.to == day);
            for range in std::iter::once(DayRange::single(day)).chain(ended) {
                let keep = |s: &Subject| visible(&scope, s);
                let view = self
                    .one_goal_view(&now, goal, range, Compare::Previous, keep)
                    .await?;
                if !view.rows.is_empty() {
                    digest.views.push(view);
                }
            }
        }
        Ok(digest)
    }
}
