//! A small key-value cache with expiry: Redis when `REDIS_URL` is set (shared
//! by every replica), in-process otherwise (single node).
//!
//! The cache never holds data that is not also in a database, so a Redis
//! error is answered as a miss: callers fall back to the source. After a
//! failure Redis is left alone for [`REDIS_RETRY`] (every call in between is
//! a miss at once, not a wait), then tried again; the switch either way is
//! logged once and counted ([`Cache::redis_fallback`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use redis::AsyncCommands as _;
use tracing::Instrument as _;

/// The longest one Redis call may take before it counts as a failure.
const REDIS_TIMEOUT: Duration = Duration::from_millis(300);
/// How long Redis is left alone after a failure.
const REDIS_RETRY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Cache {
    inner: Inner,
    prefix: String,
    health: Arc<Health>,
}

/// Whether Redis answers, shared by every clone of a cache.
struct Health {
    start: Instant,
    /// Milliseconds since `start` before which Redis is not tried.
    down_until: AtomicU64,
    fallback: AtomicBool,
    fallbacks: AtomicU64,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            down_until: AtomicU64::new(0),
            fallback: AtomicBool::new(false),
            fallbacks: AtomicU64::new(0),
        }
    }
}

impl Health {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

#[derive(Clone)]
enum Inner {
    Redis(redis::aio::ConnectionManager),
    Memory(MemoryMap),
}

/// In-process entries beyond this many trigger a sweep of the expired ones.
const MEMORY_SWEEP_AT: usize = 10_000;
/// ...and so does this much time, whatever the count.
const MEMORY_SWEEP_EVERY: Duration = Duration::from_secs(30);

type MemoryMap = Arc<Mutex<HashMap<String, (String, Instant)>>>;

/// Drops expired entries, and the table's room when most of it is empty
/// (a `HashMap` keeps its largest size otherwise).
fn sweep(map: &mut HashMap<String, (String, Instant)>) {
    let now = Instant::now();
    map.retain(|_, (_, until)| *until > now);
    if map.capacity() > 2 * map.len() + 64 {
        map.shrink_to_fit();
    }
}

impl Cache {
    /// Connects to Redis when a URL is given. Keys get `prefix` in front, so
    /// several stacks (tests) can share one Redis.
    pub async fn connect(redis_url: Option<&str>, prefix: &str) -> anyhow::Result<Self> {
        let inner = match redis_url {
            Some(url) => {
                let client =
                    redis::Client::open(url).context("REDIS_URL is not a valid Redis URL")?;
                // Short timeouts and one reconnect try: an outage must turn
                // into quick misses, not requests waiting on reconnects.
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(REDIS_TIMEOUT))
                    .set_response_timeout(Some(REDIS_TIMEOUT))
                    .set_number_of_retries(1);
                let manager = tokio::time::timeout(
                    Duration::from_secs(5),
                    client.get_connection_manager_with_config(config),
                )
                .await
                .context("timed out connecting to Redis")?
                .context("cannot connect to Redis")?;
                // The series exists from the start, so "absent" never has
                // to be read as "fine".
                crate::metrics::install();
                metrics::gauge!("cache_redis_fallback").set(0.0);
                Inner::Redis(manager)
            }
            None => Inner::Memory(Arc::default()),
        };
        Ok(Self {
            inner,
            prefix: format!("partner:{prefix}"),
            health: Arc::default(),
        })
    }

