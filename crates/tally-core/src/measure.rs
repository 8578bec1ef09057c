//! What a goal's criterion and a view's row measure: one of the 18 built-in metrics,
//! or one of the organisation's custom metrics ([`crate::custom`]), named by the same
//! kind of key in goals, views, exports and the API.
//!
//! Two measures are the same when their keys are (a custom key is never a built-in
//! one); they sort built-in first, in the spec's order, then custom by key.

use crate::custom::CustomMetric;
use crate::metric::{Metric, Unit, UnknownMetric};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A built-in metric, or a custom metric with its definition.
#[derive(Clone, Debug)]
pub enum Measure {
    BuiltIn(Metric),
    Custom(Arc<CustomMetric>),
}

impl Measure {
    /// Its key, as in the API (`calls`, `long_calls`, …).
    pub fn key(&self) -> &str {
        match self {
            Measure::BuiltIn(metric) => metric.key(),
            Measure::Custom(custom) => &custom.key,
        }
    }

    /// The unit of its values.
    pub fn unit(&self) -> Unit {
        match self {
            Measure::BuiltIn(metric) => metric.unit(),
            Measure::Custom(custom) => custom.unit(),
        }
    }

    /// Its name in Vietnamese.
    pub fn name_vi(&self) -> &str {
        match self {
            Measure::BuiltIn(metric) => metric.name_vi(),
            Measure::Custom(custom) => &custom.name_vi,
        }
    }

    /// Its name in English.
    pub fn name_en(&self) -> &str {
        match self {
            Measure::BuiltIn(metric) => metric.name_en(),
            Measure::Custom(custom) => &custom.name_en,
        }
    }

    /// The built-in metric, if it is one.
    pub fn built_in(&self) -> Option<Metric> {
        match self {
            Measure::BuiltIn(metric) => Some(*metric),
            Measure::Custom(_) => None,
        }
    }

    /// Reads a key: a built-in metric's, or one of `custom`'s.
    pub fn find(key: &str, custom: &[Arc<CustomMetric>]) -> Result<Measure, UnknownMetric> {
        match key.parse::<Metric>() {
            Ok(metric) => Ok(Measure::BuiltIn(metric)),
            Err(unknown) => custom
                .iter()
                .find(|c| c.key == key)
                .map(|c| Measure::Custom(Arc::clone(c)))
                .ok_or(unknown),
        }
    }
}

impl From<Metric> for Measure {
    fn from(metric: Metric) -> Measure {
        Measure::BuiltIn(metric)
    }
}

impl PartialEq for Measure {
    fn eq(&self, other: &Measure) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Measure {}

impl PartialEq<Metric> for Measure {
    fn eq(&self, other: &Metric) -> bool {
        self.built_in() == Some(*other)
    }
}

impl Ord for Measure {
    fn cmp(&self, other: &Measure) -> Ordering {
        match (self, other) {
            (Measure::BuiltIn(a), Measure::BuiltIn(b)) => a.cmp(b),
            (Measure::BuiltIn(_), Measure::Custom(_)) => Ordering::Less,
            (Measure::Custom(_), Measure::BuiltIn(_)) => Ordering::Greater,
            (Measure::Custom(a), Measure::Custom(b)) => a.key.cmp(&b.key),
        }
    }
}

impl PartialOrd for Measure {
    fn partial_cmp(&self, other: &Measure) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Measure {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn long_calls() -> Arc<CustomMetric> {
        let body = json!({
            "key": "long_calls", "name_vi": "Cuộc gọi dài", "name_en": "Long calls",
            "of": "events", "events": ["call"], "aggregate": "count",
            "filters": {"talk_seconds_at_least": 120}
        });
        Arc::new(CustomMetric::parse(&body, None).unwrap())
    }

    #[test]
    fn a_key_is_a_built_in_metric_or_one_of_the_organisations() {
        let custom = [long_calls()];
        let calls = Measure::find("calls", &custom).unwrap();
        assert_eq!(calls, Metric::Calls);
        let long = Measure::find("long_calls", &custom).unwrap();
        assert_eq!(
            (long.key(), long.unit(), long.name_en()),
            ("long_calls", Unit::Count, "Long calls")
        );
        assert_eq!(long.built_in(), None);
        assert!(Measure::find("long_calls", &[]).is_err());
        assert!(Measure::find("nope", &custom).is_err());
    }

    #[test]
    fn built_in_metrics_sort_first_in_the_specs_order_then_custom_ones_by_key() {
        let mut measures = [
            Measure::Custom(long_calls()),
            Measure::BuiltIn(Metric::Revenue),
            Measure::BuiltIn(Metric::Calls),
        ];
        measures.sort();
        let keys: Vec<&str> = measures.iter().map(Measure::key).collect();
        assert_eq!(keys, ["calls", "revenue", "long_calls"]);
    }
}
