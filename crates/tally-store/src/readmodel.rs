//! The in-memory read model: every rollup and distinct mark, held by each server
//! instance so that reports are computed in memory, in microseconds per user.
//!
//! The database stays the truth. Every committed write records a new version in
//! `changes` with the days it touched. A reader compares the model's version with the
//! latest: equal, it reads the model; behind (another instance wrote, or `tally
//! rebuild` ran), it reloads just those days from one consistent snapshot. A writer
//! applies its own committed sums to the model when nothing came in between, so a
//! single instance never reloads. Reads therefore cost users × days, never events.

use crate::entity_ids::EntityIds;
use crate::marks::Marks;
use crate::sql::{SUMMED, summed_metrics};
use crate::{Backend, Store, StoreError};
use futures::TryStreamExt;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tally_core::{Day, DayRange, Metric, Values};
use tokio::sync::RwLockReadGuard;

/// The two distinct-count metrics, whose marks the model keeps per entity.
const DISTINCT: [Metric; 2] = [Metric::CustomersInteracted, Metric::OpportunitiesInteracted];

/// One (user, metric) and its marks.
type MarkList<'a> = (&'a (i64, Metric), &'a Marks);

/// From this many mark lists on, counting is split over the cores.
const PARALLEL_FROM: usize = 256;

/// Rollups and marks as of `version`.
#[derive(Default)]
pub(crate) struct ReadModel {
    pub(crate) loaded: bool,
    pub(crate) version: i64,
    /// Per user key: the days with data and their summed metrics.
    pub(crate) sums: HashMap<i64, UserDays>,
    /// Per (user key, distinct metric): its marks by day (see `marks.rs`).
    pub(crate) marks: HashMap<(i64, Metric), Marks>,
    /// Entity ids as small numbers: compact marks, and counting with a stamp array.
    pub(crate) entities: EntityIds,
    /// Counters put back after a report, to be taken by the next: each holds a stamp
    /// per entity (2.9 MB at 720,000 entities), which a new one would zero again.
    counters: std::sync::Mutex<Vec<Distinct>>,
}

/// How many idle counters the model keeps: one per report running at once, up to this.
const IDLE_COUNTERS: usize = 8;

/// One user's days with data, sorted, and each day's summed metrics (in rollup column
/// order) at the same index: a range is a contiguous slice of each, found by a binary
/// search over the days alone (a few cache lines), then summed in one pass. Most
/// writes are today's: they add to the last day or append one.
#[derive(Default)]
pub(crate) struct UserDays {
    pub(crate) days: Vec<Day>,
    pub(crate) sums: Vec<[i64; SUMMED]>,
}

impl UserDays {
    fn add(&mut self, day: Day, sums: &[i64; SUMMED]) {
        let at = self.days.partition_point(|d| *d < day);
        if self.days.get(at) == Some(&day) {
            self.sums[at]
                .iter_mut()
                .zip(sums)
                .for_each(|(total, delta)| *total = total.saturating_add(*delta));
        } else {
            self.days.insert(at, day);
            self.sums.insert(at, *sums);
        }
    }

    fn forget(&mut self, days: &BTreeSet<Day>) {
        let keep: Vec<bool> = self.days.iter().map(|d| !days.contains(d)).collect();
        let mut kept = keep.iter();
        self.sums.retain(|_| kept.next().copied().unwrap_or(true));
        self.days.retain(|d| !days.contains(d));
    }

    /// Adds the days within the range to `total`, in the given rollup `columns` only
    /// (a view reads 3 of the 16: summing only those is most of a view's time saved).
    fn add_columns_within(&self, range: DayRange, columns: &[usize], total: &mut [i128; SUMMED]) {
        let start = self.days.partition_point(|day| *day < range.from);
        let end = self.days.partition_point(|day| *day <= range.to);
        for sums in self.sums.get(start..end).unwrap_or_default() {
            for column in columns {
                total[*column] += i128::from(sums[*column]);
            }
        }
    }

