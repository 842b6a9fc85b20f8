//! API rate limiting (issue 7) as a client and an operator see it: a
//! client's budget is its home customer's `Api_requestsPerMinute` and
//! `Api_burst` (GCRA: `burst` units, one more every `60 s / per_minute`),
//! told in the `RateLimit-Policy` and `RateLimit` headers (IETF httpapi
//! ratelimit draft) and refused with 429 and `Retry-After`; gateways on one
//! Redis share a budget, without Redis each replica keeps its own, and an
//! unreachable Redis degrades to the per-replica budget and back. The token
//! endpoint budgets failed client authentications per client id.
//!
//! Counts allow ±1 for the unit that refills while a loop runs; nothing
//! else depends on timing.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::put;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{GatewayCache, TestApp};

/// The policy under test: a bucket of 10, one more unit a second.
const PER_MINUTE: i64 = 60;
const BURST: i64 = 10;
/// The seconds a drained bucket takes to fill: 10 units at one a second.
const WINDOW_SECS: i64 = 10;
/// Long enough that a loop drains the burst and sees refusals.
const LOOP: usize = 30;

const RATE_LIMITED: &str = "urn:partner:problem:rate-limited";

/// Sets the customer's API rate limit through the REST API (by an
/// ancestor's token).
async fn set_rate_limit(
    app: &TestApp,
    token: &str,
    customer_id: &str,
    per_minute: i64,
    burst: i64,
) {
    for (name, value) in [("Api_requestsPerMinute", per_minute), ("Api_burst", burst)] {
        let (status, body) = put(
            app,
            token,
            &format!("/v1/api/accounts/{customer_id}/limits"),
            &json!({ "name": name, "value": value }),
        )
        .await;
        assert!(
            status.is_success(),
            "PUT limits {name} = {value} on {customer_id}: expected 2xx, got {status} {body}"
        );
    }
}

/// A token of a new API client of `customer_id` (a budget of its own).
async fn new_client_token(app: &TestApp, customer_id: &str) -> String {
    let (id, secret) = app.client_for(customer_id).await;
    app.token_for(&id, &secret).await
}

/// What one response said about the rate limit.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    policy: Option<String>,
    limit: Option<String>,
    retry_after: Option<String>,
    content_type: Option<String>,
    request_id: Option<String>,
    body: Value,
    /// From the start of the loop to this answer.
    at: Duration,
}

impl Answer {
    async fn read(res: reqwest::Response, started: Instant) -> Self {
        let h = |name: &str| common::header(&res, name);
        let (policy, limit, retry_after, content_type, request_id) = (
            h("ratelimit-policy"),
            h("ratelimit"),
            h("retry-after"),
            h("content-type"),
            h("x-request-id"),
        );
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        Self {
            status,
            policy,
            limit,
            retry_after,
            content_type,
            request_id,
            body,
            at: started.elapsed(),
        }
    }

    /// The parameters of the `RateLimit` field (`r`, `t`).
    fn limit_params(&self) -> HashMap<String, i64> {
        params(self.limit.as_deref().unwrap_or_default())
    }

    fn remaining(&self) -> i64 {
        self.limit_params()["r"]
    }

    fn retry_after(&self) -> Option<i64> {
        self.retry_after.as_deref().and_then(|v| v.parse().ok())
    }
}

/// The integer parameters of a one-item structured field such as
/// `"client";r=9;t=1`, after checking the item is `"client"`.
#[track_caller]
fn params(field: &str) -> HashMap<String, i64> {
    let mut parts = field.split(';').map(str::trim);
    assert_eq!(
        parts.next(),
        Some("\"client\""),
        "expected a field of the item \"client\", got {field:?}"
    );
    parts
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .unwrap_or_else(|| panic!("expected key=value in {field:?}, got {p:?}"));
            let v = v
                .parse()
                .unwrap_or_else(|_| panic!("expected an integer in {field:?}, got {p:?}"));
            (k.to_owned(), v)
        })
        .collect()
}

