//! The wire shapes that no handler type serialises: the query parameters shared by
//! many routes, the resources whose JSON the handlers build field by field (people,
//! goals, CRM records, summaries), and the request bodies the application reads field
//! by field (to name the field at fault). They describe; they are never built — hence
//! `dead_code` is allowed here and nowhere else. The API tests check real answers
//! against them, every object closed to fields they do not list.
#![allow(dead_code)]

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{IntoParams, IntoResponses, ToSchema};

/// The answer of a refused request.
#[derive(ToSchema)]
#[schema(example = json!({"error": {"code": "invalid_field", "field": "role",
    "message": "role: unknown role 'sales' (expected owner, admin, supervisor or agent)"}}))]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What was refused and why; `field` names the field of a `422`.
#[derive(ToSchema)]
pub struct ErrorDetail {
    /// `malformed`, `unauthorized`, `forbidden`, `not_found`, `method_not_allowed`,
    /// `timeout`, `conflict`, `too_large`, `invalid_field`, `too_many_requests` or
    /// `internal`.
    code: String,
    /// A sentence for people; a `422`'s starts with the field's name.
    message: String,
    field: Option<String>,
}

/// A quantity in its metric's unit: a number of things or seconds (whole, except
/// pro-rated expectations), or money as a decimal string in the organization's currency.
pub struct Quantity;

impl utoipa::PartialSchema for Quantity {
    fn schema() -> RefOr<Schema> {
        let of = |kind| ObjectBuilder::new().schema_type(kind);
        OneOfBuilder::new()
            .item(of(Type::Number))
            .item(of(Type::String).pattern(Some(r"^-?[0-9]+(\.[0-9]+)?$")))
            .description(Some(
                "A number of things or seconds (whole, except pro-rated expectations), \
                 or money as a decimal string in the organization's currency.",
            ))
            .into()
    }
}

impl ToSchema for Quantity {}

/// The refusals every route may answer.
#[derive(IntoResponses)]
pub enum Refusals {
    /// The body or a parameter is not what the route takes.
    #[response(status = 400)]
    Malformed(ErrorBody),
    /// No token, or a revoked one, or one of a deactivated person.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The caller's role may not do this.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such resource.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// It clashes with stored data.
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// The body is over its limit.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// A field or parameter is missing or invalid (`field` names it).
    #[response(status = 422)]
    Invalid(ErrorBody),
    /// Too many at once (live streams, sign-ins).
    #[response(status = 429)]
    TooMany(ErrorBody),
}

/// A person as the API shows them. A wallboard token sees no contact details.
#[derive(ToSchema)]
pub struct Person {
    id: String,
    name: String,
    /// `owner`, `admin`, `supervisor` or `agent`.
    role: String,
    active: bool,
    email: Option<String>,
    /// The first of the person's extensions.
    extension: Option<String>,
    extensions: Option<Vec<String>>,
}

/// `POST /api/v1/users`; `PATCH` takes any of them but `id` (`null` clears `email`
/// and `extension`), and `active`.
#[derive(ToSchema)]
pub struct PersonInput {
    /// 1–200 printable characters; generated when left out.
    id: Option<String>,
    name: String,
    /// `owner`, `admin`, `supervisor` or `agent` (only an owner makes an owner).
    role: String,
    email: Option<String>,
    extension: Option<String>,
    extensions: Option<Vec<String>>,
    /// `PATCH` only: `false` deactivates the person and their tokens.
    active: Option<bool>,
}

/// A team.
#[derive(ToSchema)]
pub struct Team {
    id: String,
    name: String,
}

/// `POST /api/v1/teams`.
#[derive(ToSchema)]
pub struct TeamInput {
    id: Option<String>,
    name: String,
}

/// A team with its dated memberships.
#[derive(ToSchema)]
pub struct TeamWithMembers {
    id: String,
    name: String,
    members: Vec<Membership>,
}

/// A dated membership: the user is in the team from `from` to `to` (inclusive, or
/// open).
#[derive(ToSchema)]
pub struct Membership {
    id: i64,
    team_id: String,
    user_id: String,
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: Option<String>,
}