    /// The sums of the days within the range, in rollup column order, in 128 bits
    /// (`None` when no day with data is within it).
    fn sum_within(&self, range: DayRange) -> Option<[i128; SUMMED]> {
        let start = self.days.partition_point(|day| *day < range.from);
        let end = self.days.partition_point(|day| *day <= range.to);
        if start >= end {
            return None;
        }
        let mut total = [0i128; SUMMED];
        for sums in &self.sums[start..end] {
            total
                .iter_mut()
                .zip(sums)
                .for_each(|(t, v)| *t += i128::from(*v));
        }
        Some(total)
    }
}

/// A committed write, to apply to the model: its version, sums and marks.
pub(crate) struct Change {
    pub version: i64,
    pub sums: Vec<(Day, i64, [i64; SUMMED])>,
    pub marks: Vec<(Day, i64, Metric, String)>,
}

impl ReadModel {
    fn is_current(&self, latest: i64) -> bool {
        self.loaded && self.version >= latest
    }

    /// Applies a write that follows the model's version directly; otherwise leaves it
    /// to the next reader to reload what changed.
    pub(crate) fn apply(&mut self, change: Change) {
        if !self.loaded || self.version != change.version - 1 {
            return;
        }
        for (day, user, sums) in change.sums {
            self.add_sums(day, user, &sums);
        }
        for (day, user, metric, entity) in change.marks {
            self.add_mark(day, user, metric, &entity);
        }
        self.version = change.version;
    }

    fn add_sums(&mut self, day: Day, user: i64, sums: &[i64; SUMMED]) {
        self.sums.entry(user).or_default().add(day, sums);
    }

    fn add_mark(&mut self, day: Day, user: i64, metric: Metric, entity: &str) {
        let number = self.entities.number(entity);
        self.marks
            .entry((user, metric))
            .or_default()
            .insert(day, number);
    }

    /// Puts back a user's part of a snapshot (see `snapshot.rs`).
    pub(crate) fn restore_user(&mut self, user: i64, part: crate::snapshot::UserPart) {
        if !part.days.days.is_empty() {
            self.sums.insert(user, part.days);
        }
        for (metric, marks) in part.marks {
            self.marks.insert((user, metric), Marks::of(&marks));
        }
    }

    /// Puts back a snapshot's entity numbers; the model is then the database at
    /// `version`.
    pub(crate) fn restore_entities(&mut self, entities: EntityIds, version: i64) {
        self.entities = entities;
        self.version = version;
        self.loaded = true;
    }

    /// Drops what the model holds for these days, before reloading them.
    fn forget(&mut self, days: &BTreeSet<Day>) {
        for user_days in self.sums.values_mut() {
            user_days.forget(days);
        }
        for marks in self.marks.values_mut() {
            marks.forget(days);
        }
    }