/// `GET /v1/api/me` at `base` with `token`.
async fn me_at(http: &reqwest::Client, base: &str, token: &str, started: Instant) -> Answer {
    let res = http
        .get(format!("{base}/v1/api/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    Answer::read(res, started).await
}

/// `n` requests in a tight loop, each to the next of `gateways` in turn;
/// every answer with the index of its gateway, and the loop's duration.
async fn tight_loop(
    http: &reqwest::Client,
    gateways: &[&str],
    token: &str,
    n: usize,
) -> (Vec<(usize, Answer)>, Duration) {
    let started = Instant::now();
    let mut answers = Vec::with_capacity(n);
    for i in 0..n {
        let g = i % gateways.len();
        answers.push((g, me_at(http, gateways[g], token, started).await));
    }
    (answers, started.elapsed())
}

/// What a budget of [`BURST`] refilled one unit a second admits in `elapsed`.
fn expected_admitted(elapsed: Duration) -> i64 {
    let interval_ms = 60_000 / PER_MINUTE;
    BURST + i64::try_from(elapsed.as_millis()).unwrap() / interval_ms
}

/// Checks one budget's answers, in the order they were given, against the
/// contract: 200 or 429 only; the burst admitted at once; as many admitted
/// as the burst plus the refill during `elapsed` (±1); headers present and
/// consistent on each; a problem document with `Retry-After` on each 429.
/// Returns how many were admitted.
#[track_caller]
fn check_budget(what: &str, answers: &[&Answer], elapsed: Duration) -> i64 {
    let policy = format!("\"client\";q={BURST};w={WINDOW_SECS}");
    for (i, a) in answers.iter().enumerate() {
        assert!(
            a.status == StatusCode::OK || a.status == StatusCode::TOO_MANY_REQUESTS,
            "{what}: answer {i}: expected 200 or 429, got {} {}",
            a.status,
            a.body
        );
        assert_eq!(
            a.policy.as_deref(),
            Some(policy.as_str()),
            "{what}: answer {i} ({}): RateLimit-Policy",
            a.status
        );
        assert!(
            a.limit.is_some(),
            "{what}: answer {i} ({}): expected a RateLimit header, got none",
            a.status
        );
        let p = a.limit_params();
        let (r, t) = (p.get("r").copied(), p.get("t").copied());
        if a.status == StatusCode::OK {
            let (r, t) = (r.unwrap(), t.unwrap());
            assert!(
                (0..BURST).contains(&r),
                "{what}: answer {i} (200): expected 0 ≤ r < {BURST} after taking a unit, got {:?}",
                a.limit
            );
            // r whole units left and t whole seconds (rounded up) until all
            // 10 are back, at one a second: r + t is the quota.
            assert_eq!(
                r + t,
                BURST,
                "{what}: answer {i} (200): expected r + t = q = {BURST}, got {:?}",
                a.limit
            );
            assert!(
                a.retry_after.is_none(),
                "{what}: answer {i} (200): expected no Retry-After, got {:?}",
                a.retry_after
            );
        } else {
            let retry_after = a.retry_after();
            assert_eq!(
                r,
                Some(0),
                "{what}: answer {i} (429): expected r=0, got {:?}",
                a.limit
            );
            // A unit frees within one interval (1 s), in whole seconds.
            assert_eq!(
                retry_after,
                Some(1),
                "{what}: answer {i} (429): expected Retry-After: 1 (a unit frees within 1 s), got {:?}",
                a.retry_after
            );
            assert_eq!(
                t, retry_after,
                "{what}: answer {i} (429): expected RateLimit t = Retry-After, got {:?} and {:?}",
                a.limit, a.retry_after
            );
            assert!(
                a.content_type
                    .as_deref()
                    .is_some_and(|c| c.starts_with("application/problem+json")),
                "{what}: answer {i} (429): expected application/problem+json, got {:?}",
                a.content_type
            );
            assert_eq!(
                a.body["type"], RATE_LIMITED,
                "{what}: answer {i} (429): problem type; body {}",
                a.body
            );
            assert_eq!(
                a.body["status"], 429,
                "{what}: answer {i} (429): problem status; body {}",
                a.body
            );
            assert_eq!(
                a.body["requestId"].as_str(),
                a.request_id.as_deref(),
                "{what}: answer {i} (429): expected the problem's requestId to be X-Request-ID; body {}",
                a.body
            );
        }
    }

    // The burst is there at once, counting down from 9.
    for (i, a) in answers
        .iter()
        .take(usize::try_from(BURST).unwrap())
        .enumerate()
    {
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{what}: answer {i} is within the burst of {BURST}: expected 200, got {} {}",
            a.status,
            a.body
        );
        // Units left: the burst less those taken, plus those refilled so far.
        let expected =
            BURST - 1 - i64::try_from(i).unwrap() + i64::try_from(a.at.as_secs()).unwrap();
        let r = a.remaining();
        assert!(
            (r - expected).abs() <= 1,
            "{what}: answer {i} at {:?}: expected r = {expected} ± 1, got {:?}",
            a.at,
            a.limit
        );
    }
    assert_eq!(
        answers[0].limit.as_deref(),
        Some("\"client\";r=9;t=1"),
        "{what}: the first answer of a full bucket"
    );
    // A refusal follows only an answer that left no unit.
    for (i, w) in answers.windows(2).enumerate() {
        if w[0].status == StatusCode::OK && w[1].status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(
                w[0].remaining(),
                0,
                "{what}: answer {i} said {:?} yet answer {} was refused",
                w[0].limit,
                i + 1
            );
        }
    }

    let admitted = i64::try_from(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::OK)
            .count(),
    )
    .unwrap();
    let expected = expected_admitted(elapsed);
    assert!(
        (admitted - expected).abs() <= 1,
        "{what}: expected {expected} ± 1 admitted (burst {BURST} + one a second over {elapsed:?}), got {admitted} of {}",
        answers.len()
    );
    assert!(
        answers
            .iter()
            .any(|a| a.status == StatusCode::TOO_MANY_REQUESTS),
        "{what}: expected some 429 among {} requests, got none",
        answers.len()
    );
    admitted
}

