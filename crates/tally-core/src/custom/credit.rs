//! What one event, accepted into the log, credits to a custom metric of events.

use super::{Aggregate, Credit, EventRule, Filters};
use crate::calendar::Calendar;
use crate::event::{Event, EventKind, FieldError};
use crate::money::Currency;
use crate::state::State;

impl EventRule {
    /// What `event`, accepted into the log, adds to this metric; `state` knows the
    /// opportunity of an opportunity's event (for its customer).
    pub fn credit(
        &self,
        event: &Event,
        calendar: &Calendar,
        currency: &Currency,
        state: &State,
    ) -> Result<Option<Credit>, FieldError> {
        if !self.types.contains(event.type_name()) || !self.filters.pass(&event.kind) {
            return Ok(None);
        }
        let user = event.user_id.clone();
        let day = calendar.day_of(event.at);
        let add = |amount| Some(Credit::Add { user, day, amount });
        Ok(match self.aggregate {
            Aggregate::Count => add(1),
            Aggregate::SumTalkSeconds => match event.kind {
                EventKind::Call { talk_seconds, .. } => add(i64::from(talk_seconds)),
                _ => None,
            },
            Aggregate::SumAmount => match &event.kind {
                EventKind::OpportunityCreated { amount, .. } => add(currency
                    .to_minor(*amount)
                    .map_err(|e| FieldError::new("amount", e.to_string()))?),
                _ => None,
            },
            Aggregate::DistinctCustomers => {
                customer_of(&event.kind, state).map(|entity| Credit::Mark {
                    user: event.user_id.clone(),
                    day,
                    entity,
                })
            }
            Aggregate::DistinctOpportunities => {
                event.kind.opportunity_id().map(|entity| Credit::Mark {
                    user: event.user_id.clone(),
                    day,
                    entity: entity.to_owned(),
                })
            }
        })
    }
}

impl Filters {
    /// Whether an event's fields pass every set filter.
    fn pass(&self, kind: &EventKind) -> bool {
        let channel =
            self.channels.is_empty() || kind.channel().is_some_and(|c| self.channels.contains(c));
        channel && self.fields_pass(kind)
    }

    /// Whether an event passes the filters on the fields of its type.
    fn fields_pass(&self, kind: &EventKind) -> bool {
        match kind {
            EventKind::Call {
                direction,
                answered,
                talk_seconds,
                ..
            } => {
                self.direction.is_none_or(|d| d == *direction)
                    && self.answered.is_none_or(|a| a == *answered)
                    && self
                        .talk_seconds_at_least
                        .is_none_or(|s| *talk_seconds >= s)
            }
            EventKind::SmsSent { delivered, .. } | EventKind::EmailSent { delivered, .. } => {
                self.delivered.is_none_or(|d| d == *delivered)
            }
            EventKind::OpportunityStatusChanged { status, .. } => {
                self.status.is_none_or(|s| s == *status)
            }
            _ => true,
        }
    }
}

/// The customer an event touches: its own `customer_id`, or its opportunity's.
fn customer_of(kind: &EventKind, state: &State) -> Option<String> {
    match kind {
        EventKind::Call { customer_id, .. } => customer_id.clone(),
        EventKind::CustomerCreated { customer_id, .. }
        | EventKind::CustomerUpdated { customer_id, .. }
        | EventKind::NoteAdded { customer_id }
        | EventKind::NoteEdited { customer_id }
        | EventKind::OpportunityCreated { customer_id, .. }
        | EventKind::MeetingHeld { customer_id }
        | EventKind::SmsSent { customer_id, .. }
        | EventKind::EmailSent { customer_id, .. }
        | EventKind::EmailReceived { customer_id } => Some(customer_id.clone()),
        EventKind::OpportunityUpdated { opportunity_id, .. }
        | EventKind::OpportunityStatusChanged { opportunity_id, .. } => state
            .opportunities
            .get(opportunity_id)
            .map(|o| o.customer_id.clone()),
        EventKind::TodoCreated { .. } | EventKind::TodoCompleted { .. } => None,
    }
}
