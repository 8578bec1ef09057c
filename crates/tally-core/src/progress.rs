//! Progress against a target: completion, grade, weighted score, rank and pace.
//!
//! Completion = actual / target (`spec/metrics.md`). The thresholds are the
//! organization's [`Scoring`] settings; the defaults are the spec's grades
//! (A ≥ 100 %, B ≥ 80 %, C ≥ 50 %, D below), a score cap of 120 %, and pace
//! `on_track` from 100 % of the expected-by-now, `at_risk` from 80 %.

use crate::calendar::Day;
use crate::dayset::DaySet;
use rust_decimal::Decimal;
use std::fmt;

/// The organization's thresholds, as fractions (1 = 100 %).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scoring {
    pub grade_a: Decimal,
    pub grade_b: Decimal,
    pub grade_c: Decimal,
    /// A criterion's completion counts at most this much in a weighted score.
    pub score_cap: Decimal,
    pub pace_on_track: Decimal,
    pub pace_at_risk: Decimal,
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            grade_a: Decimal::ONE,
            grade_b: Decimal::new(8, 1),
            grade_c: Decimal::new(5, 1),
            score_cap: Decimal::new(12, 1),
            pace_on_track: Decimal::ONE,
            pace_at_risk: Decimal::new(8, 1),
        }
    }
}

/// The names of the settings, in the order of [`Scoring::get`].
pub const SCORING_KEYS: [&str; 6] = [
    "grade_a",
    "grade_b",
    "grade_c",
    "score_cap",
    "pace_on_track",
    "pace_at_risk",
];

impl Scoring {
    /// One setting by name.
    pub fn get(&self, key: &str) -> Option<Decimal> {
        Some(match key {
            "grade_a" => self.grade_a,
            "grade_b" => self.grade_b,
            "grade_c" => self.grade_c,
            "score_cap" => self.score_cap,
            "pace_on_track" => self.pace_on_track,
            "pace_at_risk" => self.pace_at_risk,
            _ => return None,
        })
    }

    /// Sets one setting by name; false when there is no such setting.
    pub fn set(&mut self, key: &str, value: Decimal) -> bool {
        let slot = match key {
            "grade_a" => &mut self.grade_a,
            "grade_b" => &mut self.grade_b,
            "grade_c" => &mut self.grade_c,
            "score_cap" => &mut self.score_cap,
            "pace_on_track" => &mut self.pace_on_track,
            "pace_at_risk" => &mut self.pace_at_risk,
            _ => return false,
        };
        *slot = value;
        true
    }

    /// Why these thresholds make no sense together, if they do not.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if !(self.grade_a > self.grade_b
            && self.grade_b > self.grade_c
            && self.grade_c > Decimal::ZERO)
        {
            return Err((
                "grade_b",
                "grades must descend: grade_a > grade_b > grade_c > 0".into(),
            ));
        }
        if self.score_cap < Decimal::ONE {
            return Err(("score_cap", "must be at least 1 (100 %)".into()));
        }
        if !(self.pace_on_track > self.pace_at_risk && self.pace_at_risk > Decimal::ZERO) {
            return Err((
                "pace_at_risk",
                "must be above 0 and below pace_on_track".into(),
            ));
        }
        Ok(())
    }

    /// The grade of a completion (or of a weighted score).
    pub fn grade(&self, completion: Decimal) -> Grade {
        if completion >= self.grade_a {
            Grade::A
        } else if completion >= self.grade_b {
            Grade::B
        } else if completion >= self.grade_c {
            Grade::C
        } else {
            Grade::D
        }
    }

    /// Σ share × min(completion, cap) over a goal's criteria, for one assignee.
    /// A criterion with no completion (a zero target) counts as fully met.
    pub fn score(&self, parts: &[(Decimal, Option<Decimal>)]) -> Decimal {
        parts
            .iter()
            .map(|(share, completion)| {
                *share * completion.unwrap_or(Decimal::ONE).min(self.score_cap)
            })
            .sum()
    }

    /// The pace status for an actual against the target expected by now.
    pub fn pace_status(&self, actual: Decimal, expected: Decimal) -> PaceStatus {
        if expected <= Decimal::ZERO {
            return PaceStatus::OnTrack;
        }
        let ratio = actual / expected;
        if ratio >= self.pace_on_track {
            PaceStatus::OnTrack
        } else if ratio >= self.pace_at_risk {
            PaceStatus::AtRisk
        } else {
            PaceStatus::Behind
        }
    }
}

/// A letter grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// actual / target, or none when there is no target to compare with.
pub fn completion(actual: Decimal, target: Decimal) -> Option<Decimal> {
    (target > Decimal::ZERO).then(|| actual / target)
}

/// Ranks by value, highest first; equal values share a rank and the next rank skips
/// ("1, 1, 3"). Rows with no value are not ranked.
pub fn ranks(values: &[Option<Decimal>]) -> Vec<Option<u32>> {
    let mut sorted: Vec<Decimal> = values.iter().flatten().copied().collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    values
        .iter()
        .map(|value| {
            value.map(|v| {
                // The number of values above v: where v first appears, highest first.
                let above = sorted.partition_point(|other| *other > v);
                u32::try_from(above).unwrap_or(u32::MAX).saturating_add(1)
            })
        })
        .collect()
}

/// Where a range that holds today stands: what was expected by now, where the current
/// rate leads by the end, and the status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pace {
    pub expected: Decimal,
    pub projected: Decimal,
    pub status: PaceStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaceStatus {
    OnTrack,
    AtRisk,
    Behind,
}

impl PaceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaceStatus::OnTrack => "on_track",
            PaceStatus::AtRisk => "at_risk",
            PaceStatus::Behind => "behind",
        }
    }
}

/// The pace of `actual` over the days a target applies, at `elapsed_today` (0..=1) of
/// the local day `today`; none unless today is one of those days.
///
/// Expected-by-now is the pro-rated target of the days before today plus the elapsed
/// share of today's. The projection extends the actual at its rate so far (per elapsed
/// day) to all the days.
pub fn pace(
    actual: Decimal,
    days: &DaySet,
    today: Day,
    elapsed_today: Decimal,
    target_of: impl Fn(&DaySet) -> Decimal,
    scoring: &Scoring,
) -> Option<Pace> {
    if !days.contains(today) {
        return None;
    }
    let before = days.before(today);
    let today_only = DaySet::of(crate::calendar::DayRange::single(today));
    let expected = target_of(&before) + target_of(&today_only) * elapsed_today;
    let elapsed_days = Decimal::from(before.len()) + elapsed_today;
    let projected = if elapsed_days.is_zero() {
        actual
    } else {
        actual * Decimal::from(days.len()) / elapsed_days
    };
    Some(Pace {
        expected,
        projected,
        status: scoring.pace_status(actual, expected),
    })
}