    /// Sums and distinct counts of users over a range (all users with data if `None`).
    pub(crate) fn user_values(
        &self,
        range: DayRange,
        users: Option<&[i64]>,
    ) -> HashMap<i64, Values> {
        let mut values = HashMap::new();
        let lists: Vec<MarkList<'_>> = match users {
            None => self.marks.iter().collect(),
            Some(users) => users
                .iter()
                .flat_map(|u| DISTINCT.map(|m| (*u, m)))
                .filter_map(|key| self.marks.get_key_value(&key))
                .collect(),
        };
        let sum = || self.sums_into(range, users, &mut values);
        for ((user, metric), n) in self.count_lists(&lists, range, sum) {
            if n > 0 {
                values
                    .entry(user)
                    .or_insert_with(Values::default)
                    .set(metric, n);
            }
        }
        values
    }

    /// Distinct entities of each (user, metric) mark list within the range. Big reports
    /// split the lists over the machine's cores: this is most of a report's work. The
    /// calling thread does `meanwhile` (the report's sums) while the others count.
    fn count_lists(
        &self,
        lists: &[MarkList<'_>],
        range: DayRange,
        meanwhile: impl FnOnce(),
    ) -> Vec<((i64, Metric), i64)> {
        let count = |chunk: &[MarkList<'_>]| {
            let mut distinct = self.counter();
            let counted = chunk
                .iter()
                .map(|(key, marks)| (**key, distinct.count_list(marks, range)));
            counted.collect::<Vec<_>>()
        };
        let cores = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if cores == 1 || lists.len() < PARALLEL_FROM {
            meanwhile();
            return count(lists);
        }
        std::thread::scope(|scope| {
            let parts: Vec<_> = lists
                .chunks(lists.len().div_ceil(cores))
                .map(|c| scope.spawn(move || count(c)))
                .collect();
            meanwhile();
            let joined = parts
                .into_iter()
                .map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            joined.flatten().collect()
        })
    }

    /// Adds the summed metrics of users over a range into `values`.
    pub(crate) fn sums_into(
        &self,
        range: DayRange,
        users: Option<&[i64]>,
        values: &mut HashMap<i64, Values>,
    ) {
        let mut add = |user: i64, days: &UserDays| {
            if let Some(sums) = days.sum_within(range) {
                add_columns(values.entry(user).or_default(), sums);
            }
        };
        match users {
            None => self.sums.iter().for_each(|(user, days)| add(*user, days)),
            Some(users) => {
                for user in users {
                    if let Some(days) = self.sums.get(user) {
                        add(*user, days);
                    }
                }
            }
        }
    }

    /// Adds the rollup `columns` of `users` over `range` to `values`, straight into one
    /// total (a group's sums, where no one's own values are wanted).
    pub(crate) fn sum_of(
        &self,
        range: DayRange,
        users: &[i64],
        columns: &[usize],
        values: &mut Values,
    ) {
        let mut total = [0i128; SUMMED];
        for days in users.iter().filter_map(|user| self.sums.get(user)) {
            days.add_columns_within(range, columns, &mut total);
        }
        add_columns(values, total);
    }

    /// One user's values over a range, counting only the `wanted` distinct metrics:
    /// a group of one member, the commonest (a person's row, a day of a chart).
    pub(crate) fn one_user_values(
        &self,
        user: i64,
        range: DayRange,
        (columns, wanted): (&[usize], &[Metric]),
        distinct: &mut Distinct,
    ) -> Values {
        let mut values = Values::default();
        if let Some(days) = self.sums.get(&user) {
            let mut total = [0i128; SUMMED];
            days.add_columns_within(range, columns, &mut total);
            add_columns(&mut values, total);
        }
        for metric in DISTINCT.iter().filter(|m| wanted.contains(m)) {
            let marks = self.marks.get(&(user, *metric));
            let count = marks.map_or(0, |m| distinct.count_list(m, range));
            values.set(*metric, count);
        }
        values
    }

    /// Each group's values on each day of `range` where one of the `wanted` metrics is
    /// not zero, as (group index, day, values): what a per-day breakdown (a chart, an
    /// export's daily sheet) reads. A day's distinct metrics count an entity once over
    /// the group's members of that day.
    pub(crate) fn daily_values(
        &self,
        groups: &[Vec<(i64, DayRange)>],
        range: DayRange,
        wanted: &[Metric],
    ) -> Vec<(usize, Day, Values)> {
        let mut distinct = self.counter();
        let mut out = Vec::new();
        for (index, group) in groups.iter().enumerate() {
            let mut by_day = vec![Values::default(); range.len() as usize];
            self.add_days(group, range, wanted, &mut distinct, &mut by_day);
            for (day, values) in range.days().zip(by_day) {
                if wanted.iter().any(|m| values.get(*m) != 0) {
                    out.push((index, day, values));
                }
            }
        }
        out
    }

    /// The sum of all groups' values on each day of `range` (each group's as in
    /// [`daily_values`](Self::daily_values)): what a chart of many rows reads, without
    /// a value per group and day.
    pub(crate) fn daily_totals(
        &self,
        groups: &[Vec<(i64, DayRange)>],
        range: DayRange,
        wanted: &[Metric],
    ) -> Vec<(Day, Values)> {
        let mut distinct = self.counter();
        let mut by_day = vec![Values::default(); range.len() as usize];
        for group in groups {
            self.add_days(group, range, wanted, &mut distinct, &mut by_day);
        }
        range.days().zip(by_day).collect()
    }

    /// Adds a group's values on each day of `range` into `by_day` (one entry a day).
    fn add_days(
        &self,
        group: &[(i64, DayRange)],
        range: DayRange,
        wanted: &[Metric],
        distinct: &mut Distinct,
        by_day: &mut [Values],
    ) {
        let spans: Vec<(i64, DayRange)> = group
            .iter()
            .filter_map(|(user, days)| days.intersect(range).map(|d| (*user, d)))
            .collect();
        for (user, span) in &spans {
            let Some(user_days) = self.sums.get(user) else {
                continue;
            };
            let start = user_days.days.partition_point(|d| *d < span.from);
            let end = user_days.days.partition_point(|d| *d <= span.to);
            for (day, sums) in user_days.days[start..end]
                .iter()
                .zip(&user_days.sums[start..end])
            {
                let offset = (day.number() - range.from.number()) as usize;
                let values = &mut by_day[offset];
                summed_metrics()
                    .zip(sums)
                    .for_each(|(m, v)| values.add(m, *v));
            }
        }
        for metric in DISTINCT.iter().filter(|m| wanted.contains(m)) {
            for (offset, day) in range.days().enumerate() {
                distinct.begin();
                spans
                    .iter()
                    .filter(|(_, span)| span.contains(day))
                    .filter_map(|(user, _)| self.marks.get(&(*user, *metric)))
                    .for_each(|marks| distinct.add(marks.within(DayRange::single(day))));
                let count = distinct.counted;
                if count > 0 {
                    by_day[offset].add(*metric, count);
                }
            }
        }
    }

    /// A counter of distinct entities, sized for this model: an idle one if there is
    /// one, given back to the model when dropped.
    pub(crate) fn counter(&self) -> Counter<'_> {
        let mut distinct = self.idle_counters().pop().unwrap_or_default();
        distinct.cover(self.entities.len());
        Counter {
            model: self,
            distinct,
        }
    }

    fn idle_counters(&self) -> std::sync::MutexGuard<'_, Vec<Distinct>> {
        self.counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Distinct counts over the union of member-days: each span of days with its users.
    /// `distinct` comes from [`ReadModel::counter`], once for all the teams of a report.
    pub(crate) fn distinct_union(
        &self,
        spans: &BTreeMap<(Day, Day), Vec<i64>>,
        wanted: &[Metric],
        distinct: &mut Distinct,
    ) -> Vec<(Metric, i64)> {
        DISTINCT
            .iter()
            .filter(|metric| wanted.contains(metric))
            .map(|metric| {
                distinct.begin();
                for ((from, to), users) in spans {
                    let range = DayRange {
                        from: *from,
                        to: *to,
                    };
                    users
                        .iter()
                        .filter_map(|user| self.marks.get(&(*user, *metric)))
                        .for_each(|marks| distinct.add(marks.within(range)));
                }
                (*metric, distinct.counted)
            })
            .collect()
    }
}