/// `POST /api/v1/teams/{id}/members`: the same user and `from` again sets `to`.
#[derive(ToSchema)]
pub struct MembershipInput {
    user_id: String,
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: Option<String>,
}

/// A supervisor of a team.
#[derive(ToSchema)]
pub struct Supervisor {
    team_id: String,
    user_id: String,
}

/// `POST /api/v1/teams/{id}/supervisors`.
#[derive(ToSchema)]
pub struct SupervisorInput {
    user_id: String,
}

/// One criterion of a goal: a metric's target for a day, week or month.
#[derive(ToSchema)]
pub struct Criterion {
    /// A key of `GET /api/v1/metrics`.
    metric: String,
    /// `day`, `week` or `month`.
    period: String,
    target: Quantity,
    /// A percentage; all of a goal's weights sum to 100, or none is given.
    weight: Option<f64>,
}

/// Who a goal is for: a user, or a team (`mode` `each_member` or `team_total`).
#[derive(ToSchema)]
pub struct Assignee {
    user_id: Option<String>,
    team_id: Option<String>,
    mode: Option<String>,
}

/// A goal's definition: `POST /api/v1/goals` (with an optional `id`); `PATCH` takes
/// any of its fields.
#[derive(ToSchema)]
pub struct GoalInput {
    id: Option<String>,
    name: String,
    criteria: Vec<Criterion>,
    assignees: Vec<Assignee>,
    #[schema(format = Date)]
    starts_on: Option<String>,
    #[schema(format = Date)]
    ends_on: Option<String>,
}

/// A goal as stored, with its history fields. `other_assignees` counts the assignees
/// the caller does not see.
#[derive(ToSchema)]
pub struct Goal {
    id: String,
    name: String,
    criteria: Vec<Criterion>,
    assignees: Vec<Assignee>,
    #[schema(format = Date)]
    starts_on: String,
    #[schema(format = Date)]
    ends_on: Option<String>,
    other_assignees: Option<u32>,
    archived: bool,
    #[schema(format = DateTime)]
    archived_at: Option<String>,
    revision: i64,
    #[schema(format = DateTime)]
    created_at: String,
    /// `user:ID`, or `token:NAME` for a token bound to nobody.
    created_by: String,
    #[schema(format = DateTime)]
    updated_at: String,
    updated_by: String,
}

/// A goal's definition at one revision.
#[derive(ToSchema)]
pub struct GoalDefinition {
    name: String,
    criteria: Vec<Criterion>,
    assignees: Vec<Assignee>,
    #[schema(format = Date)]
    starts_on: String,
    #[schema(format = Date)]
    ends_on: Option<String>,
    other_assignees: Option<u32>,
}

/// One revision of a goal: who made it, when, and the definition it left.
#[derive(ToSchema)]
pub struct GoalRevision {
    revision: i64,
    /// `created`, `updated` or `archived`.
    action: String,
    actor: String,
    #[schema(format = DateTime)]
    at: String,
    goal: GoalDefinition,
}

/// The answer to a batch of events: how many were stored, seen before, refused.
#[derive(ToSchema)]
pub struct EventsReceived {
    accepted: u64,
    duplicates: u64,
    rejected: Vec<RejectedEvent>,
}

/// An event of the batch that was refused: its place, id and the field at fault.
#[derive(ToSchema)]
pub struct RejectedEvent {
    index: u64,
    id: Option<String>,
    code: String,
    field: String,
    /// `"field: message"`.
    error: String,
}

/// One event of `spec/events.md`: `id`, `type`, `at`, `user_id` and the fields of its
/// type. The body is a JSON array of them, or NDJSON (`Content-Type:
/// application/x-ndjson`), at most 10,000.
#[derive(ToSchema)]
pub struct EventInput {
    id: String,
    /// `call`, `customer.created`, `opportunity.status_changed`, … (`spec/events.md`).
    #[schema(rename = "type")]
    kind: String,
    #[schema(format = DateTime)]
    at: String,
    user_id: String,
}

/// The scoring settings, as decimal fractions (`"0.8"` = 80 %).
#[derive(ToSchema)]
pub struct Scoring {
    grade_a: String,
    grade_b: String,
    grade_c: String,
    score_cap: String,
    pace_on_track: String,
    pace_at_risk: String,
}

