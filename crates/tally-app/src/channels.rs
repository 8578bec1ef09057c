//! The organisation's sales channels (everyone reads the list; owners and admins add,
//! rename and retire channels), and the sales by channel over a range: per channel and
//! per person in it, new customers and opportunities, won and lost opportunities,
//! revenue, win rate and average deal, beside the range it is compared with.

use crate::app::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::input::Fields;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use tally_core::state::SaleMeasure;
use tally_core::views::Compare;
use tally_core::{DayRange, Role};
pub use tally_store::Channel;
use tally_store::SalesRow;

/// The longest channel id.
pub const MAX_CHANNEL_ID: usize = 50;

/// The most phone lines a channel has, and the longest line.
const MAX_LINES: usize = 100;
const MAX_LINE: usize = 80;

/// What one channel (or one person in it) did over a range. Revenue is in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SalesFigures {
    pub customers_new: i64,
    pub opportunities_new: i64,
    pub opportunities_won: i64,
    pub opportunities_lost: i64,
    pub revenue_minor: i64,
}

impl SalesFigures {
    /// The figures of a stored row, in the order of [`SaleMeasure::ALL`].
    fn of(figures: &[i64; 5]) -> SalesFigures {
        let at = |m: SaleMeasure| figures[m.index()];
        SalesFigures {
            customers_new: at(SaleMeasure::CustomersNew),
            opportunities_new: at(SaleMeasure::OpportunitiesNew),
            opportunities_won: at(SaleMeasure::OpportunitiesWon),
            opportunities_lost: at(SaleMeasure::OpportunitiesLost),
            revenue_minor: at(SaleMeasure::Revenue),
        }
    }

    fn add_all(&mut self, other: &SalesFigures) {
        self.customers_new += other.customers_new;
        self.opportunities_new += other.opportunities_new;
        self.opportunities_won += other.opportunities_won;
        self.opportunities_lost += other.opportunities_lost;
        self.revenue_minor += other.revenue_minor;
    }

    /// Won ÷ (won + lost): of the opportunities decided in the range (their current
    /// status reached on one of its days), the share won. `None` when none was decided.
    pub fn win_rate(&self) -> Option<Decimal> {
        let decided = self.opportunities_won + self.opportunities_lost;
        (decided > 0).then(|| Decimal::from(self.opportunities_won) / Decimal::from(decided))
    }

    /// Revenue ÷ won, in minor units. `None` when nothing was won.
    pub fn average_deal_minor(&self) -> Option<Decimal> {
        (self.opportunities_won > 0)
            .then(|| Decimal::from(self.revenue_minor) / Decimal::from(self.opportunities_won))
    }

    /// Whether nothing happened.
    pub fn is_zero(&self) -> bool {
        *self == SalesFigures::default()
    }
}

/// A figure now and over the range compared with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compared {
    pub now: SalesFigures,
    pub before: SalesFigures,
}

/// One person's sales in one channel.
#[derive(Clone, Debug)]
pub struct PersonSales {
    pub user_id: String,
    pub name: String,
    pub figures: Compared,
}

/// One channel: its figures and its people's (those the caller sees, each credited
/// as the metrics credit them: the record's current owner).
#[derive(Clone, Debug)]
pub struct ChannelSales {
    /// The channel's id; `""` for customers and opportunities with none.
    pub channel: String,
    /// Its name; empty for none (the pages and exports say "no channel").
    pub name: String,
    pub figures: Compared,
    pub people: Vec<PersonSales>,
}

/// The sales by channel over a range.
#[derive(Clone, Debug)]
pub struct SalesByChannel {
    pub range: DayRange,
    pub compare: Compare,
    pub previous: DayRange,
    /// In the list's order, then the channels no longer listed, then none; a channel
    /// with nothing in either range only while forms offer it.
    pub channels: Vec<ChannelSales>,
    pub total: Compared,
    /// The data version the figures are at least as new as.
    pub data_version: i64,
}

/// A channel's phone lines from `["1900 1234", "zalo-queue"]`, each as the call
/// import matches it (a number by its digits: `19001234`), none empty or twice, in
/// the order they are listed in.
fn lines(value: &serde_json::Value) -> Result<Vec<String>> {
    let wrong = || {
        Error::invalid(
            "lines",
            format!(
                "must be a list of at most {MAX_LINES} phone numbers or queue names, \
                 each 1 to {MAX_LINE} characters"
            ),
        )
    };
    let items = value
        .as_array()
        .filter(|a| a.len() <= MAX_LINES)
        .ok_or_else(wrong)?;
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let line = item.as_str().map(str::trim).ok_or_else(wrong)?;
        if line.is_empty() || line.chars().count() > MAX_LINE || line.contains('\0') {
            return Err(wrong());
        }
        let line = tally_sources::line_key(line);
        if lines.contains(&line) {
            return Err(Error::invalid("lines", format!("{line} is listed twice")));
        }
        lines.push(line);
    }
    lines.sort();
    Ok(lines)
}

impl App {
    /// Every channel, in list order (retired ones too: their history stays).
    pub async fn channels(&self) -> Result<Vec<Channel>> {
        Ok(self.store().channels().await?)
    }