/// Adds sums in rollup column order to their metrics.
fn add_columns(values: &mut Values, sums: [i128; SUMMED]) {
    for (metric, sum) in summed_metrics().zip(sums) {
        values.0[metric.index()] += sum;
    }
}

/// Counts distinct entity numbers: each count stamps what it saw, so nothing is
/// cleared between counts and no set is allocated per count.
#[derive(Default)]
pub(crate) struct Distinct {
    seen: Vec<u32>,
    stamp: u32,
    /// The different numbers seen since the count began.
    counted: i64,
    /// Scratch for counting one list by its local numbers ([`Marks::distinct_within`]).
    bits: Vec<u64>,
}

impl Distinct {
    /// Makes room for entity numbers below `entities` (numbers only grow).
    fn cover(&mut self, entities: usize) {
        if self.seen.len() < entities {
            self.seen.resize(entities, 0);
        }
    }

    /// How many different entities one list marked within the range.
    fn count_list(&mut self, marks: &Marks, range: DayRange) -> i64 {
        marks.distinct_within(range, &mut self.bits)
    }

    /// How many different numbers `entities` holds (the model's numbers).
    #[cfg(test)]
    fn count(&mut self, entities: impl IntoIterator<Item = u32>) -> i64 {
        self.begin();
        self.add(entities);
        self.counted
    }