/// `PATCH /api/v1/settings`: any of the scoring fields.
#[derive(ToSchema)]
pub struct ScoringInput {
    grade_a: Option<String>,
    grade_b: Option<String>,
    grade_c: Option<String>,
    score_cap: Option<String>,
    pace_on_track: Option<String>,
    pace_at_risk: Option<String>,
}

/// The organization's calendar, currency (fixed: see `tally rebuild`) and scoring.
#[derive(ToSchema)]
pub struct Settings {
    timezone: String,
    currency: String,
    scoring: Scoring,
}

/// A metric of the catalog: one of the 18 built in, or one the organisation defined
/// (`custom: true`, with its definition and how much of its history is counted).
#[derive(ToSchema)]
pub struct MetricEntry {
    key: String,
    names: MetricNames,
    /// `count`, `seconds` or `money`.
    unit: String,
    kind: String,
    /// `true` for a custom metric (absent for the 18 built in).
    custom: Option<bool>,
    /// `actor` or `owner` (a custom metric of records: the record's current owner).
    credited_to: Option<String>,
    /// The definition, as `POST /api/v1/metrics` takes it.
    definition: Option<CustomMetricInput>,
    /// How many times the definition was saved.
    revision: Option<i64>,
    /// The share of the history counted so far, in percent; below 100 its values
    /// are still partial.
    history_counted: Option<u8>,
}

/// A custom metric's definition (`docs/metrics.md`, "Custom metrics"): `of` `events`
/// (credited to the actor) with `events` types, or `customers` / `opportunities` (as
/// they stand now, credited to their current owner); `aggregate` `count`, `sum` with
/// `field` `talk_seconds` or `amount`, or `distinct` with `field` `customer_id` or
/// `opportunity_id`; `filters` on the events' fields: `direction`, `answered`,
/// `talk_seconds_at_least`, `delivered`, `status`, `channel` (a list).
#[derive(ToSchema)]
pub struct CustomMetricInput {
    key: String,
    name_vi: String,
    name_en: String,
    of: String,
    events: Option<Vec<String>>,
    aggregate: String,
    field: Option<String>,
    #[schema(value_type = Object)]
    filters: Option<serde_json::Value>,
}

/// A metric's name in Vietnamese and in English.
#[derive(ToSchema)]
pub struct MetricNames {
    vi: String,
    en: String,
}

/// What an import of call records did.
#[derive(ToSchema)]
pub struct ImportSummary {
    read: u64,
    counted: u64,
    duplicates: u64,
    internal: u64,
    other_legs: u64,
    unmapped: u64,
    /// Records kept aside per extension that wants a user: `{"299": 12, "305": 3}`.
    kept_aside: std::collections::BTreeMap<String, u64>,
    rejected_total: u64,
    /// The first 100 refused records.
    rejected: Vec<ImportProblem>,
}

/// A record that could not be counted: where (`line N` or the event id), which field,
/// why.
#[derive(ToSchema)]
pub struct ImportProblem {
    record: String,
    field: String,
    error: String,
}

/// A call record kept aside for want of a mapped extension.
#[derive(ToSchema)]
pub struct UnmappedCall {
    /// `asterisk` or `freeswitch`.
    source: String,
    uid: String,
    reason: String,
    #[schema(format = DateTime)]
    received_at: String,
    /// The record as read.
    #[schema(value_type = Object)]
    record: serde_json::Value,
}

/// A page of a CRM list.
#[derive(ToSchema)]
pub struct Page<T: ToSchema> {
    /// How many records match in all.
    total: u64,
    limit: u64,
    offset: u64,
    items: Vec<T>,
}

