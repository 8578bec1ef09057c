//! A snapshot of the read model in the database, so a restart loads the model in one
//! read instead of recomputing it from every rollup and mark row.
//!
//! The snapshot is the model as of one data version `V`, kept in `model_snapshot`
//! (migration 0010) in parts: one per user (their days' sums and their distinct marks)
//! and the entity ids in chunks, with `V` and the number of parts in `meta`. Loading
//! it gives the model at `V` exactly; the days that versions after `V` touched are
//! then reloaded from the tables, as for any model that fell behind, and a version
//! after `V` that changed everything (`tally rebuild`) reloads everything. So a
//! snapshot of any age is safe: an old one only leaves more days to reload.
//!
//! Parts are flat little-endian integers (layout in [`encode_user`] and
//! [`encode_entities`]): the model is arrays of fixed-width numbers, which a
//! general-purpose serialiser would only wrap. A part that does not read back whole is
//! refused and the model is loaded from the tables instead.

use crate::entity_ids::EntityIds;
use crate::marks::Marks;
use crate::readmodel::{ReadModel, UserDays};
use crate::sql::SUMMED;
use crate::{Store, StoreError};
use futures::TryStreamExt;
use std::collections::HashMap;
use tally_core::{Day, Metric};

/// The `meta` entry holding the snapshot's format, data version and number of parts
/// (`1:V:N`; builds before the count wrote `1:V`, which still reads).
const META: &str = "model_snapshot";

/// The format of the parts; a snapshot of another format is ignored.
const FORMAT: &str = "1";

/// A user's marks of one distinct metric; a part holds them as (day, the model's
/// entity number), in that order.
type MarkList<'a> = (Metric, &'a Marks);

/// Entity ids per part.
const ENTITIES_PER_PART: usize = 50_000;

impl Store {
    /// Writes a snapshot of the read model as it is now (nothing if it is not loaded
    /// yet), replacing the previous one. Returns the data version it holds.
    pub async fn save_model_snapshot(&self) -> Result<Option<i64>, StoreError> {
        let (version, parts) = {
            let model = self.model.read().await;
            if !model.loaded {
                return Ok(None);
            }
            (model.version, parts_of(&model))
        };
        let mut w = self.begin_write().await?;
        sqlx::query("delete from model_snapshot")
            .execute(&mut *w.tx)
            .await?;
        let entry = format!("{FORMAT}:{version}:{}", parts.len());
        for (part, body) in parts {
            sqlx::query("insert into model_snapshot (part, body) values ($1, $2)")
                .bind(part)
                .bind(body)
                .execute(&mut *w.tx)
                .await?;
        }
        crate::upsert_meta(&mut *w.tx, META, &entry).await?;
        w.tx.commit().await?;
        Ok(Some(version))
    }

    /// Forgets the stored snapshot: the next start loads the model from the tables
    /// (`tally bench` measures both starts).
    pub async fn discard_model_snapshot(&self) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query("delete from model_snapshot")
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("delete from meta where name = $1")
            .bind(META)
            .execute(&mut *w.tx)
            .await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// The data version of the stored snapshot, if there is one this build reads.
    pub async fn model_snapshot_version(&self) -> Result<Option<i64>, StoreError> {
        let entry = self.meta(META).await?;
        Ok(entry
            .as_deref()
            .and_then(stored)
            .map(|(version, _)| version))
    }
}

/// The data version of a snapshot of this build's format, and its number of parts
/// when the entry records it.
fn stored(entry: &str) -> Option<(i64, Option<usize>)> {
    let mut fields = entry.split(':');
    if fields.next()? != FORMAT {
        return None;
    }
    let version = fields.next()?.parse().ok()?;
    let parts = match fields.next() {
        Some(count) => Some(count.parse().ok()?),
        None => None,
    };
    fields.next().is_none().then_some((version, parts))
}

