//! API rate limiting: the generic cell rate algorithm (GCRA) per API
//! client, its policy the client's home customer's `Api_requestsPerMinute`
//! and `Api_burst` limits. State lives in Redis (one atomic script per
//! request, so every gateway replica draws on one budget); without Redis,
//! or while it is unreachable, each replica keeps its own (documented in
//! the README: a client may then get up to one budget per replica).
//!
//! A policy of `per_minute` requests and `burst` is a bucket of `burst`
//! units refilled one every `60 s / per_minute`: a tight loop gets `burst`
//! requests at once, then one per interval.
//!
//! The token endpoint has its own budgets against secret guessing: failed
//! client authentications per client id and per source address.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode};

use crate::problem::Problem;

/// A bucket: `burst` units, one more every `interval_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub interval_ms: i64,
    pub burst: i64,
}

impl Policy {
    /// `per_minute` ≤ 0 admits nothing (a bucket of no units); a burst
    /// below 1 is 1.
    pub fn per_minute(per_minute: i64, burst: i64) -> Self {
        if per_minute <= 0 {
            return Self {
                interval_ms: 60_000,
                burst: 0,
            };
        }
        Self {
            interval_ms: (60_000 / per_minute).max(1),
            burst: burst.max(1),
        }
    }

    fn horizon_ms(self) -> i64 {
        self.interval_ms.saturating_mul(self.burst)
    }

    /// The policy's window in whole seconds: the time a drained bucket
    /// takes to fill.
    fn window_secs(self) -> i64 {
        ceil_secs(self.horizon_ms()).max(1)
    }
}

/// Failed client authentications at the token endpoint, per client id:
/// 10 in a row, then one more every 30 s.
pub const TOKEN_FAILURES_PER_CLIENT: Policy = Policy {
    interval_ms: 30_000,
    burst: 10,
};

/// ... and per source address, across client ids: 30, then one every 10 s.
pub const TOKEN_FAILURES_PER_ADDRESS: Policy = Policy {
    interval_ms: 10_000,
    burst: 30,
};

fn ceil_secs(ms: i64) -> i64 {
    (ms.max(0) + 999) / 1000
}

/// What one check decided, with what the response headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub policy: Policy,
    /// Units left now.
    pub remaining: i64,
    /// Allowed: seconds until the bucket is full again. Refused: seconds
    /// until one unit is free (= Retry-After).
    pub reset_secs: i64,
}

impl Decision {
    fn new(allowed: bool, ahead_ms: i64, policy: Policy) -> Self {
        let horizon = policy.horizon_ms();
        if allowed {
            Self {
                allowed,
                policy,
                remaining: ((horizon - ahead_ms) / policy.interval_ms).clamp(0, policy.burst),
                reset_secs: ceil_secs(ahead_ms),
            }
        } else {
            Self {
                allowed,
                policy,
                remaining: 0,
                reset_secs: ceil_secs(ahead_ms + policy.interval_ms - horizon).max(1),
            }
        }
    }

    /// `RateLimit-Policy` and `RateLimit` (the IETF httpapi ratelimit
    /// headers draft, structured fields): quota `q` per window `w` seconds;
    /// `r` left, `t` seconds until the reset; on a refusal `Retry-After` too.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        let policy = format!(
            "\"client\";q={};w={}",
            self.policy.burst,
            self.policy.window_secs()
        );
        let now = format!("\"client\";r={};t={}", self.remaining, self.reset_secs);
        if let Ok(v) = HeaderValue::from_str(&policy) {
            headers.insert("ratelimit-policy", v);
        }
        if let Ok(v) = HeaderValue::from_str(&now) {
            headers.insert("ratelimit", v);
        }
        if !self.allowed {
            headers.insert(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from(self.reset_secs),
            );
        }
    }

    /// The 429 problem document of a refusal.
    pub fn problem(&self, what: &str) -> Problem {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("{what}; retry after {} s", self.reset_secs),
        );
        p.kind = "urn:partner:problem:rate-limited".into();
        p
    }
}

/// Decisions taken, by outcome and by where the state was (for /metrics).
#[derive(Debug, Default)]
pub struct Counters {
    pub allowed_redis: AtomicU64,
    pub allowed_memory: AtomicU64,
    pub refused_redis: AtomicU64,
    pub refused_memory: AtomicU64,
}

/// Entries beyond this many trigger a sweep of idle ones.
const MEMORY_SWEEP_AT: usize = 50_000;

pub struct RateLimiter {
    cache: platform::cache::Cache,
    start: Instant,
    /// key → theoretical arrival time (ms since `start`), when Redis is not
    /// in use.
    memory: Mutex<HashMap<String, i64>>,
    pub counters: Counters,
}