    /// Starts a count over several lists (each given to [`add`](Self::add)): what
    /// earlier counts saw is forgotten.
    fn begin(&mut self) {
        if self.stamp == u32::MAX {
            self.seen.fill(0);
            self.stamp = 0;
        }
        self.stamp += 1;
        self.counted = 0;
    }

    /// Adds the numbers not seen yet since [`begin`](Self::begin) to `counted`.
    fn add(&mut self, entities: impl IntoIterator<Item = u32>) {
        for entity in entities {
            if let Some(seen) = self.seen.get_mut(entity as usize)
                && *seen != self.stamp
            {
                *seen = self.stamp;
                self.counted += 1;
            }
        }
    }
}

/// A [`Distinct`] lent by the model for one report.
pub(crate) struct Counter<'a> {
    model: &'a ReadModel,
    distinct: Distinct,
}

impl std::ops::Deref for Counter<'_> {
    type Target = Distinct;

    fn deref(&self) -> &Distinct {
        &self.distinct
    }
}

impl std::ops::DerefMut for Counter<'_> {
    fn deref_mut(&mut self) -> &mut Distinct {
        &mut self.distinct
    }
}

impl Drop for Counter<'_> {
    fn drop(&mut self) {
        let mut idle = self.model.idle_counters();
        if idle.len() < IDLE_COUNTERS {
            idle.push(std::mem::take(&mut self.distinct));
        }
    }
}

impl Store {
    /// The read model, brought up to the latest committed version first if needed.
    pub(crate) async fn read_model(&self) -> Result<RwLockReadGuard<'_, ReadModel>, StoreError> {
        self.read_model_at(self.data_version().await?).await
    }

    /// The read model, brought up to at least `latest` (a data version just read).
    pub(crate) async fn read_model_at(
        &self,
        latest: i64,
    ) -> Result<RwLockReadGuard<'_, ReadModel>, StoreError> {
        let model = self.model.read().await;
        if model.is_current(latest) {
            return Ok(model);
        }
        drop(model);
        let mut model = self.model.write().await;
        if !model.is_current(latest) {
            self.refresh(&mut model).await?;
        }
        Ok(model.downgrade())
    }

    /// Loads the read model now, so that the first report after a start does not wait
    /// for it (and readiness can say when it is there).
    pub async fn warm_up(&self) -> Result<(), StoreError> {
        self.read_model().await.map(drop)
    }

    /// Whether the read model was loaded: until then a report first loads it.
    pub fn model_loaded(&self) -> bool {
        self.model_loaded.load(std::sync::atomic::Ordering::Acquire)
    }

    /// How many versions the read model is behind the database (another instance's
    /// writes it has not read yet); `None` before it is loaded, and while it is being
    /// (re)loaded: this never waits for a load.
    pub async fn model_lag(&self) -> Result<Option<i64>, StoreError> {
        let latest = self.data_version().await?;
        let Ok(model) = self.model.try_read() else {
            return Ok(None);
        };
        Ok(model.loaded.then(|| (latest - model.version).max(0)))
    }

    /// The latest committed data version: it grows with every write that changed
    /// rollups, from any instance (the live pages watch it).
    pub async fn data_version(&self) -> Result<i64, StoreError> {
        let (version,): (i64,) = sqlx::query_as("select coalesce(max(version), 0) from changes")
            .fetch_one(&self.pool)
            .await?;
        Ok(version)
    }

    /// Reloads the days changed since the model's version (or everything), all read
    /// in one snapshot so the model equals the database at exactly one version.
    async fn refresh(&self, model: &mut ReadModel) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("set transaction isolation level repeatable read")
                .execute(&mut *tx)
                .await?;
        }
        let (latest,): (i64,) = sqlx::query_as("select coalesce(max(version), 0) from changes")
            .fetch_one(&mut *tx)
            .await?;
        if !model.loaded
            && let Some(snapshot) = crate::snapshot::read(&mut tx, latest).await?
        {
            tracing::info!(
                version = snapshot.version,
                latest,
                "read model restored from its snapshot"
            );
            *model = snapshot;
        }
        let days = match model.loaded {
            false => None,
            true => {
                let changed: Vec<(String,)> =
                    sqlx::query_as("select days from changes where version > $1")
                        .bind(model.version)
                        .fetch_all(&mut *tx)
                        .await?;
                changed_days(&changed)?
            }
        };
        let filter = match &days {
            None => {
                *model = ReadModel::default();
                String::new()
            }
            Some(days) => {
                model.forget(days);
                let numbers: Vec<String> = days.iter().map(|d| d.number().to_string()).collect();
                format!("where day in ({})", numbers.join(", "))
            }
        };
        if days.as_ref().is_none_or(|d| !d.is_empty()) {
            load_sums(&mut tx, &filter, model).await?;
            load_marks(&mut tx, &filter, model).await?;
        }
        tx.commit().await?;
        model.loaded = true;
        model.version = latest;
        self.model_loaded
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }
}