    /// Adds or changes a channel: `{"name", "active?", "position?", "lines?"}` under
    /// `id` (lowercase letters, digits, `_` and `-`). A channel is never deleted:
    /// retire it (`active: false`) and forms stop offering it. `lines` are the numbers
    /// called and the queues whose inbound calls the call import credits to it.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), channel = id))]
    pub async fn save_channel(&self, caller: &Caller, id: &str, body: &Fields) -> Result<Channel> {
        caller.require(&[Role::Owner, Role::Admin], "change the channels")?;
        body.only(&["name", "active", "position", "lines"])?;
        let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c);
        if id.is_empty() || id.len() > MAX_CHANNEL_ID || !id.chars().all(valid) {
            return Err(Error::invalid(
                "id",
                format!("must be 1 to {MAX_CHANNEL_ID} lowercase letters, digits, _ or -"),
            ));
        }
        let list = self.channels().await?;
        let existing = list.iter().find(|c| c.id == id);
        let position = match body.get("position") {
            None => existing.map_or(
                list.iter().map(|c| c.position).max().unwrap_or(0) + 1,
                |c| c.position,
            ),
            Some(value) => value
                .as_i64()
                .filter(|p| (0..=1_000_000).contains(p))
                .ok_or_else(|| {
                    Error::invalid("position", "must be a whole number from 0 to 1000000")
                })?,
        };
        let channel = Channel {
            id: id.to_owned(),
            name: match (body.optional_text("name", 100)?, existing) {
                (Some(name), _) => name,
                (None, Some(c)) => c.name.clone(),
                (None, None) => return Err(Error::invalid("name", "is required")),
            },
            active: body
                .optional_bool("active")?
                .unwrap_or(existing.is_none_or(|c| c.active)),
            position,
            lines: match body.get("lines") {
                None => existing.map(|c| c.lines.clone()).unwrap_or_default(),
                Some(value) => lines(value)?,
            },
        };
        self.store().save_channel(&channel).await?;
        Ok(channel)
    }

    /// The sales by channel over `range`, compared as `compare` says, of the people the
    /// caller sees.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn sales_by_channel(
        &self,
        caller: &Caller,
        range: DayRange,
        compare: Compare,
    ) -> Result<SalesByChannel> {
        let now = self.now().await?;
        let scope = self.read_scope(caller, &now.directory);
        let previous = compare.range_for(range);
        let store = self.store();
        let (figures, before, list) = (
            store.sales_figures(range).await?,
            store.sales_figures(previous).await?,
            store.channels().await?,
        );
        let mut by_channel: BTreeMap<String, BTreeMap<String, Compared>> = BTreeMap::new();
        let mut gather = |rows: Vec<SalesRow>, now: bool| {
            for row in rows.into_iter().filter(|r| scope.sees_user(&r.user_id)) {
                let person = by_channel
                    .entry(row.channel)
                    .or_default()
                    .entry(row.user_id)
                    .or_default();
                let figures = SalesFigures::of(&row.figures);
                match now {
                    true => person.now.add_all(&figures),
                    false => person.before.add_all(&figures),
                }
            }
        };
        gather(figures, true);
        gather(before, false);
        let roster = &now.directory.roster;
        let name_of = |id: &str| roster.user(id).map_or(id, |u| u.name.as_str()).to_owned();
        let mut order: Vec<(String, String, bool)> = list
            .iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.active))
            .collect();
        for id in by_channel.keys().filter(|id| !id.is_empty()) {
            if !list.iter().any(|c| c.id == *id) {
                order.push((id.clone(), id.clone(), false));
            }
        }
        order.push((String::new(), String::new(), false));
        let mut report = SalesByChannel {
            range,
            compare,
            previous,
            channels: Vec::new(),
            total: Compared::default(),
            data_version: now.data_version,
        };
        for (id, name, active) in order {
            let people_figures = by_channel.remove(&id).unwrap_or_default();
            let mut channel = ChannelSales {
                channel: id,
                name,
                figures: Compared::default(),
                people: Vec::new(),
            };
            for (user_id, figures) in people_figures {
                add_compared(&mut channel.figures, &figures);
                channel.people.push(PersonSales {
                    name: name_of(&user_id),
                    user_id,
                    figures,
                });
            }
            let empty = channel.figures.now.is_zero() && channel.figures.before.is_zero();
            if active || !empty {
                add_compared(&mut report.total, &channel.figures);
                report.channels.push(channel);
            }
        }
        Ok(report)
    }
}

fn add_compared(total: &mut Compared, part: &Compared) {
    total.now.add_all(&part.now);
    total.before.add_all(&part.before);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_rate_is_won_over_decided_and_the_average_deal_revenue_over_won() {
        let figures = SalesFigures {
            opportunities_won: 3,
            opportunities_lost: 1,
            revenue_minor: 1_000_000,
            ..SalesFigures::default()
        };
        assert_eq!(figures.win_rate(), Some(Decimal::new(75, 2)));
        assert_eq!(
            figures.average_deal_minor().map(|d| d.round_dp(2)),
            Some(Decimal::new(33_333_333, 2))
        );
        let nothing_decided = SalesFigures {
            opportunities_new: 4,
            ..SalesFigures::default()
        };
        assert_eq!(nothing_decided.win_rate(), None);
        assert_eq!(nothing_decided.average_deal_minor(), None);
    }
}
