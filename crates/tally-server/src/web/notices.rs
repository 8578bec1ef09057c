//! The bell on every page and `/notifications`: a person's notices (a milestone
//! reached, a period closed, a pace falling behind, a new leader or top three), each
//! told in their language with its figures and a link to the goal's view over its
//! period. The bell is fetched after the page loads, again every few seconds and soon
//! after a live change, so its count moves without a reload. Owners and admins set the
//! milestones and the pace check time at the foot of the list.

use super::Texts;
use super::format;
use super::texts::metric_name;
use super::{Chrome, PageError, Pairs, Viewer, form_error, form_field, render, unprocessable_if};
use crate::AppState;
use crate::export::Lang;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::prelude::ToPrimitive;
use tally_app::directory::Directory;
use tally_core::metric::Unit;
use tally_core::notice::{self, Notice, NoticeKind};
use tally_core::views::{Subject, in_unit};
use tally_core::{Currency, DayRange, Measure, Metric};
use tally_store::EmailChoice;

#[derive(Template)]
#[template(path = "bell.html")]
struct Bell {
    chrome: Chrome,
    unread: i64,
}

/// A kind of notice, as a check box.
pub struct KindOption {
    pub key: &'static str,
    pub name: &'static str,
    pub checked: bool,
}

/// A kind's name on the pages.
pub fn kind_name(kind: NoticeKind, t: &Texts) -> &'static str {
    match kind {
        NoticeKind::Milestone => t.kind_milestone,
        NoticeKind::PeriodResult => t.kind_period_result,
        NoticeKind::Pace => t.kind_pace,
        NoticeKind::Leader => t.kind_leader,
        NoticeKind::TopThree => t.kind_top_three,
    }
}

/// Every kind as a check box, those `chosen` checked.
pub fn kind_options(chosen: &[NoticeKind], t: &Texts) -> Vec<KindOption> {
    NoticeKind::ALL
        .into_iter()
        .map(|k| KindOption {
            key: k.as_str(),
            name: kind_name(k, t),
            checked: chosen.contains(&k),
        })
        .collect()
}