/// A customer. `phones_normalized` holds the phones in one national form.
#[derive(ToSchema)]
pub struct Customer {
    id: String,
    name: String,
    phones: Option<Vec<String>>,
    phones_normalized: Option<Vec<String>>,
    email: Option<String>,
    company: Option<String>,
    owner_id: String,
    created_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST /api/v1/customers`; `PATCH` takes any of them but `id` (`owner_id`
/// reassigns, `channel` moves the customer to another of the organisation's
/// channels; `null` clears `phones`, `email`, `company`).
#[derive(ToSchema)]
pub struct CustomerInput {
    id: Option<String>,
    name: String,
    phones: Option<Vec<String>>,
    email: Option<String>,
    company: Option<String>,
    owner_id: Option<String>,
    channel: Option<String>,
}

/// A note on a customer.
#[derive(ToSchema)]
pub struct Note {
    id: String,
    customer_id: String,
    text: String,
    author_id: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST /api/v1/customers/{id}/notes` (with an optional `id`); `PATCH` takes `text`.
#[derive(ToSchema)]
pub struct NoteInput {
    id: Option<String>,
    text: String,
}

/// A sales opportunity.
#[derive(ToSchema)]
pub struct Opportunity {
    id: String,
    title: String,
    customer_id: String,
    /// A decimal string in the organization's currency.
    amount: String,
    owner_id: String,
    /// `open`, `won`, `lost` or `cancelled`.
    status: String,
    created_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST /api/v1/opportunities`; `PATCH` takes `title`, `amount`, `owner_id`,
/// `channel` and `status`.
#[derive(ToSchema)]
pub struct OpportunityInput {
    id: Option<String>,
    title: String,
    customer_id: String,
    amount: Quantity,
    owner_id: Option<String>,
    /// One of the organisation's channels (`GET /api/v1/channels`).
    channel: Option<String>,
    status: Option<String>,
}

/// A to-do.
#[derive(ToSchema)]
pub struct Todo {
    id: String,
    title: String,
    assignee_id: String,
    #[schema(format = Date)]
    due_on: Option<String>,
    customer_id: Option<String>,
    done: bool,
    created_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST /api/v1/todos`; `PATCH` takes `title`, `due_on` and `done`.
#[derive(ToSchema)]
pub struct TodoInput {
    id: Option<String>,
    title: String,
    assignee_id: Option<String>,
    #[schema(format = Date)]
    due_on: Option<String>,
    customer_id: Option<String>,
    done: Option<bool>,
}

/// A meeting with a customer.
#[derive(ToSchema)]
pub struct Meeting {
    id: String,
    customer_id: String,
    #[schema(format = DateTime)]
    at: String,
    title: String,
    held: bool,
    owner_id: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST /api/v1/meetings`; `PATCH` takes `title` and `held`.
#[derive(ToSchema)]
pub struct MeetingInput {
    id: Option<String>,
    customer_id: String,
    #[schema(format = DateTime)]
    at: String,
    title: Option<String>,
    held: Option<bool>,
}

/// An SMS or email sent to or received from a customer.
#[derive(ToSchema)]
pub struct Message {
    id: String,
    /// `sms` or `email`.
    channel: String,
    /// `sent` or `received`.
    direction: String,
    customer_id: String,
    delivered: Option<bool>,
    #[schema(format = DateTime)]
    at: Option<String>,
    subject: Option<String>,
    text: Option<String>,
    author_id: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST /api/v1/messages`: `delivered` is required when `sent`.
#[derive(ToSchema)]
pub struct MessageInput {
    id: Option<String>,
    channel: String,
    direction: String,
    customer_id: String,
    delivered: Option<bool>,
    #[schema(format = DateTime)]
    at: Option<String>,
    subject: Option<String>,
    text: Option<String>,
}

/// A range of days: a `period` (`today`, `yesterday`, `this_week`, `last_week`,
/// `this_month`, `last_month`; default `today`) or `from` and `to` (`YYYY-MM-DD`,
/// inclusive, at most ten years).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    period: Option<String>,
    #[param(format = Date)]
    from: Option<String>,
    #[param(format = Date)]
    to: Option<String>,
}

/// `PUT /api/v1/channels/{id}`: `name` is required for a new channel; `active: false`
/// retires it (forms stop offering it; its history stays); `position` orders lists;
/// `lines` replaces its phone lines (numbers called or queues: the call import names
/// the channel in the inbound calls that came through them).
#[derive(ToSchema)]
pub struct ChannelInput {
    name: Option<String>,
    active: Option<bool>,
    position: Option<i64>,
    lines: Option<Vec<String>>,
}

/// What a view compares its range with: `previous` (default: the range of the same
/// length just before) or `year` (the same dates a year earlier).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    compare: Option<String>,
}

/// How a view is answered: `format` `json` (default), `csv` or `xlsx`; names and
/// headers in `lang` `vi` (default) or `en`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    format: Option<String>,
    lang: Option<String>,
}

