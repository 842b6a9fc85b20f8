//! Totals of lists without a full count on every page. A list's total is
//! counted once and cached per scope, filter and *generation*; whoever
//! writes to the scope calls [`changed`], which starts a new generation, so
//! the next page counts afresh. Paging through an unchanging list costs one
//! count, not one per page, and a total is never older than the last write
//! the cache heard of. Without Redis each process keeps its own cache: a
//! replica that did not see a write may answer the previous total for up to
//! [`TOTAL_TTL`].

use std::future::Future;
use std::time::Duration;

use sha2::Digest as _;

use crate::cache::Cache;
use crate::status::Violations;

/// How long a counted total is kept at most.
pub const TOTAL_TTL: Duration = Duration::from_secs(60);
/// How long a generation mark is kept (far longer than any total).
const GENERATION_TTL: Duration = Duration::from_secs(24 * 3600);

fn generation_key(scope: &str) -> String {
    format!("gen:{scope}")
}

/// The total for `filter` within `scope`: cached, or `count`ed and cached.
/// `filter` is whatever else decides the set (query parameters, the
/// caller's subtree); it is hashed into the key.
pub async fn total<E>(
    cache: &Cache,
    scope: &str,
    filter: &str,
    count: impl Future<Output = Result<i64, E>>,
) -> Result<i64, E> {
    let generation = cache.get(&generation_key(scope)).await.unwrap_or_default();
    let filter = hex::encode(&sha2::Sha256::digest(filter.as_bytes())[..12]);
    let key = format!("total:{scope}:{generation}:{filter}");
    if let Some(n) = cache.get(&key).await.and_then(|v| v.parse().ok()) {
        return Ok(n);
    }
    let n = count.await?;
    cache.set(&key, &n.to_string(), TOTAL_TTL).await;
    Ok(n)
}

/// Something in `scope` was created or removed: totals count afresh.
pub async fn changed(cache: &Cache, scope: &str) {
    cache
        .set(&generation_key(scope), &crate::id::new_id(), GENERATION_TTL)
        .await;
}

// ---- Paging of list requests (`skip`, `take`, `after`), as the services
// parse it.

pub const DEFAULT_TAKE: i64 = 100;
pub const MAX_TAKE: i64 = 1000;
/// The deepest `skip` a list takes, as at the gateway: deeper pages are
/// walked with `after`, whose cost does not grow with depth.
pub const MAX_SKIP: i64 = 10_000;

/// A parsed `skip`/`take`/`after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    skip: i64,
    take: i64,
    after: String,
}

impl Page {
    /// `take` 0 is "not given" (proto3 cannot tell it from absent), so it
    /// means the default; `after` empty is the start of the list. A cursor
    /// is an id the list showed, so one `is_cursor` refuses was never issued.
    /// Each problem is recorded on its field in `v`.
    pub fn parse(
        v: &mut Violations,
        skip: i64,
        take: i64,
        after: &str,
        is_cursor: impl Fn(&str) -> bool,
    ) -> Option<Self> {
        Self::parse_typed(v, skip, take, after, |a| {
            if is_cursor(a) {
                Ok(())
            } else {
                Err("is not a cursor this API issued".into())
            }
        })
        .map(|(page, _)| page)
    }

    /// As [`Page::parse`], for a cursor with a shape of its own (an
    /// invoice's period and id): `cursor` reads it or says why not.
    pub fn parse_typed<C>(
        v: &mut Violations,
        skip: i64,
        take: i64,
        after: &str,
        cursor: impl FnOnce(&str) -> Result<C, String>,
    ) -> Option<(Self, Option<C>)> {
        let mut problems: Vec<(&str, String)> = Vec::new();
        if skip < 0 {
            problems.push(("skip", "must not be negative".into()));
        } else if skip > MAX_SKIP {
            problems.push((
                "skip",
                format!("must be at most {MAX_SKIP}; walk deeper with after"),
            ));
        }
        let take = if take == 0 { DEFAULT_TAKE } else { take };
        if !(1..=MAX_TAKE).contains(&take) {
            problems.push(("take", format!("must be between 1 and {MAX_TAKE}")));
        }
        let typed = if after.is_empty() {
            None
        } else {
            match cursor(after) {
                Ok(c) => Some(c),
                Err(problem) => {
                    problems.push(("after", problem));
                    None
                }
            }
        };
        let fine = problems.is_empty();
        for (field, problem) in problems {
            v.add(field, problem);
        }
        fine.then(|| {
            (
                Self {
                    skip,
                    take,
                    after: after.to_owned(),
                },
                typed,
            )
        })
    }