/// The days named by these changes, or `None` when one of them changed everything.
fn changed_days(changes: &[(String,)]) -> Result<Option<BTreeSet<Day>>, StoreError> {
    let mut days = BTreeSet::new();
    for (list,) in changes {
        if list == "*" {
            return Ok(None);
        }
        for number in list.split(',').filter(|n| !n.is_empty()) {
            let number: i32 = number
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("changes.days '{list}'")))?;
            days.insert(Day::from_number(number));
        }
    }
    Ok(Some(days))
}

async fn load_sums(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    filter: &str,
    model: &mut ReadModel,
) -> Result<(), StoreError> {
    let columns: Vec<&str> = summed_metrics().map(Metric::key).collect();
    let sql = format!(
        "select day, user_key, {} from rollups {filter}",
        columns.join(", ")
    );
    let mut rows = sqlx::query(&sql).fetch(&mut **tx);
    while let Some(row) = rows.try_next().await? {
        let mut sums = [0; SUMMED];
        for (i, sum) in sums.iter_mut().enumerate() {
            *sum = row.try_get(i + 2)?;
        }
        model.add_sums(
            crate::people::day_of(row.try_get(0)?),
            row.try_get(1)?,
            &sums,
        );
    }
    Ok(())
}

async fn load_marks(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    filter: &str,
    model: &mut ReadModel,
) -> Result<(), StoreError> {
    let sql = format!("select day, user_key, metric, entity from marks {filter}");
    let mut rows = sqlx::query_as::<_, (i64, i64, i64, String)>(&sql).fetch(&mut **tx);
    // Gathered per list, then each list built at once: added one by one, in the
    // table's order, every entity that ranks before the list's others would move them.
    let mut loaded: HashMap<(i64, Metric), Vec<(Day, u32)>> = HashMap::new();
    while let Some((day, user, metric, entity)) = rows.try_next().await? {
        let metric = usize::try_from(metric)
            .ok()
            .and_then(|i| Metric::ALL.get(i).copied());
        let metric =
            metric.ok_or_else(|| StoreError::Corrupt(format!("marks.metric {metric:?}")))?;
        let number = model.entities.number(&entity);
        loaded
            .entry((user, metric))
            .or_default()
            .push((crate::people::day_of(day), number));
    }
    for (key, marks) in loaded {
        model.marks.entry(key).or_default().extend(&marks);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_counter_lent_again_counts_afresh_even_past_its_last_stamp() {
        let mut model = ReadModel::default();
        for (day, entity) in [(1, "a"), (1, "b"), (2, "a"), (3, "c")] {
            model.add_mark(
                Day::from_number(day),
                7,
                Metric::CustomersInteracted,
                entity,
            );
        }
        let all = DayRange {
            from: Day::from_number(0),
            to: Day::from_number(9),
        };
        let marks = &model.marks[&(7, Metric::CustomersInteracted)];
        {
            let mut counter = model.counter();
            assert_eq!(counter.count(marks.within(all)), 3);
            counter.stamp = u32::MAX - 1;
            assert_eq!(counter.count(marks.local_within(all)), 3);
        }
        // The same counter comes back, at its last stamp: it starts over, cleared.
        let mut counter = model.counter();
        assert_eq!(counter.stamp, u32::MAX);
        assert_eq!(counter.count(marks.within(all).take(2)), 2);
        assert_eq!(counter.stamp, 1);
        // A mark of a new entity after the counter was sized still counts.
        drop(counter);
        model.add_mark(Day::from_number(4), 7, Metric::CustomersInteracted, "d");
        let marks = &model.marks[&(7, Metric::CustomersInteracted)];
        assert_eq!(model.counter().count(marks.within(all)), 4);
    }

    #[test]
    fn distinct_counts_split_over_cores_equal_a_plain_count() {
        let mut model = ReadModel {
            loaded: true,
            ..ReadModel::default()
        };
        let mut expected: HashMap<i64, HashSet<String>> = HashMap::new();
        let range = DayRange {
            from: Day::from_number(10),
            to: Day::from_number(20),
        };
        for user in 0..400_i64 {
            for n in 0..30_i32 {
                let day = Day::from_number(n);
                let entity = format!("c{}", (user * 7 + i64::from(n) * 3) % 50);
                model.add_mark(day, user, Metric::CustomersInteracted, &entity);
                if range.contains(day) {
                    expected.entry(user).or_default().insert(entity);
                }
            }
        }
        assert!(
            model.marks.len() >= PARALLEL_FROM,
            "the test must take the parallel path"
        );
        let values = model.user_values(range, None);
        for (user, entities) in &expected {
            let counted = values[user].get(Metric::CustomersInteracted);
            assert_eq!(
                counted,
                i128::try_from(entities.len()).unwrap(),
                "user {user}"
            );
        }
        assert_eq!(values.len(), expected.len());
    }

    #[test]
    fn a_per_day_breakdown_equals_each_days_own_values() {
        let mut model = ReadModel {
            loaded: true,
            ..ReadModel::default()
        };
        let day = Day::from_number;
        for user in 1..=3_i64 {
            for n in 0..12_i32 {
                if (n + user as i32) % 4 == 0 {
                    continue; // days with no data
                }
                let mut sums = [0; SUMMED];
                sums[0] = i64::from(n) * user;
                sums[3] = 7;
                model.add_sums(day(n), user, &sums);
                // Customers shared between people and days: a day counts each once.
                let customer = format!("c{}", (n + user as i32) % 3);
                model.add_mark(day(n), user, Metric::CustomersInteracted, &customer);
            }
        }
        let range = DayRange {
            from: day(2),
            to: day(9),
        };
        let span = |from, to| DayRange {
            from: day(from),
            to: day(to),
        };
        let groups = vec![
            vec![(1, span(0, 11))],
            // A team whose members joined on different days.
            vec![(2, span(4, 11)), (3, span(0, 6))],
            vec![(4, span(0, 11))],
        ];
        let wanted = Metric::ALL;
        let daily = model.daily_values(&groups, range, &wanted);
        for (index, group) in groups.iter().enumerate() {
            for d in range.days() {
                let on_day: Vec<(i64, DayRange)> = group
                    .iter()
                    .filter(|(_, r)| r.contains(d))
                    .map(|(user, _)| (*user, DayRange::single(d)))
                    .collect();
                let expected = model.group_values(&[on_day], &wanted)[0];
                let got = daily
                    .iter()
                    .find(|(g, at, _)| *g == index && *at == d)
                    .map_or(Values::default(), |(_, _, v)| *v);
                assert_eq!(got, expected, "group {index}, day {d:?}");
            }
        }
        assert!(daily.iter().all(|(g, _, _)| *g != 2), "no data, no days");
        assert!(daily.iter().all(|(_, d, _)| range.contains(*d)));
    }
}
