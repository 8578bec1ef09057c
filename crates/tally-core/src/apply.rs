//! The rules of `spec/metrics.md`: what one event contributes to which metric.
//!
//! [`apply`] is pure: from an event and the current [`State`] it gives the state change
//! (made in place, only once the event is known to be valid) and the [`Contribution`]s —
//! signed deltas and distinct marks per (credited user, local day, metric). Rollups are
//! the running sum of contributions; a full replay of the log through `apply` gives
//! them again.

use crate::calendar::{Calendar, Day};
use crate::event::{Direction, Event, EventKind, FieldError, Status};
use crate::metric::Metric;
use crate::money::Currency;
use crate::state::{
    Customer, EntityKind, EntityRef, Opportunity, Sale, SaleMeasure, Stamped, Standing, State,
    StatusChange, Todo,
};

/// What the organization's settings bring to the rules: its calendar and currency.
#[derive(Clone, Debug)]
pub struct Organization {
    pub calendar: Calendar,
    pub currency: Currency,
}

/// What one event adds to the rollups.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Contribution {
    /// Add `delta` (negative for a retraction) to a count, sum or money metric.
    Count {
        user: String,
        day: Day,
        metric: Metric,
        delta: i64,
    },
    /// `entity` counts for a distinct metric of `user` on `day`.
    Mark {
        user: String,
        day: Day,
        metric: Metric,
        entity: EntityRef,
    },
    /// Add `delta` to a measure of the sales by channel (`channel` is `""` for none).
    Sale {
        channel: String,
        user: String,
        day: Day,
        measure: SaleMeasure,
        delta: i64,
    },
}

/// Why an event cannot be applied: a field error, with a machine-readable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct Rejection {
    /// `invalid_field`, `unknown_reference` or `already_exists`.
    pub code: &'static str,
    pub error: FieldError,
}

impl Rejection {
    pub fn invalid(error: FieldError) -> Rejection {
        Rejection {
            code: "invalid_field",
            error,
        }
    }

    fn unknown(field: &str, what: &str, id: &str) -> Rejection {
        let message = format!("{what} '{id}' does not exist");
        Rejection {
            code: "unknown_reference",
            error: FieldError::new(field, message),
        }
    }

    fn exists(field: &str, what: &str, id: &str) -> Rejection {
        let message = format!("{what} '{id}' already exists");
        Rejection {
            code: "already_exists",
            error: FieldError::new(field, message),
        }
    }
}