    pub fn skip(&self) -> i64 {
        self.skip
    }

    pub fn take(&self) -> i64 {
        self.take
    }

    /// The id the page starts after; empty for the first.
    pub fn after(&self) -> &str {
        &self.after
    }

    /// The cursor of the page whose rows (fetched `take + 1`, so that one
    /// more tells that another page follows) are `rows`, which it cuts to
    /// `take`: the last id shown, or empty when nothing follows.
    pub fn cut<T>(&self, rows: &mut Vec<T>, id: impl Fn(&T) -> &str) -> String {
        self.last(rows)
            .map(|r| id(r).to_owned())
            .unwrap_or_default()
    }

    /// Cuts `rows` (fetched `take + 1`) to the page; its last row when more
    /// follow, the one the next page's cursor names.
    pub fn last<'r, T>(&self, rows: &'r mut Vec<T>) -> Option<&'r T> {
        let more = rows.len() as i64 > self.take;
        rows.truncate(usize::try_from(self.take).unwrap_or(usize::MAX));
        rows.last().filter(|_| more)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_total_is_counted_once_until_its_scope_changes() {
        let cache = Cache::in_memory();
        let counts = AtomicI64::new(0);
        let count = || async {
            counts.fetch_add(1, Ordering::Relaxed);
            Ok::<_, ()>(42)
        };
        assert_eq!(total(&cache, "accounts", "a", count()).await, Ok(42));
        assert_eq!(total(&cache, "accounts", "a", count()).await, Ok(42));
        assert_eq!(
            counts.load(Ordering::Relaxed),
            1,
            "the second page uses the count"
        );
        total(&cache, "accounts", "b", count()).await.unwrap();
        assert_eq!(
            counts.load(Ordering::Relaxed),
            2,
            "another filter counts itself"
        );
        changed(&cache, "accounts").await;
        total(&cache, "accounts", "a", count()).await.unwrap();
        assert_eq!(
            counts.load(Ordering::Relaxed),
            3,
            "a write starts a new generation"
        );
        changed(&cache, "contacts:x").await;
        total(&cache, "accounts", "a", count()).await.unwrap();
        assert_eq!(
            counts.load(Ordering::Relaxed),
            3,
            "other scopes' writes do not matter"
        );
    }

    fn parse(skip: i64, take: i64, after: &str) -> Result<Page, Vec<String>> {
        let mut v = Violations::new();
        Page::parse(&mut v, skip, take, after, crate::id::is_id)
            .ok_or_else(|| v.into_vec().into_iter().map(|(field, _)| field).collect())
    }

    #[test]
    fn take_not_given_means_100() {
        assert_eq!(parse(0, 0, "").expect("ok").take(), 100);
    }

    #[test]
    fn take_is_between_1_and_1000() {
        assert_eq!(parse(0, 1, "").expect("ok").take(), 1);
        assert_eq!(parse(0, 1000, "").expect("ok").take(), 1000);
        assert_eq!(parse(0, 1001, ""), Err(vec!["take".to_owned()]));
        assert_eq!(parse(0, -1, ""), Err(vec!["take".to_owned()]));
    }

    #[test]
    fn skip_is_not_negative_nor_deeper_than_the_cap() {
        assert_eq!(parse(7, 10, "").expect("ok").skip(), 7);
        assert_eq!(parse(MAX_SKIP, 10, "").expect("ok").skip(), MAX_SKIP);
        assert_eq!(parse(-1, 10, ""), Err(vec!["skip".to_owned()]));
        assert_eq!(parse(MAX_SKIP + 1, 10, ""), Err(vec!["skip".to_owned()]));
    }

    #[test]
    fn after_is_a_cursor_or_empty() {
        let id = crate::id::new_id();
        assert_eq!(parse(0, 10, &id).expect("ok").after(), id);
        assert_eq!(parse(0, 10, "nope"), Err(vec!["after".to_owned()]));
    }

    #[test]
    fn every_paging_problem_is_reported() {
        assert_eq!(
            parse(-1, -1, "x"),
            Err(vec![
                "skip".to_owned(),
                "take".to_owned(),
                "after".to_owned()
            ])
        );
    }

    #[test]
    fn a_page_with_one_row_more_than_asked_has_a_cursor() {
        let page = parse(0, 2, "").expect("ok");
        let mut rows = vec!["a", "b", "c"];
        assert_eq!(page.cut(&mut rows, |r| r), "b");
        assert_eq!(rows, ["a", "b"]);
        let mut rows = vec!["a", "b"];
        assert_eq!(page.cut(&mut rows, |r| r), "", "nothing follows");
        assert_eq!(rows, ["a", "b"]);
    }
}