    /// An in-process cache. Inside a Tokio runtime, a task sweeps its
    /// expired entries every [`MEMORY_SWEEP_EVERY`] for as long as the cache
    /// lives, so what a burst of work cached does not outlive its TTL.
    pub fn in_memory() -> Self {
        let map: MemoryMap = Arc::default();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&map);
            runtime.spawn(async move {
                loop {
                    tokio::time::sleep(MEMORY_SWEEP_EVERY).await;
                    let Some(map) = weak.upgrade() else { return };
                    sweep(
                        &mut map
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner),
                    );
                }
            });
        }
        Self {
            inner: Inner::Memory(map),
            prefix: String::new(),
            health: Arc::default(),
        }
    }

    pub fn is_redis(&self) -> bool {
        matches!(self.inner, Inner::Redis(_))
    }

    /// Whether Redis is configured but failing now: callers that keep state
    /// in it (the gateway's rate limiter) keep it per process meanwhile.
    pub fn redis_fallback(&self) -> bool {
        self.health.fallback.load(Ordering::Relaxed)
    }

    /// How many times Redis has stopped answering since the start.
    pub fn redis_fallbacks_total(&self) -> u64 {
        self.health.fallbacks.load(Ordering::Relaxed)
    }

    /// Runs one Redis call unless Redis failed within [`REDIS_RETRY`];
    /// `None` for a failure, a timeout, a skipped call or no Redis at all.
    async fn redis<T, F, Fut>(&self, call: F) -> Option<T>
    where
        F: FnOnce(redis::aio::ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let Inner::Redis(conn) = &self.inner else {
            return None;
        };
        let h = &self.health;
        if h.now_ms() < h.down_until.load(Ordering::Relaxed) {
            return None;
        }
        let error = match tokio::time::timeout(REDIS_TIMEOUT, call(conn.clone())).await {
            Ok(Ok(v)) => {
                if h.fallback.swap(false, Ordering::Relaxed) {
                    metrics::gauge!("cache_redis_fallback").set(0.0);
                    tracing::info!("redis answers again; shared caching and rate limits resume");
                }
                return Some(v);
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {REDIS_TIMEOUT:?}"),
        };
        let retry_ms = u64::try_from(REDIS_RETRY.as_millis()).unwrap_or(1000);
        h.down_until.store(h.now_ms() + retry_ms, Ordering::Relaxed);
        if !h.fallback.swap(true, Ordering::Relaxed) {
            h.fallbacks.fetch_add(1, Ordering::Relaxed);
            metrics::gauge!("cache_redis_fallback").set(1.0);
            metrics::counter!("cache_redis_fallbacks_total").increment(1);
            tracing::warn!(
                error,
                "redis is unreachable; caching falls back to the source and rate limits to this process until it answers"
            );
        }
        None
    }

    /// One step of the generic cell rate algorithm (GCRA) on `key`, atomic
    /// in Redis, so every replica shares one budget: with `cost` 1 a unit is
    /// taken if one is free; with 0 nothing is taken, only asked. Answers
    /// whether the unit is (or would be) granted and how far, in ms, the
    /// key's theoretical arrival time is then ahead of now. `None` when Redis
    /// is not configured or not answering: the caller limits in-process.
    pub async fn gcra(
        &self,
        key: &str,
        interval_ms: i64,
        burst: i64,
        cost: i64,
    ) -> Option<(bool, i64)> {
        static SCRIPT: OnceLock<redis::Script> = OnceLock::new();
        let script = SCRIPT.get_or_init(|| redis::Script::new(GCRA_LUA));
        if !self.is_redis() {
            // No call to make (and so no span): the caller limits in-process.
            return None;
        }
        let span = self.span("EVALSHA", kind(key));
        let key = format!("{}{key}", self.prefix);
        let (granted, ahead): (i64, i64) = self
            .redis(|mut c| async move {
                script
                    .key(key)
                    .arg(interval_ms)
                    .arg(burst)
                    .arg(cost)
                    .invoke_async(&mut c)
                    .await
            })
            .instrument(span)
            .await?;
        Some((granted == 1, ahead))
    }

    pub async fn get(&self, key: &str) -> Option<String> {
        let kind = kind(key);
        let span = self.span("GET", kind);
        let found = self.get_inner(key).instrument(span).await;
        metrics::counter!(
            "cache_requests_total",
            "cache" => kind,
            "result" => if found.is_some() { "hit" } else { "miss" },
        )
        .increment(1);
        found
    }

    /// A client span per cache call, naming the key's kind, never the key:
    /// token keys are token hashes.
    fn span(&self, operation: &'static str, kind: &'static str) -> tracing::Span {
        tracing::info_span!(
            "cache",
            otel.name = format!("{operation} {kind}"),
            otel.kind = "client",
            db.system.name = if self.is_redis() { "redis" } else { "memory" },
            db.operation.name = operation,
            cache = kind,
        )
    }

    async fn get_inner(&self, key: &str) -> Option<String> {
        let key = format!("{}{key}", self.prefix);
        match &self.inner {
            Inner::Redis(_) => self
                .redis(|mut c| async move { c.get::<_, Option<String>>(&key).await })
                .await
                .flatten(),
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
        let span = self.span("SET", kind(key));
        let key = format!("{}{key}", self.prefix);
        match &self.inner {
            Inner::Redis(_) => {
                let secs = ttl.as_secs().max(1);
                self.redis(|mut c| async move { c.set_ex::<_, _, ()>(&key, value, secs).await })
                    .instrument(span)
                    .await;
            }
            Inner::Memory(map) => {
                let mut map = map
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if map.len() >= MEMORY_SWEEP_AT {
                    sweep(&mut map);
                }
                map.insert(key, (value.to_owned(), Instant::now() + ttl));
            }
        }
    }

    pub async fn del(&self, key: &str) {
        let span = self.span("DEL", kind(key));
        let key = format!("{}{key}", self.prefix);
        match &self.inner {
            Inner::Redis(_) => {
                self.redis(|mut c| async move { c.del::<_, ()>(&key).await })
                    .instrument(span)
                    .await;
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
            Inner::Redis(conn) => tokio::time::timeout(
                REDIS_TIMEOUT,
                redis::cmd("PING").query_async::<String>(&mut conn.clone()),
            )
            .await
            .is_ok_and(|r| r.is_ok()),
            Inner::Memory(_) => true,
        }
    }
}

/// GCRA with Redis's own clock, so replicas with skewed clocks agree.
/// KEYS[1]: the key; ARGV: emission interval (ms), burst, cost (0 or 1).
/// The key holds the theoretical arrival time (TAT) in ms; a unit is
/// granted when, after it, the TAT is at most burst × interval ahead.
const GCRA_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local horizon = interval * tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat + interval - now > horizon then
  return {0, tat - now}
end
if cost == 0 then
  return {1, tat - now}
end
local new_tat = tat + interval * cost
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now + 1000)
return {1, new_tat - now}
";

/// A key's kind (what precedes its first `:`), for labels and spans; kinds
/// this list does not know are `other`, so labels stay bounded.
fn kind(key: &str) -> &'static str {
    const KINDS: [&str; 7] = ["token", "limits", "access", "gen", "total", "rl", "idem"];
    let head = key.split(':').next().unwrap_or_default();
    KINDS.into_iter().find(|k| *k == head).unwrap_or("other")
}

/// The key under which the gateway caches a token's principal, by the
/// token's SHA-256 (hex). Whoever revokes a token deletes this key.
pub fn token_key(token_sha256_hex: &str) -> String {
    format!("token:{token_sha256_hex}")
}

/// The key under which a customer's limits in force are cached (the
/// gateway's rate limiter reads them per request). account-svc deletes it
/// whenever one of the customer's limits changes.
pub fn limits_key(customer_id: &str) -> String {
    format!("limits:{customer_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_drops_expired_entries_and_their_room() {
        let mut map = HashMap::new();
        let past = Instant::now();
        for i in 0..5_000 {
            map.insert(format!("k{i}"), ("v".to_owned(), past));
        }
        map.insert(
            "live".to_owned(),
            ("v".to_owned(), Instant::now() + Duration::from_secs(60)),
        );
        sweep(&mut map);
        assert_eq!(map.len(), 1);
        assert!(map.capacity() < 100, "{}", map.capacity());
    }

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
