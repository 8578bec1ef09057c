//! Where the data lives and what it means: the database, and the organization's
//! calendar and currency the rollups are computed in. Every command opens the store
//! through [`open_store`], so each checks the same things before it reads or writes.

use tally_core::calendar::CalendarError;
use tally_core::{Calendar, Currency, Organization};
use tally_store::Store;

/// The database and the organization's calendar and currency.
#[derive(Clone)]
pub struct DataSettings {
    /// `sqlite://PATH` or `postgres://…`; may hold a password, so never printed whole.
    pub database_url: String,
    pub timezone: String,
    pub week_start: String,
    pub currency: String,
}

impl Default for DataSettings {
    fn default() -> Self {
        DataSettings {
            database_url: "sqlite://tally.db".into(),
            timezone: "Asia/Ho_Chi_Minh".into(),
            week_start: "monday".into(),
            currency: "VND".into(),
        }
    }
}

impl std::fmt::Debug for DataSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSettings")
            .field("database_url", &redacted(&self.database_url))
            .field("timezone", &self.timezone)
            .field("week_start", &self.week_start)
            .field("currency", &self.currency)
            .finish()
    }
}

impl DataSettings {
    /// The organization these settings describe.
    pub fn organization(&self) -> Result<Organization, CalendarError> {
        Ok(Organization {
            calendar: Calendar::new(&self.timezone, &self.week_start)?,
            currency: Currency::from_code(&self.currency),
        })
    }

    /// The database URL without any password, for messages and logs.
    pub fn database_for_display(&self) -> String {
        redacted(&self.database_url)
    }
}

/// Why the store could not be opened, in words for the person who started Tally.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OpenError(pub String);

/// Opens the store named by the settings and checks that its rollups were computed
/// for the configured time zone and currency (recording them on first use).
pub async fn open_store(settings: &DataSettings) -> Result<(Store, Organization), OpenError> {
    let org = settings
        .organization()
        .map_err(|e| OpenError(e.to_string()))?;
    let store = Store::open(&settings.database_url).await.map_err(|e| {
        OpenError(format!(
            "cannot open {}: {e}",
            settings.database_for_display()
        ))
    })?;
    for (name, wanted) in [
        ("timezone", &settings.timezone),
        ("currency", &settings.currency),
    ] {
        match store
            .meta(name)
            .await
            .map_err(|e| OpenError(e.to_string()))?
        {
            None => store
                .set_meta(name, wanted)
                .await
                .map_err(|e| OpenError(e.to_string()))?,
            Some(stored) if stored == *wanted => {}
            Some(stored) => {
                return Err(OpenError(format!(
                    "the stored rollups were computed with {name} {stored}, but the settings say {wanted}; \
                     run `tally rebuild` with the new settings to recompute them"
                )));
            }
        }
    }
    store
        .follow_events_once(&org)
        .await
        .map_err(|e| OpenError(format!("bringing CRM records up to date: {e}")))?;
    store
        .fill_sales_once()
        .await
        .map_err(|e| OpenError(format!("counting the sales by channel: {e}")))?;
    Ok((store, org))
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_in_debug_output() {
        let settings = DataSettings {
            database_url: "postgres://tally:hunter2@db/tally".into(),
            ..DataSettings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("postgres://tally:***@db/tally"));
        assert_eq!(redacted("sqlite://tally.db"), "sqlite://tally.db");
    }
}
