//! Telling people when it matters: finding the notices due (`tally_core::notice`) after
//! each change, recording each once with its recipients' inbox copies, and each
//! person's inbox (the pages' bell).
//!
//! Finding runs in the background, after commits, never in the path of ingest: one
//! round at most every [`ROUND`] when the data or the organisation changed, and every
//! minute in any case (a pace check time passes, a period closes). A round computes
//! each active goal's current periods like the goal view does and keeps the notices it
//! has not seen yet; the store's unique key makes each told once, even when two
//! instances find it at once. A finder that starts reads the keys already recorded, so
//! that a restart or a new instance does not write them all again under the write lock
//! (which would hold up every instance's ingest meanwhile).

use crate::app::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;
use tally_core::goal::period_holding;
use tally_core::notice::{self, Notice, NoticeKey, NoticeKind, NoticeSettings};
use tally_core::views::{Compare, Subject, plan_goal};
use tally_core::{Day, Role};
use tally_store::{ClosedResult, EmailChoice, InboxItem, NoticeRecord};

/// The shortest time between two rounds while the data keeps changing.
pub const ROUND: Duration = Duration::from_secs(1);

/// A round runs at least this often, changes or not.
const ALWAYS: Duration = Duration::from_secs(60);

/// Where the settings are kept (the store's `meta`).
const SETTINGS: &str = "notices";

/// Period results are told for periods that ended at most this many days ago: closing
/// a goal that starts in the past records years of results, which are history, not news.
const RESULT_DAYS: i32 = 2;

/// The most notices a person's inbox lists.
pub const INBOX_SIZE: i64 = 100;

/// How long a finder remembers a notice after its period ends: past it, a period's
/// notices are never found again.
const REMEMBERED_DAYS: i32 = 40;

/// What one instance's rounds remember: the notices already recorded (read from the
/// store on the first round, then each round's), and the last period result looked at.
#[derive(Default)]
pub struct Finder {
    seen: HashSet<NoticeKey>,
    read_recorded: bool,
    results_after: Option<i64>,
}