impl RateLimiter {
    pub fn new(cache: platform::cache::Cache) -> Self {
        Self {
            cache,
            start: Instant::now(),
            memory: Mutex::default(),
            counters: Counters::default(),
        }
    }

    /// Takes a unit from `key`'s bucket if one is free (`cost` 1), or only
    /// asks whether one is (`cost` 0).
    pub async fn check(&self, key: &str, policy: Policy, cost: i64) -> Decision {
        let key = format!("rl:{key}");
        let (decision, redis) = match self
            .cache
            .gcra(&key, policy.interval_ms, policy.burst, cost)
            .await
        {
            Some((allowed, ahead)) => (Decision::new(allowed, ahead, policy), true),
            None => (self.in_memory(&key, policy, cost), false),
        };
        if cost > 0 {
            let counter = match (decision.allowed, redis) {
                (true, true) => &self.counters.allowed_redis,
                (true, false) => &self.counters.allowed_memory,
                (false, true) => &self.counters.refused_redis,
                (false, false) => &self.counters.refused_memory,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        decision
    }

    /// The same algorithm as the Redis script, on this process's clock.
    fn in_memory(&self, key: &str, policy: Policy, cost: i64) -> Decision {
        let now = i64::try_from(self.start.elapsed().as_millis()).unwrap_or(i64::MAX);
        let mut map = self
            .memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MEMORY_SWEEP_AT {
            map.retain(|_, tat| *tat > now);
        }
        let tat = map.get(key).copied().unwrap_or(now).max(now);
        if tat + policy.interval_ms - now > policy.horizon_ms() {
            return Decision::new(false, tat - now, policy);
        }
        if cost == 0 {
            return Decision::new(true, tat - now, policy);
        }
        let new_tat = tat.saturating_add(policy.interval_ms.saturating_mul(cost));
        map.insert(key.to_owned(), new_tat);
        Decision::new(true, new_tat - now, policy)
    }
}

/// How long a customer's rate-limit policy is cached. account-svc deletes
/// the entry when one of the customer's limits changes, so this only bounds
/// how long a replica without Redis may lag.
pub const POLICY_CACHE: Duration = Duration::from_secs(30);

/// Where the [`crate::auth::Caller`] extractor leaves its rate-limit
/// decision for the layer that answers with it ([`crate::layers`], step 5).
#[derive(Clone, Default)]
pub struct RateSlot(Arc<Mutex<Option<Decision>>>);

impl RateSlot {
    pub fn put(&self, d: Decision) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(d);
    }

    pub fn take(&self) -> Option<Decision> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> RateLimiter {
        RateLimiter::new(platform::cache::Cache::in_memory())
    }

    #[tokio::test]
    async fn a_tight_loop_gets_the_burst_then_waits_one_interval() {
        let l = limiter();
        let p = Policy::per_minute(60, 10);
        let mut allowed = 0;
        for _ in 0..25 {
            if l.check("c", p, 1).await.allowed {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 10);
        let refused = l.check("c", p, 1).await;
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_secs, 1, "one unit per second at 60/min");
        // Another client has its own bucket.
        assert!(l.check("d", p, 1).await.allowed);
    }

    #[tokio::test]
    async fn remaining_counts_down_and_reset_is_the_refill_time() {
        let l = limiter();
        let p = Policy::per_minute(60, 10);
        let first = l.check("c", p, 1).await;
        assert_eq!((first.remaining, first.reset_secs), (9, 1));
        for _ in 0..4 {
            l.check("c", p, 1).await;
        }
        let sixth = l.check("c", p, 1).await;
        assert_eq!((sixth.remaining, sixth.reset_secs), (4, 6));
    }

    #[tokio::test]
    async fn asking_takes_nothing() {
        let l = limiter();
        let p = Policy::per_minute(60, 1);
        for _ in 0..5 {
            assert!(l.check("c", p, 0).await.allowed);
        }
        assert!(l.check("c", p, 1).await.allowed);
        assert!(!l.check("c", p, 0).await.allowed);
    }

    #[test]
    fn zero_per_minute_admits_nothing_and_headers_follow_the_draft() {
        let l = limiter();
        let none = Policy::per_minute(0, 5);
        let d = l.in_memory("z", none, 1);
        assert!(!d.allowed);
        assert_eq!(d.reset_secs, 60);
        let p = Policy::per_minute(60, 10);
        let mut h = HeaderMap::new();
        Decision::new(true, 3000, p).write_headers(&mut h);
        assert_eq!(h["ratelimit-policy"], "\"client\";q=10;w=10");
        assert_eq!(h["ratelimit"], "\"client\";r=7;t=3");
        assert!(h.get("retry-after").is_none());
        let mut h = HeaderMap::new();
        Decision::new(false, 10_000, p).write_headers(&mut h);
        assert_eq!(h["ratelimit"], "\"client\";r=0;t=1");
        assert_eq!(h["retry-after"], "1");
    }
}