/// Reads the snapshot within the transaction that loads the model, if there is one
/// this build reads and it is not ahead of `latest`. A part that does not read back
/// whole makes it `None` (the caller loads from the tables), with a warning.
pub(crate) async fn read(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    latest: i64,
) -> Result<Option<ReadModel>, StoreError> {
    let meta: Option<(String,)> = sqlx::query_as("select value from meta where name = $1")
        .bind(META)
        .fetch_optional(&mut **tx)
        .await?;
    let Some((version, parts)) = meta.and_then(|(m,)| stored(&m)) else {
        return Ok(None);
    };
    if version > latest {
        return Ok(None);
    }
    let mut model = ReadModel::default();
    let mut entities: Vec<(usize, Vec<String>)> = Vec::new();
    let mut rows = sqlx::query_as::<_, (String, Vec<u8>)>("select part, body from model_snapshot")
        .fetch(&mut **tx);
    let mut read_parts = 0;
    while let Some((part, body)) = rows.try_next().await? {
        read_parts += 1;
        let decoded = match part.split_at_checked(1) {
            Some(("u", key)) => key
                .parse()
                .ok()
                .and_then(|key| decode_user(&body).map(|user| model.restore_user(key, user))),
            Some(("e", first)) => first
                .parse()
                .ok()
                .and_then(|first| decode_entities(&body).map(|ids| entities.push((first, ids)))),
            _ => None,
        };
        if decoded.is_none() {
            tracing::warn!(
                part,
                "a part of the read model's snapshot does not read back; loading from the tables"
            );
            return Ok(None);
        }
    }
    if parts.is_some_and(|parts| parts != read_parts) {
        tracing::warn!(
            read_parts,
            "the read model's snapshot misses parts; loading from the tables"
        );
        return Ok(None);
    }
    entities.sort_by_key(|(first, _)| *first);
    let mut numbers = EntityIds::default();
    for (first, ids) in entities {
        if first != numbers.len() {
            tracing::warn!(
                first,
                "the read model's snapshot misses entities; loading from the tables"
            );
            return Ok(None);
        }
        for id in ids {
            let next = numbers.len();
            if numbers.number(&id) as usize != next {
                tracing::warn!(
                    next,
                    "the read model's snapshot lists an entity twice; loading from the tables"
                );
                return Ok(None);
            }
        }
    }
    model.restore_entities(numbers, version);
    Ok(Some(model))
}

/// The model's parts: `u{key}` per user, `e{first number}` per chunk of entity ids.
fn parts_of(model: &ReadModel) -> Vec<(String, Vec<u8>)> {
    let mut marks_by_user: HashMap<i64, Vec<MarkList<'_>>> = HashMap::new();
    for ((user, metric), marks) in &model.marks {
        marks_by_user
            .entry(*user)
            .or_default()
            .push((*metric, marks));
    }
    let empty = UserDays::default();
    let mut users: Vec<i64> = model
        .sums
        .keys()
        .chain(marks_by_user.keys())
        .copied()
        .collect();
    users.sort_unstable();
    users.dedup();
    let mut parts: Vec<(String, Vec<u8>)> = users
        .iter()
        .map(|user| {
            let days = model.sums.get(user).unwrap_or(&empty);
            let marks = marks_by_user.remove(user).unwrap_or_default();
            (format!("u{user}"), encode_user(days, &marks))
        })
        .collect();
    let ids: Vec<&str> = model.entities.ids().collect();
    for (chunk, ids) in ids.chunks(ENTITIES_PER_PART).enumerate() {
        let first = chunk * ENTITIES_PER_PART;
        parts.push((format!("e{first}"), encode_entities(ids.iter().copied())));
    }
    parts
}