impl App {
    /// The notice settings in force.
    pub async fn notice_settings(&self) -> Result<NoticeSettings> {
        let Some(stored) = self.store().meta(SETTINGS).await? else {
            return Ok(NoticeSettings::default());
        };
        let json: Value = serde_json::from_str(&stored)
            .map_err(|e| Error::internal("reading the notice settings", e))?;
        let milestones = json["milestones"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|m| m.as_u64())
                    .filter_map(|m| u32::try_from(m).ok())
                    .collect()
            })
            .unwrap_or_default();
        let minute = |name: &str, default: u32| {
            json[name]
                .as_u64()
                .map_or(Some(default), |m| u32::try_from(m).ok())
                .unwrap_or(u32::MAX)
        };
        let defaults = NoticeSettings::default();
        NoticeSettings::new(
            milestones,
            minute("pace_check_minute", u32::MAX),
            minute("digest_minute", defaults.digest_minute),
        )
        .map_err(|e| Error::internal("reading the notice settings", e))
    }

    /// Changes the milestones (percents, such as `50, 90, 100`), the pace check time
    /// and the digest time (`HH:MM`, local; an empty digest time keeps the one in
    /// force): owners and admins.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn change_notice_settings(
        &self,
        caller: &Caller,
        milestones: &str,
        pace_check: &str,
        digest: &str,
    ) -> Result<NoticeSettings> {
        caller.require(&[Role::Owner, Role::Admin], "change the settings")?;
        let percents: Option<Vec<u32>> = milestones
            .split([',', ' ', ';'])
            .filter(|p| !p.is_empty())
            .map(|p| p.trim_end_matches('%').parse().ok())
            .collect();
        let percents = percents
            .ok_or_else(|| Error::invalid("milestones", "must be percents such as 50, 90, 100"))?;
        let time = |field: &'static str, text: &str| {
            parse_time_of_day(text)
                .ok_or_else(|| Error::invalid(field, "must be a time of day HH:MM"))
        };
        let pace_minute = time("pace_check", pace_check)?;
        let digest_minute = match digest.trim() {
            "" => self.notice_settings().await?.digest_minute,
            typed => time("digest_time", typed)?,
        };
        let settings = NoticeSettings::new(percents, pace_minute, digest_minute)
            .map_err(|e| Error::invalid("milestones", e))?;
        let stored = json!({
            "milestones": settings.milestones,
            "pace_check_minute": settings.pace_check_minute,
            "digest_minute": settings.digest_minute,
        });
        self.store()
            .set_setting(SETTINGS, &stored.to_string())
            .await?;
        Ok(settings)
    }

    /// One round: the notices due now that `finder` has not seen, recorded with their
    /// recipients; returns those recorded by this round.
    #[tracing::instrument(skip_all)]
    pub async fn find_notices(&self, finder: &mut Finder) -> Result<Vec<NoticeRecord>> {
        let now = self.now().await?;
        let settings = self.notice_settings().await?;
        let calendar = &self.org().calendar;
        let at = jiff::Timestamp::now();
        let today = calendar.day_of(at);
        let time = at.to_zoned_datetime(calendar.time_zone().clone()).time();
        let minute =
            u32::from(time.hour().unsigned_abs()) * 60 + u32::from(time.minute().unsigned_abs());
        let pace_due = minute >= settings.pace_check_minute;
        if minute >= settings.digest_minute {
            self.store().queue_digests(today.plus(-1)).await?;
        }
        if !finder.read_recorded {
            let oldest = today.plus(-REMEMBERED_DAYS);
            finder
                .seen
                .extend(self.store().notice_keys_since(oldest).await?);
            finder.read_recorded = true;
        }
        let mut found = Vec::new();
        for goal in now.directory.goals_open_on(today) {
            let kinds: BTreeSet<_> = goal.spec.criteria.iter().map(|c| c.period).collect();
            let shortest = kinds.first().copied();
            for kind in kinds {
                let period = period_holding(kind, today, |d| calendar.week_of(d));
                let ctx = self.context(&now.directory, period, Compare::Previous);
                let plan = plan_goal(&ctx, &goal.record.id, &goal.spec);
                let values = self.values(&now, &plan.groups(), &plan.metrics()).await?;
                let progress = plan.finish(&ctx, &values);
                let id = &goal.record.id;
                found.extend(notice::milestones(
                    id,
                    &progress.rows,
                    kind,
                    period,
                    &settings,
                ));
                if pace_due {
                    found.extend(notice::paces(id, &progress.rows, kind, period));
                }
                if Some(kind) == shortest {
                    found.extend(notice::leaderboard(id, &progress.scores, period));
                }
            }
        }
        found.extend(self.closed_results(finder, today).await?);
        found.retain(|n| !finder.seen.contains(&n.key));
        let roster = &now.directory.roster;
        let passed = highest_milestones(&found);
        let told: Vec<(Notice, Vec<String>)> = found
            .into_iter()
            .map(|n| {
                let quiet = n.key.kind == NoticeKind::Milestone && !passed.contains(&n.key);
                let people = match quiet {
                    true => Vec::new(),
                    false => notice::recipients(&n.key, roster, today)
                        .into_iter()
                        .collect(),
                };
                (n, people)
            })
            .collect();
        let recorded = self.store().record_notices(&told).await?;
        finder.seen.extend(told.into_iter().map(|(n, _)| n.key));
        let oldest = today.plus(-REMEMBERED_DAYS);
        finder.seen.retain(|k| k.period.to >= oldest);
        Ok(recorded)
    }

    /// The period results frozen since the last round, for periods that ended lately.
    async fn closed_results(&self, finder: &mut Finder, today: Day) -> Result<Vec<Notice>> {
        const DAY: i64 = 24 * 3_600 * 1_000_000;
        // A close that commits just after a round may have frozen its results a moment
        // before: look a little behind the newest seen (the keys tell what was told).
        const MARGIN: i64 = 5_000_000;
        let after = finder.results_after.unwrap_or_else(|| {
            jiff::Timestamp::now().as_microsecond() - i64::from(RESULT_DAYS) * DAY
        });
        let Some(newest) = self.store().newest_result_closed_at().await? else {
            return Ok(Vec::new());
        };
        if newest <= after {
            return Ok(Vec::new());
        }
        let recent = today.plus(-RESULT_DAYS);
        let closed = self.store().results_closed_after(after, recent).await?;
        finder.results_after = Some((newest - MARGIN).max(after));
        Ok(closed.into_iter().filter_map(result_notice).collect())
    }

    /// Finds notices after changes until the server stops: a round at most every
    /// [`ROUND`] while the data or the organisation moves, and every minute anyway.
    pub async fn keep_finding_notices(self) {
        let mut finder = Finder::default();
        let mut tick = tokio::time::interval(ROUND);
        let mut seen_versions = None;
        let mut last_round = tokio::time::Instant::now() - ALWAYS;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.shutdown().clone().wait() => return,
            }
            let versions = self.store().versions().await.ok().map(|v| (v.data, v.org));
            let moved = versions.is_some() && versions != seen_versions;
            if !moved && last_round.elapsed() < ALWAYS {
                continue;
            }
            last_round = tokio::time::Instant::now();
            let started = std::time::Instant::now();
            match self.find_notices(&mut finder).await {
                Ok(recorded) => {
                    seen_versions = versions;
                    let took_ms = started.elapsed().as_millis();
                    if !recorded.is_empty() {
                        tracing::info!(notices = recorded.len(), took_ms, "notices recorded");
                    }
                    tracing::debug!(took_ms, "a round of finding notices");
                }
                Err(e) => tracing::warn!(error = %e, "finding notices failed; will retry"),
            }
        }
    }

    /// The caller's latest notices, newest first.
    pub async fn inbox(&self, caller: &Caller) -> Result<Vec<InboxItem>> {
        Ok(self.store().inbox(caller.person()?, INBOX_SIZE).await?)
    }

    /// How many of the caller's notices are unread (none for a caller who is nobody).
    pub async fn unread_notices(&self, caller: &Caller) -> Result<i64> {
        match &caller.user_id {
            Some(user) => Ok(self.store().unread_notices(user).await?),
            None => Ok(0),
        }
    }

    /// What the caller receives by email.
    pub async fn email_choice(&self, caller: &Caller) -> Result<EmailChoice> {
        Ok(self.store().email_choice(caller.person()?).await?)
    }

    /// Chooses the kinds of notices the caller receives by email, and the language.
    pub async fn set_email_choice(&self, caller: &Caller, choice: &EmailChoice) -> Result<()> {
        if !["vi", "en"].contains(&choice.lang.as_str()) {
            return Err(Error::invalid("lang", "must be vi or en"));
        }
        Ok(self
            .store()
            .set_email_choice(caller.person()?, choice)
            .await?)
    }

    /// Marks the caller's notices read.
    pub async fn read_notices(&self, caller: &Caller) -> Result<()> {
        Ok(self.store().read_notices(caller.person()?).await?)
    }
}