/// A notice as listed.
pub struct NoticeLine {
    pub text: String,
    pub when: String,
    pub href: String,
    pub unread: bool,
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NoticesPage {
    chrome: Chrome,
    lines: Vec<NoticeLine>,
    unread: usize,
    /// The settings form, for owners and admins: milestones, pace check time and
    /// digest time.
    settings: Option<NoticeSettingsForm>,
    /// The kinds the person receives by email, whether the daily digest, and in which
    /// language.
    email_kinds: Vec<KindOption>,
    digest: bool,
    email_lang: String,
    /// Whether this server sends email at all.
    mail_on: bool,
    error: String,
}

/// The notice settings as typed in their form.
struct NoticeSettingsForm {
    milestones: String,
    pace_check: String,
    digest_time: String,
}

/// `GET /notifications/bell`: the bell with the unread count.
pub async fn bell(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let unread = state.app.unread_notices(&viewer.caller).await?;
    let chrome = viewer.chrome("notifications", "/notifications");
    let mut response = render(&Bell { chrome, unread })?;
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `GET /notifications`: the person's latest notices, newest first.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    notices_page(&state, &viewer, None, String::new()).await
}

async fn notices_page(
    state: &AppState,
    viewer: &Viewer,
    typed: Option<NoticeSettingsForm>,
    error: String,
) -> Result<Response, PageError> {
    let items = state.app.inbox(&viewer.caller).await?;
    let now = state.app.now().await?;
    let org = state.app.org();
    let lines: Vec<NoticeLine> = items
        .iter()
        .map(|item| NoticeLine {
            text: wording(
                &item.record.notice,
                &now.directory,
                &org.currency,
                viewer.lang,
            ),
            when: moment(item.record.created_at, org, viewer.lang),
            href: goal_href(&item.record.notice),
            unread: !item.read,
            kind: item.record.notice.key.kind.as_str(),
        })
        .collect();
    let settings = match (super::may_administer(viewer.user.role), typed) {
        (false, _) => None,
        (true, Some(typed)) => Some(typed),
        (true, None) => {
            let s = state.app.notice_settings().await?;
            let milestones: Vec<String> = s.milestones.iter().map(u32::to_string).collect();
            Some(NoticeSettingsForm {
                milestones: milestones.join(", "),
                pace_check: notice::clock(s.pace_check_minute),
                digest_time: notice::clock(s.digest_minute),
            })
        }
    };
    let choice = state.app.email_choice(&viewer.caller).await?;
    let email_lang = match choice.lang.as_str() {
        "" => super::texts::code(viewer.lang).to_owned(),
        lang => lang.to_owned(),
    };
    let invalid = !error.is_empty();
    let page = NoticesPage {
        chrome: viewer.chrome("notifications", "/notifications"),
        unread: lines.iter().filter(|l| l.unread).count(),
        lines,
        settings,
        email_kinds: kind_options(&choice.kinds, viewer.t()),
        digest: choice.digest,
        email_lang,
        mail_on: state.mail_on,
        error,
    };
    Ok(unprocessable_if(invalid, render(&page)?))
}

/// `POST /notifications/read`: marks every notice read.
pub async fn read(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    state.app.read_notices(&viewer.caller).await?;
    Ok(Redirect::to("/notifications").into_response())
}

/// `POST /notifications/settings`: the milestones, the pace check time and the digest
/// time (owners and admins).
pub async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    super::require(&viewer, super::may_administer, "change the settings")?;
    let typed = NoticeSettingsForm {
        milestones: form_field(&pairs, "milestones"),
        pace_check: form_field(&pairs, "pace_check"),
        digest_time: form_field(&pairs, "digest_time"),
    };
    let changed = state
        .app
        .change_notice_settings(
            &viewer.caller,
            &typed.milestones,
            &typed.pace_check,
            &typed.digest_time,
        )
        .await;
    match changed {
        Ok(_) => Ok(Redirect::to("/notifications?saved=1").into_response()),
        Err(e) => {
            let error = form_error(e, viewer.lang)?;
            notices_page(&state, &viewer, Some(typed), error).await
        }
    }
}

/// `POST /notifications/email`: the kinds the person receives by email, whether the
/// daily digest, and the language.
pub async fn email(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let kinds = pairs
        .iter()
        .filter(|(k, _)| k == "kind")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let choice = EmailChoice {
        kinds,
        digest: pairs.iter().any(|(k, v)| k == "digest" && v == "on"),
        lang: form_field(&pairs, "lang"),
    };
    match state.app.set_email_choice(&viewer.caller, &choice).await {
        Ok(()) => Ok(Redirect::to("/notifications?saved=1").into_response()),
        Err(e) => {
            let error = form_error(e, viewer.lang)?;
            notices_page(&state, &viewer, None, error).await
        }
    }
}

/// The goal's view over the notice's period.
pub fn goal_href(notice: &Notice) -> String {
    goal_range_href(&notice.key.goal_id, notice.key.period)
}

/// A goal's view over `range`.
pub fn goal_range_href(goal_id: &str, range: DayRange) -> String {
    format!(
        "/kpi?view=goal&goal_id={}&from={}&to={}",
        super::session::encode(goal_id),
        range.from.date(),
        range.to.date()
    )
}

/// When a notice was recorded, in the organisation's time zone.
fn moment(micros: i64, org: &tally_core::Organization, lang: Lang) -> String {
    let Ok(at) = jiff::Timestamp::from_microsecond(micros) else {
        return String::new();
    };
    let day = org.calendar.day_of(at);
    let time = at
        .to_zoned_datetime(org.calendar.time_zone().clone())
        .strftime("%H:%M");
    format!("{time} {}", format::date(day, lang))
}

