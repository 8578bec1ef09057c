//! The catalog of the 18 KPI metrics of `spec/metrics.md`.
//!
//! A [`Metric`] is only a name and a kind; what counts for it is decided in
//! [`crate::apply`]. The order of [`Metric::ALL`] is the spec's numbering and is used
//! for storage columns and report output.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// How a metric's values combine over days and users.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A number of things: summed over days and users.
    Count,
    /// A sum of a quantity (seconds): summed over days and users.
    Sum,
    /// A number of distinct entities: counted once over the union of days and users.
    Distinct,
    /// A sum of money in the organization's currency, exact decimal.
    Money,
}

/// The unit a metric's value is expressed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Seconds,
    Money,
}

macro_rules! metrics {
    ($($variant:ident = $key:literal, $kind:ident, $unit:ident, $vi:literal, $en:literal;)*) => {
        /// One of the 18 metrics; the discriminant is the spec's number minus one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Metric { $($variant),* }

        impl Metric {
            /// Every metric, in the spec's order.
            pub const ALL: [Metric; 18] = [$(Metric::$variant),*];

            /// The metric's key, as in the API (`calls`, `revenue`, …).
            pub fn key(self) -> &'static str {
                match self { $(Metric::$variant => $key),* }
            }

            /// How values of this metric combine.
            pub fn kind(self) -> Kind {
                match self { $(Metric::$variant => Kind::$kind),* }
            }

            /// The unit of the metric's values.
            pub fn unit(self) -> Unit {
                match self { $(Metric::$variant => Unit::$unit),* }
            }

            /// The metric's name in Vietnamese.
            pub fn name_vi(self) -> &'static str {
                match self { $(Metric::$variant => $vi),* }
            }

            /// The metric's name in English.
            pub fn name_en(self) -> &'static str {
                match self { $(Metric::$variant => $en),* }
            }
        }
    };
}

metrics! {
    Calls = "calls", Count, Count, "Số cuộc gọi", "Calls";
    CallsConnected = "calls_connected", Count, Count, "Cuộc gọi kết nối", "Connected calls";
    TalkSeconds = "talk_seconds", Sum, Seconds, "Thời gian đàm thoại", "Talk time";
    TalkSecondsOutbound = "talk_seconds_outbound", Sum, Seconds, "Thời gian đàm thoại gọi ra", "Outbound talk time";
    TalkSecondsInbound = "talk_seconds_inbound", Sum, Seconds, "Thời gian đàm thoại gọi vào", "Inbound talk time";
    CustomersNew = "customers_new", Count, Count, "Khách hàng mới", "New customers";
    CustomersInteracted = "customers_interacted", Distinct, Count, "Khách hàng có tương tác", "Customers with interaction";
    CustomerInteractions = "customer_interactions", Count, Count, "Lượt tương tác khách hàng", "Customer interactions";
    TodosCreated = "todos_created", Count, Count, "Công việc", "To-dos";
    TodosCompleted = "todos_completed", Count, Count, "Công việc hoàn thành", "Completed to-dos";
    Meetings = "meetings", Count, Count, "Cuộc gặp", "Meetings";
    EmailsSent = "emails_sent", Count, Count, "Email", "Emails";
    SmsSent = "sms_sent", Count, Count, "SMS", "SMS";
    OpportunitiesNew = "opportunities_new", Count, Count, "Cơ hội bán hàng mới", "New sales opportunities";
    OpportunitiesInteracted = "opportunities_interacted", Distinct, Count, "Cơ hội bán hàng có tương tác", "Sales opportunities with interaction";
    OpportunitiesWon = "opportunities_won", Count, Count, "Cơ hội bán hàng thành công", "Won sales opportunities";
    Revenue = "revenue", Money, Money, "Doanh thu", "Revenue";
    OpportunityInteractions = "opportunity_interactions", Count, Count, "Lượt tương tác cơ hội", "Opportunity interactions";
}

impl Metric {
    /// The metric's position in [`Metric::ALL`] (the spec's number minus one).
    pub fn index(self) -> usize {
        self as usize
    }

    /// True for the two distinct-count metrics (7 and 15).
    pub fn is_distinct(self) -> bool {
        self.kind() == Kind::Distinct
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A metric key that is not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric '{0}'")]
pub struct UnknownMetric(pub String);

impl FromStr for Metric {
    type Err = UnknownMetric;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.key() == s)
            .ok_or_else(|| UnknownMetric(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_the_eighteen_metrics_of_the_spec_in_order() {
        let keys: Vec<_> = Metric::ALL.iter().map(|m| m.key()).collect();
        assert_eq!(keys.len(), 18);
        assert_eq!(keys[0], "calls");
        assert_eq!(keys[6], "customers_interacted");
        assert_eq!(keys[16], "revenue");
        assert_eq!(keys[17], "opportunity_interactions");
        for (i, m) in Metric::ALL.iter().enumerate() {
            assert_eq!(m.index(), i);
            assert_eq!(m.key().parse::<Metric>(), Ok(*m));
        }
    }

    #[test]
    fn only_customers_and_opportunities_interacted_are_distinct() {
        let distinct: Vec<_> = Metric::ALL.iter().filter(|m| m.is_distinct()).collect();
        assert_eq!(
            distinct,
            [
                &Metric::CustomersInteracted,
                &Metric::OpportunitiesInteracted
            ]
        );
        assert_eq!(Metric::Revenue.kind(), Kind::Money);
    }

    #[test]
    fn an_unknown_key_is_named_in_the_error() {
        let err = "callz".parse::<Metric>().unwrap_err();
        assert_eq!(err.to_string(), "unknown metric 'callz'");
    }
}