/// Of the milestones found at once for a row (50, 90 and 100 % by one big deal), the
/// highest: the only one told; the lower ones are recorded quiet.
fn highest_milestones(found: &[Notice]) -> HashSet<NoticeKey> {
    let mut highest: HashMap<NoticeKey, (u32, &NoticeKey)> = HashMap::new();
    for n in found.iter().filter(|n| n.key.kind == NoticeKind::Milestone) {
        let percent = n.key.mark.parse().unwrap_or(0);
        let row = NoticeKey {
            mark: String::new(),
            ..n.key.clone()
        };
        let best = highest.entry(row).or_insert((percent, &n.key));
        if percent >= best.0 {
            *best = (percent, &n.key);
        }
    }
    highest.into_values().map(|(_, key)| key.clone()).collect()
}

/// A frozen result as a period-result notice; none if it cannot be read.
fn result_notice(closed: ClosedResult) -> Option<Notice> {
    let r = closed.result;
    let subject = match r.subject_kind.as_str() {
        "team" => Subject::Team(r.subject_id),
        _ => Subject::User(r.subject_id),
    };
    Some(Notice {
        key: NoticeKey {
            kind: NoticeKind::PeriodResult,
            goal_id: closed.goal_id,
            metric: Some(r.metric),
            period: r.period,
            subject,
            mark: notice::result_mark(r.achieved).to_owned(),
        },
        actual: Decimal::from_i128_with_scale(r.actual, 0),
        target: r.target.parse().ok()?,
    })
}

/// `HH:MM` as minutes after midnight.
fn parse_time_of_day(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60 && minutes.to_string().len() <= 2).then_some(hours * 60 + minutes)
}

#[cfg(test)]
mod tests {
    use super::parse_time_of_day;

    #[test]
    fn a_time_of_day_is_hours_and_minutes() {
        assert_eq!(parse_time_of_day("14:00"), Some(840));
        assert_eq!(parse_time_of_day("7:05"), Some(425));
        assert_eq!(parse_time_of_day("24:00"), None);
        assert_eq!(parse_time_of_day("12:60"), None);
        assert_eq!(parse_time_of_day("noon"), None);
    }
}