/// Applies one valid-looking event: checks its references, updates `state` and returns
/// what it contributes. A rejected event leaves `state` untouched.
pub fn apply(
    org: &Organization,
    state: &mut State,
    event: &Event,
) -> Result<Vec<Contribution>, Rejection> {
    require_user(state, "user_id", &event.user_id)?;
    let day = org.calendar.day_of(event.at);
    let mut out = Out {
        actor: &event.user_id,
        day,
        contributions: Vec::new(),
    };
    match &event.kind {
        EventKind::Call {
            direction,
            answered,
            talk_seconds,
            customer_id,
            ..
        } => {
            let customer = customer_id
                .as_deref()
                .filter(|c| state.customers.contains_key(*c));
            call(
                &mut out,
                *direction,
                *answered,
                i64::from(*talk_seconds),
                customer,
            );
        }
        EventKind::CustomerCreated {
            customer_id,
            owner_id,
            channel,
            ..
        } => {
            if state.customers.contains_key(customer_id) {
                return Err(Rejection::exists("customer_id", "customer", customer_id));
            }
            require_user(state, "owner_id", owner_id)?;
            require_channel(state, channel.as_deref())?;
            let customer = Customer {
                owner: Stamped::new(owner_id.clone(), event.at),
                created_day: day,
                channel: channel.as_ref().map(|c| Stamped::new(c.clone(), event.at)),
            };
            out.standing_change(&[], &customer.standing());
            out.sales_change(&[], &customer.sales());
            state.customers.insert(customer_id.clone(), customer);
            state.touched.insert(EntityRef::customer(customer_id));
            out.customer_action(customer_id, true, true);
        }
        EventKind::CustomerUpdated {
            customer_id,
            owner_id,
            channel,
        } => {
            require_customer(state, customer_id)?;
            if let Some(owner) = owner_id {
                require_user(state, "owner_id", owner)?;
            }
            require_channel(state, channel.as_deref())?;
            if owner_id.is_some() || channel.is_some() {
                change_customer(state, &mut out, customer_id, |c| {
                    if let Some(owner) = owner_id {
                        c.owner.set(owner.clone(), event.at);
                    }
                    if let Some(channel) = channel {
                        set_channel(&mut c.channel, channel, event);
                    }
                });
            }
            out.customer_action(customer_id, true, true);
        }
        EventKind::NoteAdded { customer_id } => {
            require_customer(state, customer_id)?;
            out.customer_action(customer_id, true, true);
        }
        EventKind::NoteEdited { customer_id } => {
            require_customer(state, customer_id)?;
            out.customer_action(customer_id, true, false);
        }
        EventKind::OpportunityCreated {
            opportunity_id,
            customer_id,
            amount,
            owner_id,
            channel,
        } => {
            if state.opportunities.contains_key(opportunity_id) {
                return Err(Rejection::exists(
                    "opportunity_id",
                    "opportunity",
                    opportunity_id,
                ));
            }
            require_customer(state, customer_id)?;
            require_user(state, "owner_id", owner_id)?;
            require_channel(state, channel.as_deref())?;
            let amount = org
                .currency
                .to_minor(*amount)
                .map_err(|e| invalid("amount", e))?;
            let opportunity = Opportunity {
                customer_id: customer_id.clone(),
                created_day: day,
                owner: Stamped::new(owner_id.clone(), event.at),
                amount_minor: Stamped::new(amount, event.at),
                statuses: vec![StatusChange {
                    at: event.at,
                    day,
                    status: Status::Open,
                }],
                channel: channel.as_ref().map(|c| Stamped::new(c.clone(), event.at)),
            };
            out.standing_change(&[], &opportunity.standing());
            out.sales_change(&[], &opportunity.sales());
            state
                .opportunities
                .insert(opportunity_id.clone(), opportunity);
            state.touched.insert(EntityRef::opportunity(opportunity_id));
            out.opportunity_action(opportunity_id, customer_id, true);
        }
        EventKind::OpportunityUpdated {
            opportunity_id,
            amount,
            owner_id,
            channel,
        } => {
            require_opportunity(state, opportunity_id)?;
            if let Some(owner) = owner_id {
                require_user(state, "owner_id", owner)?;
            }
            require_channel(state, channel.as_deref())?;
            let amount = amount
                .map(|a| org.currency.to_minor(a).map_err(|e| invalid("amount", e)))
                .transpose()?;
            let customer_id = change_opportunity(state, &mut out, opportunity_id, |o| {
                if let Some(owner) = owner_id {
                    o.owner.set(owner.clone(), event.at);
                }
                if let Some(amount) = amount {
                    o.amount_minor.set(amount, event.at);
                }
                if let Some(channel) = channel {
                    set_channel(&mut o.channel, channel, event);
                }
            });
            out.opportunity_action(opportunity_id, &customer_id, false);
        }
        EventKind::OpportunityStatusChanged {
            opportunity_id,
            status,
        } => {
            require_opportunity(state, opportunity_id)?;
            let change = StatusChange {
                at: event.at,
                day,
                status: *status,
            };
            let customer_id =
                change_opportunity(state, &mut out, opportunity_id, |o| o.record_status(change));
            out.opportunity_action(opportunity_id, &customer_id, true);
        }
        EventKind::MeetingHeld { customer_id } => {
            require_customer(state, customer_id)?;
            out.count(Metric::Meetings, 1);
            out.customer_action(customer_id, true, true);
        }
        EventKind::SmsSent {
            customer_id,
            delivered,
        } => {
            require_customer(state, customer_id)?;
            out.message_sent(Metric::SmsSent, customer_id, *delivered);
        }
        EventKind::EmailSent {
            customer_id,
            delivered,
        } => {
            require_customer(state, customer_id)?;
            out.message_sent(Metric::EmailsSent, customer_id, *delivered);
        }
        EventKind::EmailReceived { customer_id } => {
            require_customer(state, customer_id)?;
            out.customer_action(customer_id, false, true);
        }
        EventKind::TodoCreated {
            todo_id,
            assignee_id,
        } => {
            if state.todos.contains_key(todo_id) {
                return Err(Rejection::exists("todo_id", "to-do", todo_id));
            }
            require_user(state, "assignee_id", assignee_id)?;
            out.credit(assignee_id, Metric::TodosCreated, 1);
            state.todos.insert(
                todo_id.clone(),
                Todo {
                    assignee: assignee_id.clone(),
                },
            );
            state.touched.insert(EntityRef::todo(todo_id));
        }
        EventKind::TodoCompleted { todo_id } => {
            let todo = state
                .todos
                .get(todo_id)
                .ok_or_else(|| Rejection::unknown("todo_id", "to-do", todo_id))?;
            out.credit(&todo.assignee, Metric::TodosCompleted, 1);
        }
    }
    Ok(out.contributions)
}