/// The samples of a Prometheus text exposition, by name and sorted labels
/// (`name{a="x",b="y"}`).
struct Metrics(HashMap<String, f64>);

fn series(name: &str, labels: &[(&str, &str)]) -> String {
    let labels: BTreeMap<&str, &str> = labels.iter().copied().collect();
    if labels.is_empty() {
        return name.to_owned();
    }
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", inner.join(","))
}

impl Metrics {
    fn parse(text: &str) -> Self {
        let mut out = HashMap::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            let key = match key.split_once('{') {
                None => key.to_owned(),
                Some((name, rest)) => {
                    let labels: Vec<(&str, &str)> = rest
                        .trim_end_matches('}')
                        .split(',')
                        .filter_map(|l| l.split_once('='))
                        .map(|(k, v)| (k.trim(), v.trim().trim_matches('"')))
                        .collect();
                    series(name, &labels)
                }
            };
            out.insert(key, value);
        }
        Self(out)
    }

    #[track_caller]
    fn get(&self, key: &str) -> f64 {
        *self
            .0
            .get(key)
            .unwrap_or_else(|| panic!("expected a sample {key} in /metrics, got {:?}", self.0))
    }

    fn decisions(&self, decision: &str, store: &str) -> f64 {
        self.get(&series(
            "gateway_rate_limit_decisions_total",
            &[("decision", decision), ("store", store)],
        ))
    }

    /// Decisions either way kept in `store`.
    fn decided_in(&self, store: &str) -> f64 {
        self.decisions("allowed", store) + self.decisions("refused", store)
    }

    fn fallback(&self) -> f64 {
        self.get("gateway_redis_fallback")
    }
}

/// `GET {base}/metrics`, no credentials; must answer 200.
async fn metrics(http: &reqwest::Client, base: &str) -> Metrics {
    let res = http.get(format!("{base}/metrics")).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "GET /metrics: expected 200, got {status} {text}"
    );
    Metrics::parse(&text)
}

/// Answers of one gateway, in order.
fn of_gateway(answers: &[(usize, Answer)], g: usize) -> Vec<&Answer> {
    answers
        .iter()
        .filter(|(i, _)| *i == g)
        .map(|(_, a)| a)
        .collect()
}

