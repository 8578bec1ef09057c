//! A deterministic sales floor: users making calls, creating customers, winning deals.
//!
//! The mix is what a Vietnamese call-center day looks like in the source document:
//! mostly calls, then notes, messages, opportunities and to-dos, every event referring
//! to entities that exist, spread over working hours of each local day.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// Generated events for `users` users, day by day.
pub struct Floor {
    rng: StdRng,
    users: u32,
    /// Each user's customers (numbers of `c{n}`).
    customers: Vec<Vec<u32>>,
    next_customer: u32,
    opportunities: u32,
    todos: u32,
    completed_todos: u32,
    next_event: u64,
}

const INITIAL_CUSTOMERS_PER_USER: u32 = 20;

impl Floor {
    pub fn new(users: u32, seed: u64) -> Floor {
        Floor {
            rng: StdRng::seed_from_u64(seed),
            users,
            customers: vec![Vec::new(); users as usize],
            next_customer: 0,
            opportunities: 0,
            todos: 0,
            completed_todos: 0,
            next_event: 0,
        }
    }

    pub fn user_id(n: u32) -> String {
        format!("u{n:05}")
    }

    /// The customers every user starts with, created on `start` (epoch seconds of a local midnight).
    pub fn initial_customers(&mut self, start: i64) -> Vec<Value> {
        let mut events = Vec::new();
        for user in 0..self.users {
            for _ in 0..INITIAL_CUSTOMERS_PER_USER {
                events.push(self.customer_created(user, start + 3600));
            }
        }
        events
    }

    /// One random event on the local day starting at `day_start` (epoch seconds).
    pub fn event(&mut self, day_start: i64) -> Value {
        let user = self.rng.random_range(0..self.users);
        // 08:00–18:00 local time.
        let at = day_start + 8 * 3600 + self.rng.random_range(0..10 * 3600);
        let roll = self.rng.random_range(0..100);
        match roll {
            55..60 => self.customer_created(user, at),
            60..64 => self.customer_updated(user, at),
            64..72 => self.on_customer(user, at, "note.added", json!({})),
            72..74 => self.on_customer(user, at, "note.edited", json!({})),
            74..76 => self.opportunity_created(user, at),
            76..78 if self.opportunities > 0 => self.opportunity_updated(user, at),
            78..81 if self.opportunities > 0 => self.status_changed(user, at),
            81..83 => self.on_customer(user, at, "meeting.held", json!({})),
            83..88 => {
                let delivered = self.rng.random_bool(0.9);
                self.on_customer(user, at, "sms.sent", json!({"delivered": delivered}))
            }
            88..93 => {
                let delivered = self.rng.random_bool(0.95);
                self.on_customer(user, at, "email.sent", json!({"delivered": delivered}))
            }
            93..95 => self.on_customer(user, at, "email.received", json!({})),
            95..98 => self.todo_created(user, at),
            98..100 if self.completed_todos < self.todos => self.todo_completed(user, at),
            _ => self.call(user, at),
        }
    }

    /// A single answered outbound call by a random user at `at`.
    pub fn live_call(&mut self, at: i64) -> Value {
        let user = self.rng.random_range(0..self.users);
        self.call(user, at)
    }

    fn base(&mut self, user: u32, at: i64, kind: &str, mut fields: Value) -> Value {
        self.next_event += 1;
        fields["id"] = json!(format!("e{}", self.next_event));
        fields["type"] = json!(kind);
        fields["at"] = json!(timestamp(at));
        fields["user_id"] = json!(Floor::user_id(user));
        fields
    }

    fn call(&mut self, user: u32, at: i64) -> Value {
        let outbound = self.rng.random_bool(0.7);
        let answered = self.rng.random_bool(0.6);
        let talk = if answered {
            self.rng.random_range(20..900)
        } else {
            0
        };
        let mut fields = json!({
            "direction": if outbound { "outbound" } else { "inbound" },
            "answered": answered, "talk_seconds": talk,
        });
        if self.rng.random_bool(0.85)
            && let Some(customer) = self.customer_of(user)
        {
            fields["customer_id"] = json!(customer);
        }
        self.base(user, at, "call", fields)
    }

