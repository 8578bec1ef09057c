//! Goals and progress: pro-rating, pace, weighted scores, grades and ranks.

#![allow(clippy::unwrap_used)]

use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;
use tally_core::goal::{periods_covering, prorated_target};
use tally_core::progress::{completion, pace, ranks};
use tally_core::{
    Assignee, Calendar, Currency, Day, DayRange, DaySet, GoalSpec, Grade, PaceStatus, PeriodKind,
    Scoring, TeamMode,
};

fn day(s: &str) -> Day {
    s.parse().unwrap()
}

fn days(from: &str, to: &str) -> DaySet {
    DaySet::of(DayRange::new(day(from), day(to)).unwrap())
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn target(t: &str, kind: PeriodKind, set: &DaySet) -> Decimal {
    prorated_target(dec(t), kind, set)
}

#[test]
fn a_whole_period_of_the_goals_kind_gets_exactly_the_target() {
    assert_eq!(
        target("20", PeriodKind::Day, &days("2026-11-27", "2026-11-27")),
        dec("20")
    );
    assert_eq!(
        target("100", PeriodKind::Week, &days("2026-11-23", "2026-11-29")),
        dec("100")
    );
    for (from, to) in [
        ("2026-02-01", "2026-02-28"),
        ("2024-02-01", "2024-02-29"),
        ("2026-04-01", "2026-04-30"),
        ("2026-12-01", "2026-12-31"),
    ] {
        assert_eq!(
            target("3000", PeriodKind::Month, &days(from, to)),
            dec("3000"),
            "{from}"
        );
    }
}

#[test]
fn a_day_target_is_multiplied_by_the_days_of_the_range() {
    assert_eq!(
        target("20", PeriodKind::Day, &days("2026-11-01", "2026-11-30")),
        dec("600")
    );
    assert_eq!(
        target("20", PeriodKind::Day, &days("2026-11-23", "2026-11-29")),
        dec("140")
    );
}

#[test]
fn a_week_target_is_days_over_seven_also_across_a_month_end() {
    // Monday 2026-11-30 to Sunday 2026-12-06 is one whole week across the month end.
    assert_eq!(
        target("70", PeriodKind::Week, &days("2026-11-30", "2026-12-06")),
        dec("70")
    );
    assert_eq!(
        target("70", PeriodKind::Week, &days("2026-11-30", "2026-12-02")),
        dec("30")
    );
    assert_eq!(
        target("70", PeriodKind::Week, &days("2026-11-01", "2026-11-30")),
        dec("300")
    );
    let one_day = target("100", PeriodKind::Week, &days("2026-11-27", "2026-11-27"));
    assert_eq!(one_day.round_dp(6), dec("14.285714"));
}

#[test]
fn a_month_target_is_pro_rated_month_by_month_by_each_months_length() {
    // 10 days of a 30-day month.
    assert_eq!(
        target("300", PeriodKind::Month, &days("2026-11-01", "2026-11-10")),
        dec("100")
    );
    // February: 28 days, 29 in a leap year.
    assert_eq!(
        target("280", PeriodKind::Month, &days("2026-02-01", "2026-02-07")),
        dec("70")
    );
    assert_eq!(
        target("290", PeriodKind::Month, &days("2024-02-01", "2024-02-10")),
        dec("100")
    );
    // A week across a month end: 1 day of November (30) + 6 of December (31).
    let across = target("930", PeriodKind::Month, &days("2026-11-30", "2026-12-06"));
    assert_eq!(across, dec("31") + dec("180"));
    // Two whole months and a half.
    let long = target("100", PeriodKind::Month, &days("2026-01-01", "2026-03-16"));
    assert_eq!(
        long.round_dp(10),
        (dec("200") + dec("100") * dec("16") / dec("31")).round_dp(10)
    );
    // A week target pro-rated the same way gives the same as a day share of it.
    assert_eq!(
        target("70", PeriodKind::Week, &days("2026-11-30", "2026-12-06")),
        dec("70")
    );
}

#[test]
fn a_goal_active_for_part_of_the_range_gets_the_target_of_its_active_days() {
    let mut spec = goal(json!({"starts_on": "2026-11-16", "ends_on": "2026-11-20"}));
    let range = DayRange::new(day("2026-11-01"), day("2026-11-30")).unwrap();
    let active = spec.active_within(range).unwrap();
    assert_eq!(
        active,
        DayRange::new(day("2026-11-16"), day("2026-11-20")).unwrap()
    );
    assert_eq!(
        target("300", PeriodKind::Month, &DaySet::of(active)),
        dec("50")
    );
    spec.ends_on = None;
    assert_eq!(spec.active_within(range).unwrap().len(), 15);
    let before = DayRange::new(day("2026-10-01"), day("2026-10-31")).unwrap();
    assert_eq!(spec.active_within(before), None);
}

#[test]
fn membership_days_split_a_set_and_pro_rate_by_each_piece() {
    let mut set = days("2026-11-01", "2026-11-05");
    set.insert(DayRange::new(day("2026-11-21"), day("2026-11-30")).unwrap());
    assert_eq!(target("300", PeriodKind::Month, &set), dec("150"));
    assert_eq!(target("7", PeriodKind::Week, &set), dec("15"));
}

#[test]
fn periods_covering_a_range_are_whole_periods() {
    let calendar = Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap();
    let range = DayRange::new(day("2026-11-27"), day("2026-12-02")).unwrap();
    let weeks = periods_covering(PeriodKind::Week, range, |d| calendar.week_of(d));
    assert_eq!(
        weeks,
        [
            DayRange::new(day("2026-11-23"), day("2026-11-29")).unwrap(),
            DayRange::new(day("2026-11-30"), day("2026-12-06")).unwrap()
        ]
    );
    let months = periods_covering(PeriodKind::Month, range, |d| calendar.week_of(d));
    assert_eq!(months.len(), 2);
    assert_eq!(
        months[1],
        DayRange::new(day("2026-12-01"), day("2026-12-31")).unwrap()
    );
    assert_eq!(
        periods_covering(PeriodKind::Day, range, |d| calendar.week_of(d)).len(),
        6
    );
}

#[test]
fn grades_follow_the_thresholds_with_their_edges() {
    let scoring = Scoring::default();
    assert_eq!(scoring.grade(dec("1")), Grade::A);
    assert_eq!(scoring.grade(dec("1.5")), Grade::A);
    assert_eq!(scoring.grade(dec("0.9999")), Grade::B);
    assert_eq!(scoring.grade(dec("0.8")), Grade::B);
    assert_eq!(scoring.grade(dec("0.5")), Grade::C);
    assert_eq!(scoring.grade(dec("0.4999")), Grade::D);
    assert_eq!(scoring.grade(Decimal::ZERO), Grade::D);
    let strict = Scoring {
        grade_a: dec("1.1"),
        ..Scoring::default()
    };
    assert_eq!(strict.grade(dec("1")), Grade::B);
    assert!(strict.check().is_ok());
    let upside_down = Scoring {
        grade_b: dec("1.2"),
        ..Scoring::default()
    };
    assert!(upside_down.check().is_err());
}

#[test]
fn completion_is_actual_over_target_and_none_without_a_target() {
    assert_eq!(completion(dec("15"), dec("20")), Some(dec("0.75")));
    assert_eq!(completion(dec("30"), dec("20")), Some(dec("1.5")));
    assert_eq!(completion(dec("3"), Decimal::ZERO), None);
}

#[test]
fn the_weighted_score_caps_each_criterion() {
    let scoring = Scoring::default();
    let share = |w: &str| dec(w) / dec("100");
    // 60 % × min(1.5, 1.2) + 40 % × 0.5 = 0.72 + 0.2.
    let score = scoring.score(&[
        (share("60"), Some(dec("1.5"))),
        (share("40"), Some(dec("0.5"))),
    ]);
    assert_eq!(score, dec("0.92"));
    assert_eq!(scoring.grade(score), Grade::B);
    let capped = Scoring {
        score_cap: dec("1"),
        ..Scoring::default()
    };
    assert_eq!(
        capped.score(&[
            (share("60"), Some(dec("1.5"))),
            (share("40"), Some(dec("0.5")))
        ]),
        dec("0.8")
    );
    assert_eq!(
        scoring.score(&[(share("100"), Some(dec("0.25")))]),
        dec("0.25")
    );
}

#[test]
fn even_weights_when_none_are_given_and_a_sum_of_100_otherwise() {
    let spec = goal(json!({"criteria": [
        {"metric": "calls", "period": "day", "target": 10},
        {"metric": "meetings", "period": "week", "target": 2},
        {"metric": "revenue", "period": "month", "target": "1000000"}
    ]}));
    let weights: Vec<Decimal> = spec.criteria.iter().map(|c| c.weight).collect();
    assert_eq!(weights, [dec("33.3333"), dec("33.3333"), dec("33.3334")]);
    let shares: Decimal = spec.criteria.iter().map(|c| spec.weight_share(c)).sum();
    assert_eq!(shares, Decimal::ONE);
    // Stored and read back, the weights still sum to exactly 100.
    let json = spec.to_json(&Currency::default());
    let again = GoalSpec::parse(
        json.as_object().unwrap(),
        &Currency::default(),
        &[],
        day("2026-11-27"),
    );
    assert_eq!(again.unwrap(), spec);
    let scoring = Scoring::default();
    let parts: Vec<_> = spec
        .criteria
        .iter()
        .map(|c| (spec.weight_share(c), Some(Decimal::ONE)))
        .collect();
    assert_eq!(scoring.score(&parts).round_dp(20), Decimal::ONE);
    let error = parse(json!({"criteria": [
        {"metric": "calls", "period": "day", "target": 10, "weight": 60},
        {"metric": "meetings", "period": "week", "target": 2, "weight": 30}
    ]}))
    .unwrap_err();
    assert_eq!(error.field, "criteria");
    assert!(error.message.contains("90"), "{}", error.message);
}

#[test]
fn ranks_share_a_place_on_ties_and_skip_the_next() {
    let ranked = ranks(&[
        Some(dec("0.5")),
        Some(dec("0.9")),
        None,
        Some(dec("0.9")),
        Some(dec("0.1")),
    ]);
    assert_eq!(ranked, [Some(3), Some(1), None, Some(1), Some(4)]);
    assert_eq!(ranks(&[]), []);
}

#[test]
fn pace_expects_the_days_before_today_and_the_elapsed_share_of_today() {
    let scoring = Scoring::default();
    let week = days("2026-11-23", "2026-11-29");
    let today = day("2026-11-27"); // Friday: 4 days before it.
    let per_week = |set: &DaySet| prorated_target(dec("70"), PeriodKind::Week, set);
    let half = dec("0.5");
    let on = pace(dec("45"), &week, today, half, per_week, &scoring).unwrap();
    assert_eq!(on.expected, dec("45"));
    assert_eq!(on.status, PaceStatus::OnTrack);
    // 45 in 4.5 days is 10 a day: 70 by Sunday.
    assert_eq!(on.projected, dec("70"));
    let risk = pace(dec("36"), &week, today, half, per_week, &scoring).unwrap();
    assert_eq!(risk.status, PaceStatus::AtRisk);
    let behind = pace(dec("35.99"), &week, today, half, per_week, &scoring).unwrap();
    assert_eq!(behind.status, PaceStatus::Behind);
    // Not a range that holds today: no pace.
    assert!(
        pace(
            dec("1"),
            &days("2026-11-16", "2026-11-22"),
            today,
            half,
            per_week,
            &scoring
        )
        .is_none()
    );
    // At midnight of the first day nothing is expected yet.
    let start = pace(
        Decimal::ZERO,
        &week,
        day("2026-11-23"),
        Decimal::ZERO,
        per_week,
        &scoring,
    )
    .unwrap();
    assert_eq!(
        (start.expected, start.status),
        (Decimal::ZERO, PaceStatus::OnTrack)
    );
}

fn parse(extra: Value) -> Result<GoalSpec, tally_core::FieldError> {
    let mut body = json!({
        "name": "Telesales November",
        "criteria": [{"metric": "calls", "period": "day", "target": 40, "weight": 100}],
        "assignees": [{"user_id": "lan"}, {"team_id": "north", "mode": "team_total"}],
        "starts_on": "2026-11-01"
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    GoalSpec::parse(
        body.as_object().unwrap(),
        &Currency::default(),
        &[],
        day("2026-11-27"),
    )
}

fn goal(extra: Value) -> GoalSpec {
    parse(extra).unwrap()
}

#[test]
fn a_goal_definition_reads_back_the_same() {
    let spec = goal(json!({"criteria": [
        {"metric": "calls", "period": "day", "target": 40, "weight": 70},
        {"metric": "revenue", "period": "month", "target": "150000000", "weight": 30}
    ]}));
    assert_eq!(
        spec.assignees[1],
        Assignee::Team("north".into(), TeamMode::TeamTotal)
    );
    let json = spec.to_json(&Currency::default());
    assert_eq!(json["criteria"][1]["target"], "150000000");
    assert_eq!(json["criteria"][0]["target"], 40);
    let again = GoalSpec::parse(
        json.as_object().unwrap(),
        &Currency::default(),
        &[],
        day("2030-01-01"),
    )
    .unwrap();
    assert_eq!(again, spec);
}

#[test]
fn bad_goal_definitions_name_the_field() {
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"criteria": []}), "criteria"),
        (
            json!({"criteria": [{"metric": "dials", "period": "day", "target": 1}]}),
            "criteria[0].metric",
        ),
        (
            json!({"criteria": [{"metric": "calls", "period": "year", "target": 1}]}),
            "criteria[0].period",
        ),
        (
            json!({"criteria": [{"metric": "calls", "period": "day", "target": 0}]}),
            "criteria[0].target",
        ),
        (
            json!({"criteria": [{"metric": "calls", "period": "day", "target": 2.5}]}),
            "criteria[0].target",
        ),
        (
            json!({"criteria": [{"metric": "revenue", "period": "day", "target": "10.5"}]}),
            "criteria[0].target",
        ),
        (
            json!({"criteria": [{"metric": "calls", "period": "day", "target": 1, "weight": -5}]}),
            "criteria[0].weight",
        ),
        (
            json!({"criteria": [
                {"metric": "calls", "period": "day", "target": 1},
                {"metric": "calls", "period": "week", "target": 5}
            ]}),
            "criteria[1].metric",
        ),
        (
            json!({"criteria": [{"metric": "calls", "period": "day", "target": 1, "weight": "79228162514264337593543950335"}]}),
            "criteria[0].weight",
        ),
        (
            json!({"criteria": [{"metric": "calls", "period": "day", "target": 1, "weight": 99.99999}]}),
            "criteria[0].weight",
        ),
        (json!({"assignees": []}), "assignees"),
        (
            json!({"assignees": [{"user_id": "a", "team_id": "b"}]}),
            "assignees[0]",
        ),
        (
            json!({"assignees": [{"team_id": "b", "mode": "each"}]}),
            "assignees[0].mode",
        ),
        (
            json!({"assignees": [{"user_id": "a"}, {"user_id": "a"}]}),
            "assignees[1]",
        ),
        (json!({"starts_on": "27/11/2026"}), "starts_on"),
        (json!({"ends_on": "2026-10-31"}), "ends_on"),
    ];
    for (body, field) in cases {
        let error = parse(body.clone()).unwrap_err();
        assert_eq!(error.field, field, "{body}: {}", error.message);
    }
    assert_eq!(
        parse(json!({"starts_on": null})).unwrap().starts_on,
        day("2026-11-27")
    );
}