#[tokio::test]
async fn a_tight_loop_gets_the_burst_and_the_refill_then_429_with_consistent_headers() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "pa", None).await;
    let q = app.partner(&root, "pb", None).await;
    // A request first, so the gateway holds P's plan defaults when the limit
    // changes: the new policy must apply on the next request all the same.
    let (status, who) = app.get(&p.token, "/v1/api/me").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "P's first request: expected 200, got {status} {who}"
    );
    set_rate_limit(&app, &root, &p.id, PER_MINUTE, BURST).await;
    set_rate_limit(&app, &root, &q.id, PER_MINUTE, BURST).await;

    let token = new_client_token(&app, &p.id).await;
    let (answers, elapsed) = tight_loop(&app.http, &[&app.url], &token, LOOP).await;
    let answers: Vec<&Answer> = answers.iter().map(|(_, a)| a).collect();
    check_budget("P's client, one gateway", &answers, elapsed);

    // Budgets are per API client: Q's client and P's other client are
    // untouched by the loop.
    let started = Instant::now();
    let other = me_at(&app.http, &app.url, &q.token, started).await;
    assert_eq!(
        (other.status, other.limit.as_deref()),
        (StatusCode::OK, Some("\"client\";r=9;t=1")),
        "Q's client after P's loop: expected 200 with a full budget, got {} {}",
        other.status,
        other.body
    );
    let sibling = me_at(&app.http, &app.url, &p.token, started).await;
    assert_eq!(
        sibling.status,
        StatusCode::OK,
        "P's other client after the loop: expected 200 (its own budget), got {} {:?} {}",
        sibling.status,
        sibling.limit,
        sibling.body
    );
}

#[tokio::test]
async fn two_gateways_on_one_redis_share_one_budget() {
    let app = TestApp::spawn().await;
    if app.storage.redis_url.is_none() {
        // Without REDIS_URL there is no shared store: each replica keeps its
        // own budget (see `each_replica_without_redis_has_its_own_budget`).
        eprintln!("skipped: REDIS_URL is not set");
        return;
    }
    let root = app.root_token().await;
    let p = app.partner(&root, "pa", None).await;
    set_rate_limit(&app, &root, &p.id, PER_MINUTE, BURST).await;
    let second = app.extra_gateway(GatewayCache::Shared).await;
    let before = [
        metrics(&app.http, &app.url).await,
        metrics(&app.http, &second.url).await,
    ];

    let (answers, elapsed) = tight_loop(&app.http, &[&app.url, &second.url], &p.token, LOOP).await;
    let all: Vec<&Answer> = answers.iter().map(|(_, a)| a).collect();
    // One budget across both: the answers in order, whichever gateway gave
    // them, are one bucket's (20 admitted would be a budget per gateway).
    check_budget("two gateways on one Redis", &all, elapsed);
    for g in 0..2 {
        assert!(
            of_gateway(&answers, g)
                .iter()
                .any(|a| a.status == StatusCode::TOO_MANY_REQUESTS),
            "gateway {g}: expected some 429 from the shared budget, got none"
        );
    }
    for (g, base) in [&app.url, &second.url].into_iter().enumerate() {
        let after = metrics(&app.http, base).await;
        let (redis, memory) = (
            after.decided_in("redis") - before[g].decided_in("redis"),
            after.decided_in("memory") - before[g].decided_in("memory"),
        );
        assert_eq!(
            (redis, memory),
            ((LOOP / 2) as f64, 0.0),
            "gateway {g}: expected its {} decisions kept in Redis, got (redis, memory) = ({redis}, {memory})",
            LOOP / 2
        );
    }
}