/// Metrics 1–5, and 7–8 when the call has a known customer.
fn call(out: &mut Out, direction: Direction, answered: bool, talk: i64, customer: Option<&str>) {
    out.count(Metric::Calls, 1);
    if answered {
        out.count(Metric::CallsConnected, 1);
        out.count(Metric::TalkSeconds, talk);
        let directed = match direction {
            Direction::Outbound => Metric::TalkSecondsOutbound,
            Direction::Inbound => Metric::TalkSecondsInbound,
        };
        out.count(directed, talk);
    }
    if let Some(customer) = customer {
        let interaction = direction == Direction::Outbound || answered;
        out.customer_action(customer, answered, interaction);
    }
}

/// Changes an existing customer and emits the change of what it stands for.
fn change_customer(
    state: &mut State,
    out: &mut Out,
    customer_id: &str,
    change: impl FnOnce(&mut Customer),
) {
    if let Some(customer) = state.customers.get_mut(customer_id) {
        let (before, sold) = (customer.standing(), customer.sales());
        change(customer);
        out.standing_change(&before, &customer.standing());
        out.sales_change(&sold, &customer.sales());
        state.touched.insert(EntityRef::customer(customer_id));
    }
}

/// A channel is last-writer-wins by `at`, as owners are.
fn set_channel(current: &mut Option<Stamped<String>>, channel: &str, event: &Event) {
    match current {
        Some(stamped) => stamped.set(channel.to_owned(), event.at),
        None => *current = Some(Stamped::new(channel.to_owned(), event.at)),
    }
}

/// Changes an existing opportunity and emits the change of what it stands for;
/// returns the opportunity's customer.
fn change_opportunity(
    state: &mut State,
    out: &mut Out,
    opportunity_id: &str,
    change: impl FnOnce(&mut Opportunity),
) -> String {
    let Some(opportunity) = state.opportunities.get_mut(opportunity_id) else {
        return String::new();
    };
    let (before, sold) = (opportunity.standing(), opportunity.sales());
    change(opportunity);
    out.standing_change(&before, &opportunity.standing());
    out.sales_change(&sold, &opportunity.sales());
    state.touched.insert(EntityRef::opportunity(opportunity_id));
    opportunity.customer_id.clone()
}

fn require_user(state: &State, field: &str, id: &str) -> Result<(), Rejection> {
    match state.users.contains(id) {
        true => Ok(()),
        false => Err(Rejection::unknown(field, "user", id)),
    }
}

fn require_channel(state: &State, channel: Option<&str>) -> Result<(), Rejection> {
    match channel {
        Some(id) if !state.channels.contains(id) => {
            Err(Rejection::unknown("channel", "channel", id))
        }
        _ => Ok(()),
    }
}

fn require_customer(state: &State, id: &str) -> Result<(), Rejection> {
    match state.customers.contains_key(id) {
        true => Ok(()),
        false => Err(Rejection::unknown("customer_id", "customer", id)),
    }
}