    fn customer_of(&mut self, user: u32) -> Option<String> {
        let own = &self.customers[user as usize];
        if own.is_empty() {
            return None;
        }
        let n = own[self.rng.random_range(0..own.len())];
        Some(format!("c{n}"))
    }

    /// One of the first list's channels for four customers or deals in five.
    fn channel(&mut self) -> Option<&'static str> {
        const CHANNELS: [&str; 6] = [
            "hotline", "website", "facebook", "zalo", "referral", "walk_in",
        ];
        self.rng
            .random_bool(0.8)
            .then(|| CHANNELS[self.rng.random_range(0..CHANNELS.len())])
    }

    fn customer_created(&mut self, user: u32, at: i64) -> Value {
        let n = self.next_customer;
        self.next_customer += 1;
        self.customers[user as usize].push(n);
        let mut fields = json!({"customer_id": format!("c{n}")});
        if let Some(channel) = self.channel() {
            fields["channel"] = json!(channel);
        }
        self.base(user, at, "customer.created", fields)
    }

    fn customer_updated(&mut self, user: u32, at: i64) -> Value {
        let mut fields = json!({});
        if self.rng.random_bool(0.1) {
            fields["owner_id"] = json!(Floor::user_id(self.rng.random_range(0..self.users)));
        }
        self.on_customer(user, at, "customer.updated", fields)
    }

    fn on_customer(&mut self, user: u32, at: i64, kind: &str, mut fields: Value) -> Value {
        match self.customer_of(user) {
            Some(customer) => {
                fields["customer_id"] = json!(customer);
                self.base(user, at, kind, fields)
            }
            None => self.call(user, at),
        }
    }

    fn opportunity_created(&mut self, user: u32, at: i64) -> Value {
        let Some(customer) = self.customer_of(user) else {
            return self.call(user, at);
        };
        self.opportunities += 1;
        let amount = self.rng.random_range(1..500) * 100_000;
        let mut fields = json!({"opportunity_id": format!("o{}", self.opportunities), "customer_id": customer,
            "amount": amount.to_string()});
        if let Some(channel) = self.channel() {
            fields["channel"] = json!(channel);
        }
        self.base(user, at, "opportunity.created", fields)
    }

    fn opportunity_updated(&mut self, user: u32, at: i64) -> Value {
        let o = self.rng.random_range(1..=self.opportunities);
        let mut fields = json!({"opportunity_id": format!("o{o}")});
        fields["amount"] = json!((self.rng.random_range(1..500) * 100_000).to_string());
        if self.rng.random_bool(0.1) {
            fields["owner_id"] = json!(Floor::user_id(self.rng.random_range(0..self.users)));
        }
        self.base(user, at, "opportunity.updated", fields)
    }

    fn status_changed(&mut self, user: u32, at: i64) -> Value {
        let o = self.rng.random_range(1..=self.opportunities);
        let status = match self.rng.random_range(0..10) {
            0..4 => "won",
            4..7 => "lost",
            7..9 => "open",
            _ => "cancelled",
        };
        let fields = json!({"opportunity_id": format!("o{o}"), "status": status});
        self.base(user, at, "opportunity.status_changed", fields)
    }

    fn todo_created(&mut self, user: u32, at: i64) -> Value {
        self.todos += 1;
        self.base(
            user,
            at,
            "todo.created",
            json!({"todo_id": format!("t{}", self.todos)}),
        )
    }

    fn todo_completed(&mut self, user: u32, at: i64) -> Value {
        self.completed_todos += 1;
        let fields = json!({"todo_id": format!("t{}", self.completed_todos)});
        self.base(user, at, "todo.completed", fields)
    }
}

/// RFC 3339 in UTC for epoch seconds.
fn timestamp(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