#[tokio::test]
async fn each_replica_without_redis_has_its_own_budget() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "pa", None).await;
    set_rate_limit(&app, &root, &p.id, PER_MINUTE, BURST).await;
    // Two gateways with in-process state: the stack's own when it has no
    // Redis; with Redis, two more that do not use it.
    let first = if app.storage.redis_url.is_none() {
        None
    } else {
        Some(app.extra_gateway(GatewayCache::InMemory).await)
    };
    let second = app.extra_gateway(GatewayCache::InMemory).await;
    let first_url = first.as_ref().map_or(app.url.clone(), |g| g.url.clone());
    let before = [
        metrics(&app.http, &first_url).await,
        metrics(&app.http, &second.url).await,
    ];

    let (answers, elapsed) =
        tight_loop(&app.http, &[&first_url, &second.url], &p.token, 2 * LOOP).await;
    let mut total = 0;
    for g in 0..2 {
        total += check_budget(
            &format!("replica {g} of 2 without Redis"),
            &of_gateway(&answers, g),
            elapsed,
        );
    }
    // ... so the client gets about twice the burst in all.
    assert!(
        total >= 2 * BURST,
        "expected at least {} admitted by two replicas, got {total}",
        2 * BURST
    );
    for (g, base) in [&first_url, &second.url].into_iter().enumerate() {
        let m = metrics(&app.http, base).await;
        let (redis, memory) = (
            m.decided_in("redis") - before[g].decided_in("redis"),
            m.decided_in("memory") - before[g].decided_in("memory"),
        );
        assert_eq!(
            (redis, memory),
            (0.0, LOOP as f64),
            "replica {g}: expected its {LOOP} decisions kept in memory, got (redis, memory) = ({redis}, {memory})"
        );
        assert_eq!(
            m.get("gateway_redis_configured"),
            0.0,
            "replica {g}: gateway_redis_configured"
        );
    }
}

/// A `redis-server` of the test's own, killed when this is dropped (also
/// when the test panics).
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, port }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Waits until it answers PING (5 s at most).
    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            let pong = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100))
                .and_then(|mut s| {
                    s.set_read_timeout(Some(Duration::from_millis(200)))?;
                    s.write_all(b"PING\r\n")?;
                    let mut buf = [0u8; 7];
                    s.read_exact(&mut buf)?;
                    Ok(buf)
                });
            if pong.is_ok_and(|b| &b == b"+PONG\r\n") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {}: expected PONG within 5 s",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn on_path(bin: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(bin))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn redis_stopped_mid_run_falls_back_per_replica_then_shares_again() {
    if on_path("redis-server").is_none() {
        eprintln!("skipped: no redis-server on PATH to stop and start");
        return;
    }
    let port = free_port();
    let mut redis = RedisServer::start(port);
    redis.ready().await;
    let app = TestApp::spawn_with_redis(Some(redis.url())).await;
    let root = app.root_token().await;
    let p = app.partner(&root, "pa", None).await;
    set_rate_limit(&app, &root, &p.id, PER_MINUTE, BURST).await;

    // Redis answers: decisions are kept there.
    let m0 = metrics(&app.http, &app.url).await;
    assert_eq!(
        m0.get("gateway_redis_configured"),
        1.0,
        "gateway_redis_configured with Redis"
    );
    assert_eq!(
        m0.fallback(),
        0.0,
        "gateway_redis_fallback while Redis answers"
    );
    for i in 0..3 {
        let (status, body) = app.get(&p.token, "/v1/api/me").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "request {i} with Redis up: expected 200, got {status} {body}"
        );
    }
    let m1 = metrics(&app.http, &app.url).await;
    assert_eq!(
        (
            m1.decided_in("redis") - m0.decided_in("redis"),
            m1.decided_in("memory") - m0.decided_in("memory")
        ),
        (3.0, 0.0),
        "three requests with Redis up: expected (redis, memory) decisions (3, 0)"
    );

    // Redis gone: requests are still served, limited in-process.
    redis.kill();
    let started = Instant::now();
    for i in 0..20 {
        let a = me_at(&app.http, &app.url, &p.token, started).await;
        assert!(
            a.status == StatusCode::OK || a.status == StatusCode::TOO_MANY_REQUESTS,
            "request {i} with Redis down: expected 200 or 429 (never 5xx), got {} {}",
            a.status,
            a.body
        );
        assert!(
            a.limit.is_some() && a.policy.is_some(),
            "request {i} with Redis down ({}): expected RateLimit headers, got {:?} / {:?}",
            a.status,
            a.policy,
            a.limit
        );
    }
    let m2 = metrics(&app.http, &app.url).await;
    assert_eq!(m2.fallback(), 1.0, "gateway_redis_fallback with Redis down");
    assert!(
        m2.get("gateway_redis_fallbacks_total") >= 1.0,
        "expected gateway_redis_fallbacks_total ≥ 1 with Redis down, got {}",
        m2.get("gateway_redis_fallbacks_total")
    );
    assert_eq!(
        (
            m2.decided_in("redis") - m1.decided_in("redis"),
            m2.decided_in("memory") - m1.decided_in("memory")
        ),
        (0.0, 20.0),
        "twenty requests with Redis down: expected (redis, memory) decisions (0, 20)"
    );

    // Redis back on the same port: after its retry pause (1 s) the gateway
    // uses it again.
    let mut redis = RedisServer::start(port);
    redis.ready().await;
    let deadline = Instant::now() + Duration::from_secs(8);
    let m3 = loop {
        let (status, body) = app.get(&p.token, "/v1/api/me").await;
        assert!(
            status == StatusCode::OK || status == StatusCode::TOO_MANY_REQUESTS,
            "with Redis back: expected 200 or 429, got {status} {body}"
        );
        let m = metrics(&app.http, &app.url).await;
        if m.decided_in("redis") > m2.decided_in("redis") {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "expected decisions kept in Redis again within 8 s of its return, got none; fallback {}",
            m.fallback()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        m3.fallback(),
        0.0,
        "gateway_redis_fallback once Redis answers again"
    );

    // ... and the budget is shared again: a fresh client through two
    // gateways on this Redis gets one budget.
    let second = app.extra_gateway(GatewayCache::Shared).await;
    let token = new_client_token(&app, &p.id).await;
    let (answers, elapsed) = tight_loop(&app.http, &[&app.url, &second.url], &token, LOOP).await;
    let all: Vec<&Answer> = answers.iter().map(|(_, a)| a).collect();
    check_budget("two gateways once Redis is back", &all, elapsed);
    redis.kill();
}