/// A user's part: `u32` days, then per day `i32` day number and `SUMMED` × `i64`
/// sums; `u32` mark lists, then per list `u8` metric index, `u32` marks and per mark
/// `i32` day number and `u32` entity number.
fn encode_user(days: &UserDays, marks: &[MarkList<'_>]) -> Vec<u8> {
    let marks_len: usize = marks.iter().map(|(_, m)| 5 + m.len() * 8).sum();
    let mut out = Vec::with_capacity(8 + days.days.len() * (4 + SUMMED * 8) + marks_len);
    put_len(&mut out, days.days.len());
    for (day, sums) in days.days.iter().zip(&days.sums) {
        out.extend_from_slice(&day.number().to_le_bytes());
        sums.iter()
            .for_each(|s| out.extend_from_slice(&s.to_le_bytes()));
    }
    put_len(&mut out, marks.len());
    for (metric, list) in marks {
        out.push(u8::try_from(metric.index()).unwrap_or(u8::MAX));
        put_len(&mut out, list.len());
        for (day, entity) in list.iter() {
            out.extend_from_slice(&day.number().to_le_bytes());
            out.extend_from_slice(&entity.to_le_bytes());
        }
    }
    out
}

/// A chunk of entity ids, in number order: per id a `u32` length and its UTF-8 bytes.
fn encode_entities<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut out = Vec::new();
    for id in ids {
        put_len(&mut out, id.len());
        out.extend_from_slice(id.as_bytes());
    }
    out
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

/// What a user's part holds.
pub(crate) struct UserPart {
    pub days: UserDays,
    pub marks: Vec<(Metric, Vec<(Day, u32)>)>,
}

fn decode_user(body: &[u8]) -> Option<UserPart> {
    let mut r = Reader(body);
    let mut days = UserDays::default();
    for _ in 0..r.u32()? {
        days.days.push(Day::from_number(r.i32()?));
        let mut sums = [0i64; SUMMED];
        for sum in &mut sums {
            *sum = r.i64()?;
        }
        days.sums.push(sums);
    }
    let mut marks = Vec::new();
    for _ in 0..r.u32()? {
        let metric = *Metric::ALL.get(usize::from(r.u8()?))?;
        let count = r.u32()? as usize;
        let mut list = Vec::with_capacity(count.min(r.0.len() / 8));
        for _ in 0..count {
            list.push((Day::from_number(r.i32()?), r.u32()?));
        }
        marks.push((metric, list));
    }
    r.0.is_empty().then_some(UserPart { days, marks })
}

fn decode_entities(body: &[u8]) -> Option<Vec<String>> {
    let mut r = Reader(body);
    let mut ids = Vec::new();
    while !r.0.is_empty() {
        let len = r.u32()? as usize;
        let (id, rest) = r.0.split_at_checked(len)?;
        ids.push(String::from_utf8(id.to_vec()).ok()?);
        r.0 = rest;
    }
    Some(ids)
}

/// Reads little-endian integers off the front of a part.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_le_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_le_bytes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_user_part_reads_back_as_written_and_a_cut_one_does_not() {
        let days = UserDays {
            days: vec![Day::from_number(20_000), Day::from_number(20_003)],
            sums: vec![[7; SUMMED], [i64::MIN; SUMMED]],
        };
        let marks = vec![(Day::from_number(20_000), 3), (Day::from_number(20_003), 9)];
        let list = Marks::of(&marks);
        let body = encode_user(&days, &[(Metric::CustomersInteracted, &list)]);
        let part = decode_user(&body).unwrap();
        assert_eq!(part.days.days, days.days);
        assert_eq!(part.days.sums, days.sums);
        assert_eq!(part.marks, vec![(Metric::CustomersInteracted, marks)]);
        assert!(decode_user(&body[..body.len() - 1]).is_none());
        let mut longer = body.clone();
        longer.push(0);
        assert!(decode_user(&longer).is_none());
    }

    #[test]
    fn the_entry_gives_the_version_and_the_parts_when_counted() {
        assert_eq!(stored("1:42:7"), Some((42, Some(7))));
        assert_eq!(stored("1:42"), Some((42, None)), "written before the count");
        for other in ["2:42:7", "1:x:7", "1:42:x", "1:42:7:1", "1", ""] {
            assert_eq!(stored(other), None, "{other:?}");
        }
    }

    #[test]
    fn entity_ids_read_back_in_order() {
        let ids = vec!["c1".to_owned(), "khách hàng 2".to_owned(), String::new()];
        assert_eq!(
            decode_entities(&encode_entities(ids.iter().map(String::as_str))),
            Some(ids)
        );
        assert_eq!(decode_entities(&[5, 0, 0, 0, b'a']), None);
    }
}
