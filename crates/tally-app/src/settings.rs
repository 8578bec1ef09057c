//! The organisation's scoring settings: grade thresholds, the score cap and the pace
//! thresholds, as decimal fractions (`0.8` = 80 %). Everyone reads them; owners and
//! admins change them. They live with the organisation in memory, so a change is seen
//! by every instance's next view.

use crate::app::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::input::Fields;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::str::FromStr;
use tally_core::Role;
use tally_core::progress::{SCORING_KEYS, Scoring};

impl App {
    /// The scoring settings in force.
    pub async fn scoring(&self) -> Result<Scoring> {
        Ok(self.now().await?.directory.scoring.clone())
    }

    /// Changes the settings given, each a fraction above 0 (at most 100); the others
    /// keep their values. The whole must still make sense (A above B above C …).
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn change_scoring(&self, caller: &Caller, fields: &Fields) -> Result<Scoring> {
        caller.require(&[Role::Owner, Role::Admin], "change the settings")?;
        let mut scoring = self.scoring().await?;
        for (key, value) in &fields.0 {
            let decimal = match value {
                Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
                Value::String(s) => Decimal::from_str(s.trim()).ok(),
                _ => None,
            }
            .filter(|d| *d > Decimal::ZERO && *d <= Decimal::from(100))
            .ok_or_else(|| {
                Error::invalid(key, "must be a decimal fraction above 0, such as \"0.8\"")
            })?;
            if !scoring.set(key, decimal.normalize()) {
                return Err(Error::invalid(
                    key,
                    format!(
                        "unknown setting (expected one of {})",
                        SCORING_KEYS.join(", ")
                    ),
                ));
            }
        }
        scoring
            .check()
            .map_err(|(field, message)| Error::invalid(field, message))?;
        let stored = Value::Object(scoring_fields(&scoring)).to_string();
        self.store().set_scoring(&stored).await?;
        Ok(scoring)
    }
}

/// The settings as stored and shown: each key and its value as a decimal string.
pub fn scoring_fields(scoring: &Scoring) -> Map<String, Value> {
    SCORING_KEYS
        .iter()
        .filter_map(|k| {
            scoring
                .get(k)
                .map(|v| ((*k).to_owned(), Value::String(v.normalize().to_string())))
        })
        .collect()
}