/// `POST /oauth2/token` for client credentials by HTTP Basic.
async fn token_request(app: &TestApp, id: &str, secret: &str) -> Answer {
    let res = app
        .http
        .post(app.at("/oauth2/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    Answer::read(res, Instant::now()).await
}

#[tokio::test]
async fn twenty_wrong_secrets_lock_the_client_id_even_for_the_right_secret() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "pa", None).await;
    let (id, secret) = app.client_for(&p.id).await;
    let wrong = format!("{secret}x");

    let mut answers = Vec::new();
    for _ in 0..20 {
        answers.push(token_request(&app, &id, &wrong).await);
    }
    for (i, a) in answers.iter().enumerate().take(10) {
        assert_eq!(
            a.status,
            StatusCode::UNAUTHORIZED,
            "wrong secret {}: within the 10 failures a client id has, expected 401, got {} {}",
            i + 1,
            a.status,
            a.body
        );
    }
    let locked = |what: &str, a: &Answer| {
        assert_eq!(
            a.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{what}: after 10 failures, expected 429, got {} {}",
            a.status,
            a.body
        );
        let retry_after = a.retry_after();
        // One more failure is allowed every 30 s.
        assert!(
            retry_after.is_some_and(|s| (1..=30).contains(&s)),
            "{what}: expected Retry-After of 1..=30 s, got {:?}",
            a.retry_after
        );
        assert_eq!(
            a.policy.as_deref().map(params),
            Some(HashMap::from([("q".to_owned(), 10), ("w".to_owned(), 300)])),
            "{what}: expected RateLimit-Policy q=10 (failures) w=300 (10 × 30 s), got {:?}",
            a.policy
        );
        let p = a.limit.as_deref().map(params).unwrap_or_default();
        assert_eq!(
            (p.get("r").copied(), p.get("t").copied()),
            (Some(0), retry_after),
            "{what}: expected RateLimit r=0 and t = Retry-After, got {:?} and {:?}",
            a.limit,
            a.retry_after
        );
        assert!(
            a.content_type
                .as_deref()
                .is_some_and(|c| c.starts_with("application/problem+json")),
            "{what}: expected application/problem+json, got {:?} {}",
            a.content_type,
            a.body
        );
        assert_eq!(
            a.body["type"], RATE_LIMITED,
            "{what}: problem type; body {}",
            a.body
        );
    };
    for (i, a) in answers.iter().enumerate().skip(10) {
        locked(&format!("wrong secret {}", i + 1), a);
    }
    let right = token_request(&app, &id, &secret).await;
    locked("the right secret after 20 wrong ones", &right);

    // Another client id, from the same address, is not locked.
    let (other, other_secret) = app.client_for(&p.id).await;
    for (who, id, secret) in [
        (
            "another client of the same partner",
            other.as_str(),
            other_secret.as_str(),
        ),
        (
            "the root's client",
            app.root_client.0.as_str(),
            app.root_client.1.as_str(),
        ),
    ] {
        let a = token_request(&app, id, secret).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{who}: expected 200, got {} {}",
            a.status,
            a.body
        );
    }
}