/// A period as a day or a span of days.
pub fn period_text(period: DayRange, lang: Lang) -> String {
    let from = format::date(period.from, lang);
    if period.from == period.to {
        return from;
    }
    format!("{from} – {}", format::date(period.to, lang))
}

/// What a notice tells, in a sentence of `lang`.
pub fn wording(notice: &Notice, directory: &Directory, currency: &Currency, lang: Lang) -> String {
    let key = &notice.key;
    let name = match &key.subject {
        Subject::User(id) => directory.roster.user_name(id),
        Subject::Team(id) => directory.roster.team_name(id),
    };
    let goal = directory
        .goals
        .iter()
        .find(|g| g.record.id == key.goal_id)
        .map_or(key.goal_id.as_str(), |g| g.record.name.as_str());
    let period = period_text(key.period, lang);
    let Some(metric) = key.metric.as_deref() else {
        return match (key.kind, lang) {
            (NoticeKind::Leader, Lang::Vi) => {
                format!("{name} dẫn đầu bảng xếp hạng {goal} ({period})")
            }
            (NoticeKind::Leader, Lang::En) => {
                format!("{name} leads the {goal} leaderboard ({period})")
            }
            (_, Lang::Vi) => format!("{name} vào top 3 của {goal} ({period})"),
            (_, Lang::En) => format!("{name} is in the top 3 of {goal} ({period})"),
        };
    };
    let measure = criterion_of(directory, &key.goal_id, metric);
    let unit = measure.as_ref().map_or(Unit::Count, Measure::unit);
    let actual = notice.actual.to_i128().unwrap_or_default();
    let actual = format::quantity(in_unit(unit, actual, currency), unit, currency, lang);
    let target = format::quantity(notice.target, unit, currency, lang);
    let figures = format!("{actual} / {target}");
    let what = measure.as_ref().map_or(metric, |m| metric_name(m, lang));
    let mark = key.mark.as_str();
    match (key.kind, mark, lang) {
        (NoticeKind::Milestone, _, Lang::Vi) => {
            format!("{goal}: {name} đạt {mark} % mục tiêu {what} ({period}): {figures}")
        }
        (NoticeKind::Milestone, _, Lang::En) => {
            format!("{goal}: {name} reached {mark} % of the {what} target ({period}): {figures}")
        }
        (NoticeKind::PeriodResult, "achieved", Lang::Vi) => {
            format!("{goal}: {name} đã đạt mục tiêu {what} ({period}): {figures}")
        }
        (NoticeKind::PeriodResult, "achieved", Lang::En) => {
            format!("{goal}: {name} achieved the {what} target ({period}): {figures}")
        }
        (NoticeKind::PeriodResult, _, Lang::Vi) => {
            format!("{goal}: {name} chưa đạt mục tiêu {what} ({period}): {figures}")
        }
        (NoticeKind::PeriodResult, _, Lang::En) => {
            format!("{goal}: {name} missed the {what} target ({period}): {figures}")
        }
        (_, "behind", Lang::Vi) => {
            format!("{goal}: {name} đang chậm tiến độ {what} ({period}): {figures}")
        }
        (_, "behind", Lang::En) => {
            format!("{goal}: {name} is behind on {what} ({period}): {figures}")
        }
        (_, _, Lang::Vi) => {
            format!("{goal}: {name} có nguy cơ không đạt {what} ({period}): {figures}")
        }
        (_, _, Lang::En) => format!("{goal}: {name} is at risk on {what} ({period}): {figures}"),
    }
}

/// The metric `key` of a goal's criteria (built in or custom), as the goal names it now;
/// a built-in metric even if the goal no longer has it.
fn criterion_of(directory: &Directory, goal_id: &str, key: &str) -> Option<Measure> {
    let criteria = directory.goal(goal_id).map(|g| g.spec.criteria.as_slice());
    criteria
        .unwrap_or_default()
        .iter()
        .find(|c| c.metric.key() == key)
        .map(|c| c.metric.clone())
        .or_else(|| key.parse::<Metric>().ok().map(Measure::from))
}