fn require_opportunity(state: &State, id: &str) -> Result<(), Rejection> {
    match state.opportunities.contains_key(id) {
        true => Ok(()),
        false => Err(Rejection::unknown("opportunity_id", "opportunity", id)),
    }
}

fn invalid(field: &str, error: impl ToString) -> Rejection {
    Rejection::invalid(FieldError::new(field, error.to_string()))
}

/// The contributions of one event, credited to its actor on its day unless told otherwise.
struct Out<'a> {
    actor: &'a str,
    day: Day,
    contributions: Vec<Contribution>,
}

impl Out<'_> {
    fn count(&mut self, metric: Metric, delta: i64) {
        let actor = self.actor;
        self.credit(actor, metric, delta);
    }

    fn credit(&mut self, user: &str, metric: Metric, delta: i64) {
        if delta != 0 {
            let (user, day) = (user.to_owned(), self.day);
            self.contributions.push(Contribution::Count {
                user,
                day,
                metric,
                delta,
            });
        }
    }

    fn mark(&mut self, metric: Metric, kind: EntityKind, id: &str) {
        let entity = EntityRef {
            kind,
            id: id.to_owned(),
        };
        let (user, day) = (self.actor.to_owned(), self.day);
        self.contributions.push(Contribution::Mark {
            user,
            day,
            metric,
            entity,
        });
    }

    /// An action on a customer: list A makes it "interacted" (7), list B counts one
    /// interaction (8).
    fn customer_action(&mut self, customer_id: &str, in_a: bool, in_b: bool) {
        if in_a {
            self.mark(
                Metric::CustomersInteracted,
                EntityKind::Customer,
                customer_id,
            );
        }
        if in_b {
            self.count(Metric::CustomerInteractions, 1);
        }
    }

    /// `opportunity.created`, `.updated` or `.status_changed`: metrics 15 and 18, and
    /// the customer's 7 (not for `updated`) and 8.
    fn opportunity_action(&mut self, opportunity_id: &str, customer_id: &str, in_a: bool) {
        self.mark(
            Metric::OpportunitiesInteracted,
            EntityKind::Opportunity,
            opportunity_id,
        );
        self.count(Metric::OpportunityInteractions, 1);
        self.customer_action(customer_id, in_a, true);
    }

    fn message_sent(&mut self, metric: Metric, customer_id: &str, delivered: bool) {
        if delivered {
            self.count(metric, 1);
            self.customer_action(customer_id, false, true);
        }
    }

    /// Retracts what an entity stood for and credits what it stands for now.
    fn standing_change(&mut self, before: &[Standing], after: &[Standing]) {
        for (user, day, metric, amount) in only_in(before, after) {
            let c = Contribution::Count {
                user: user.clone(),
                day: *day,
                metric: *metric,
                delta: -amount,
            };
            self.contributions.push(c);
        }
        for (user, day, metric, amount) in only_in(after, before) {
            let c = Contribution::Count {
                user: user.clone(),
                day: *day,
                metric: *metric,
                delta: *amount,
            };
            self.contributions.push(c);
        }
    }
}

impl Out<'_> {
    /// Retracts what an entity stood for by channel and credits what it stands for now.
    fn sales_change(&mut self, before: &[Sale], after: &[Sale]) {
        let gone = before.iter().filter(|s| s.4 != 0 && !after.contains(s));
        let came = after.iter().filter(|s| s.4 != 0 && !before.contains(s));
        let signed = gone.map(|s| (s, -s.4)).chain(came.map(|s| (s, s.4)));
        for ((channel, user, day, measure, _), delta) in signed {
            self.contributions.push(Contribution::Sale {
                channel: channel.clone(),
                user: user.clone(),
                day: *day,
                measure: *measure,
                delta,
            });
        }
    }
}

/// The non-zero entries of `these` that `others` does not hold.
fn only_in<'a>(
    these: &'a [Standing],
    others: &'a [Standing],
) -> impl Iterator<Item = &'a Standing> {
    these
        .iter()
        .filter(move |s| s.3 != 0 && !others.contains(s))
}