#[tokio::test]
async fn metrics_are_prometheus_text_without_credentials() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.at("/metrics")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "GET /metrics without credentials"
    );
    let content_type = common::header(&res, "content-type");
    assert!(
        content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("text/plain")),
        "expected text/plain, got {content_type:?}"
    );
    let text = res.text().await.unwrap();
    for name in [
        "gateway_rate_limit_decisions_total",
        "gateway_redis_fallback",
        "gateway_redis_fallbacks_total",
        "gateway_redis_configured",
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "expected a # TYPE line for {name}, got:\n{text}"
        );
    }
    let before = Metrics::parse(&text);
    for decision in ["allowed", "refused"] {
        for store in ["redis", "memory"] {
            before.decisions(decision, store);
        }
    }
    let redis = app.storage.redis_url.is_some();
    assert_eq!(
        before.get("gateway_redis_configured"),
        f64::from(u8::from(redis)),
        "gateway_redis_configured with REDIS_URL {:?}",
        app.storage.redis_url
    );
    assert_eq!(
        before.fallback(),
        0.0,
        "gateway_redis_fallback while nothing fails"
    );
    assert_eq!(
        before.get("gateway_redis_fallbacks_total"),
        0.0,
        "gateway_redis_fallbacks_total"
    );

    // One authenticated request is one decision, kept where the state is.
    let token = app.root_token().await;
    let (status, body) = app.get(&token, "/v1/api/me").await;
    assert_eq!(status, StatusCode::OK, "GET /v1/api/me: {body}");
    let after = metrics(&app.http, &app.url).await;
    let store = if redis { "redis" } else { "memory" };
    assert_eq!(
        after.decisions("allowed", store) - before.decisions("allowed", store),
        1.0,
        "one allowed request: expected decision=\"allowed\",store=\"{store}\" to move by 1"
    );
}

/// `POST /oauth2/token` at `url` as if from `client` (`X-Forwarded-For`).
async fn token_request_from(
    app: &TestApp,
    url: &str,
    client: &str,
    id: &str,
    secret: &str,
) -> StatusCode {
    app.http
        .post(format!("{url}/oauth2/token"))
        .basic_auth(id, Some(secret))
        .header("x-forwarded-for", client)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
}

/// Client ids are not secret: failures from one address must not lock the
/// client out everywhere. Behind a trusted proxy the address the proxy saw
/// counts; from anyone else the header is ignored.
#[tokio::test]
async fn wrong_secrets_lock_their_own_address_only_and_only_a_trusted_proxy_names_it() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "pa", None).await;
    let (id, secret) = app.client_for(&p.id).await;
    let wrong = format!("{secret}x");
    let behind_ingress = app
        .extra_gateway_trusting(GatewayCache::Shared, &["127.0.0.1/32", "::1/128"])
        .await;
    let (attacker, partner) = ("203.0.113.5", "198.51.100.7");
    for _ in 0..20 {
        token_request_from(&app, &behind_ingress.url, attacker, &id, &wrong).await;
    }
    assert_eq!(
        token_request_from(&app, &behind_ingress.url, attacker, &id, &secret).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the address that failed waits, even with the right secret"
    );
    assert_eq!(
        token_request_from(&app, &behind_ingress.url, partner, &id, &secret).await,
        StatusCode::OK,
        "the right secret from an address that has not failed passes"
    );
    // The app's own gateway trusts no proxy: the header names nothing, and
    // all of these come from the one loopback address.
    for _ in 0..20 {
        token_request_from(&app, &app.at(""), attacker, &id, &wrong).await;
    }
    assert_eq!(
        token_request_from(&app, &app.at(""), partner, &id, &secret).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a header from an untrusted peer cannot pick a fresh address"
    );
}
