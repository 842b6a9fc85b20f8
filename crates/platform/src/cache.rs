//! A small key-value cache with expiry: Redis when `REDIS_URL` is set (shared
//! by every replica), in-process otherwise (single node).
//!
//! The cache never holds data that is not also in a database, so a Redis
//! error is logged and answered as a miss: callers fall back to the source.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use redis::AsyncCommands as _;

#[derive(Clone)]
pub struct Cache {
    inner: Inner,
    prefix: String,
}

#[derive(Clone)]
enum Inner {
    Redis(redis::aio::ConnectionManager),
    Memory(Arc<Mutex<HashMap<String, (String, Instant)>>>),
}

/// In-process entries beyond this many trigger a sweep of the expired ones.
const MEMORY_SWEEP_AT: usize = 10_000;

impl Cache {
    /// Connects to Redis when a URL is given. Keys get `prefix` in front, so
    /// several stacks (tests) can share one Redis.
    pub async fn connect(redis_url: Option<&str>, prefix: &str) -> anyhow::Result<Self> {
        let inner = match redis_url {
            Some(url) => {
                let client =
                    redis::Client::open(url).context("REDIS_URL is not a valid Redis URL")?;
                let manager =
                    tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager())
                        .await
                        .context("timed out connecting to Redis")?
                        .context("cannot connect to Redis")?;
                Inner::Redis(manager)
            }
            None => Inner::Memory(Arc::default()),
        };
        Ok(Self {
            inner,
            prefix: format!("partner:{prefix}"),
        })
    }

    pub fn in_memory() -> Self {
        Self {
            inner: Inner::Memory(Arc::default()),
            prefix: String::new(),
        }
    }

    pub fn is_redis(&self) -> bool {
        matches!(self.inner, Inner::Redis(_))
    }

    pub async fn get(&self, key: &str) -> Option<String> {
        let key = format!("{}{key}", self.prefix);
        match &self.inner {
            Inner::Redis(conn) => match conn.clone().get::<_, Option<String>>(&key).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "redis get failed; treating as a miss");
                    None
                }
            },
            Inner::Memory(map) => {
                let mut map = map
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match map.get(&key) {
                    Some((v, until)) if *until > Instant::now() => Some(v.clone()),
                    Some(_) => {
                        map.remove(&key);
                        None
                    }
                    None => None,
                }
            }
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        let key = format!("{}{key}", self.prefix);
        match &self.inner {
            Inner::Redis(conn) => {
                let secs = ttl.as_secs().max(1);
                if let Err(e) = conn.clone().set_ex::<_, _, ()>(&key, value, secs).await {
                    tracing::warn!(error = %e, "redis set failed");
                }
            }
            Inner::Memory(map) => {
                let mut map = map
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let now = Instant::now();
                if map.len() >= MEMORY_SWEEP_AT {
                    map.retain(|_, (_, until)| *until > now);
                }
                map.insert(key, (value.to_owned(), now + ttl));
            }
        }
    }

    pub async fn del(&self, key: &str) {
        let key = format!("{}{key}", self.prefix);
        match &self.inner {
            Inner::Redis(conn) => {
                if let Err(e) = conn.clone().del::<_, ()>(&key).await {
                    tracing::warn!(error = %e, "redis del failed");
                }
            }
            Inner::Memory(map) => {
                map.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&key);
            }
        }
    }

    /// Whether the backing store answers (always true in-process).
    pub async fn ping(&self) -> bool {
        match &self.inner {
            Inner::Redis(conn) => redis::cmd("PING")
                .query_async::<String>(&mut conn.clone())
                .await
                .is_ok(),
            Inner::Memory(_) => true,
        }
    }
}

/// The key under which the gateway caches a token's principal, by the
/// token's SHA-256 (hex). Whoever revokes a token deletes this key.
pub fn token_key(token_sha256_hex: &str) -> String {
    format!("token:{token_sha256_hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_entries_expire_and_delete() {
        let cache = Cache::in_memory();
        cache.set("a", "1", Duration::from_millis(50)).await;
        cache.set("b", "2", Duration::from_secs(60)).await;
        assert_eq!(cache.get("a").await.as_deref(), Some("1"));
        cache.del("b").await;
        assert_eq!(cache.get("b").await, None);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(cache.get("a").await, None);
    }
}
