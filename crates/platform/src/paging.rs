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
}