/// A page of a CRM list: `limit` (0–500, default 50), `offset`, `sort` (`created_at`,
/// `updated_at` or `name`), `order` (`asc` or `desc`), and `q`, words that must all
/// appear.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    limit: Option<u32>,
    offset: Option<u64>,
    sort: Option<String>,
    order: Option<String>,
    q: Option<String>,
}

/// A person's notifications, newest first (the latest 100), and how many are unread.
#[derive(ToSchema)]
pub struct Notifications {
    unread: i64,
    notifications: Vec<NoticeJson>,
}

/// A notice: what happened, to whom, with the figures and the sentence in both
/// languages. Webhooks receive the same, with `delivery_id` instead of `read`.
#[derive(ToSchema)]
pub struct NoticeJson {
    notice_id: i64,
    /// `milestone`, `period_result`, `pace`, `leader` or `top_three`.
    kind: String,
    /// The milestone's percent, `achieved` / `missed`, `at_risk` / `behind`, `leader`
    /// or the place in the top three.
    mark: String,
    goal: IdName,
    /// The criterion's metric; none for the leaderboard's notices.
    metric: Option<String>,
    period: DaySpan,
    subject: NoticeSubject,
    /// Decimal strings, in the metric's unit.
    actual: String,
    target: String,
    text: Texts,
    /// When it was recorded (RFC 3339).
    at: String,
    read: bool,
}

/// An id and a name.
#[derive(ToSchema)]
pub struct IdName {
    id: String,
    name: String,
}

/// A span of days, `YYYY-MM-DD`.
#[derive(ToSchema)]
pub struct DaySpan {
    from: String,
    to: String,
}

/// Whom a notice is about: `user` or `team`.
#[derive(ToSchema)]
pub struct NoticeSubject {
    kind: String,
    id: String,
    name: String,
}

/// A sentence in Vietnamese and in English.
#[derive(ToSchema)]
pub struct Texts {
    vi: String,
    en: String,
}

/// How many notifications are unread.
#[derive(ToSchema)]
pub struct Unread {
    unread: i64,
}

/// What a person receives by email: notices of `kinds`, the morning `digest`, in
/// `lang` (`vi` or `en`).
#[derive(ToSchema)]
pub struct EmailChoiceJson {
    kinds: Vec<String>,
    digest: bool,
    lang: String,
}

/// The organisation's notice settings: the milestones (1 to 5 percents), the local
/// time from which pace is told and the time the morning digest goes out (`HH:MM`).
#[derive(ToSchema)]
pub struct NoticeSettingsJson {
    milestones: Vec<u32>,
    pace_check: String,
    digest_time: String,
}

/// A webhook; `secret` only in the answer that registered it, `deliveries` (newest
/// first) only when listed.
#[derive(ToSchema)]
pub struct WebhookJson {
    id: i64,
    url: String,
    kinds: Vec<String>,
    paused: bool,
    failures_in_a_row: i64,
    created_by: String,
    created_at: String,
    secret: Option<String>,
    deliveries: Option<Vec<DeliveryJson>>,
}

/// One delivery of a notice to a webhook: `pending`, `delivered`, `failed` (given up)
/// or `dropped` (its webhook removed).
#[derive(ToSchema)]
pub struct DeliveryJson {
    id: i64,
    notice_id: i64,
    status: String,
    attempts: i64,
    next_at: String,
    last_error: Option<String>,
    delivered_at: Option<String>,
}

/// `POST /api/v1/webhooks`: the address and the kinds of notices it wants.
#[derive(ToSchema)]
pub struct WebhookInput {
    url: String,
    kinds: Vec<String>,
}

/// `PATCH /api/v1/webhooks/{id}`.
#[derive(ToSchema)]
pub struct WebhookPause {
    paused: bool,
}

/// What was removed.
#[derive(ToSchema)]
pub struct Removed {
    id: i64,
    removed: bool,
}
