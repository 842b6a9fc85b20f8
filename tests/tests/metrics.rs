//! `/metrics` after a known sequence of requests shows their counters and
//! histogram counts by route and by gRPC method. The recorder is
//! process-wide, so this is a file of its own, and the test compares what it
//! reads before and after its requests.

#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::json;
use tests::{TestApp, account_body};

/// The value of one series (`name{labels}` exactly as exposed; labels in
/// the order the exporter writes them, sorted here), 0 when absent.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    want.sort();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, v)) = line.rsplit_once(' ') else {
            continue;
        };
        let (n, l) = match series.split_once('{') {
            Some((n, l)) => (n, l.trim_end_matches('}')),
            None => (series, ""),
        };
        if n != name {
            continue;
        }
        let mut have: Vec<String> = if l.is_empty() {
            vec![]
        } else {
            l.split("\",")
                .map(|p| format!("{}\"", p.trim_end_matches('"')))
                .collect()
        };
        have.sort();
        if have == want {
            return v.parse().unwrap();
        }
    }
    0.0
}

async fn scrape(app: &TestApp) -> String {
    let res = app.http.get(app.at("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    res.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_routes_methods_and_caches() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let before = scrape(&app).await;

    // 2 accounts created, 1 refused for its body, 3 reads of one account,
    // 1 of an unknown account.
    let mut ids = vec![];
    for name in ["metrics-a", "metrics-b"] {
        let (status, created) = app
            .post(&token, "/v1/api/accounts", &account_body(name, None))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        ids.push(created["customerID"].as_str().unwrap().to_owned());
    }
    let (status, _) = app
        .post(&token, "/v1/api/accounts", &json!({"planName": 5}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for _ in 0..3 {
        let (status, _) = app
            .get(&token, &format!("/v1/api/accounts/{}", ids[0]))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = app.get(&token, "/v1/api/accounts/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let after = scrape(&app).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };

    let route = "/v1/api/accounts";
    let one = "/v1/api/accounts/{customerID}";
    assert_eq!(
        delta(
            "http_server_requests_total",
            &[("method", "POST"), ("route", route), ("status", "201")]
        ),
        2.0
    );
    assert_eq!(
        delta(
            "http_server_requests_total",
            &[("method", "POST"), ("route", route), ("status", "400")]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "http_server_requests_total",
            &[("method", "GET"), ("route", one), ("status", "200")]
        ),
        3.0
    );
    assert_eq!(
        delta(
            "http_server_requests_total",
            &[("method", "GET"), ("route", one), ("status", "404")]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "http_server_request_duration_seconds_count",
            &[("method", "POST"), ("route", route)]
        ),
        3.0
    );
    assert_eq!(
        delta(
            "http_server_request_duration_seconds_count",
            &[("method", "GET"), ("route", one)]
        ),
        4.0
    );
    assert_eq!(
        delta(
            "http_server_request_duration_seconds_bucket",
            &[("method", "GET"), ("route", one), ("le", "+Inf")]
        ),
        4.0
    );

    let account = "partner.account.v1.AccountService";
    assert_eq!(
        delta(
            "grpc_server_requests_total",
            &[
                ("service", account),
                ("method", "CreateCustomer"),
                ("code", "OK")
            ]
        ),
        2.0
    );
    assert_eq!(
        delta(
            "grpc_server_request_duration_seconds_count",
            &[("service", account), ("method", "CreateCustomer")]
        ),
        2.0
    );
    // A create checks the owner (validate only) before it writes, then writes.
    assert_eq!(
        delta(
            "grpc_server_requests_total",
            &[
                ("service", "partner.contact.v1.ContactService"),
                ("method", "CreateContact"),
                ("code", "OK")
            ]
        ),
        4.0
    );
    assert!(
        delta(
            "grpc_server_requests_total",
            &[
                ("service", account),
                ("method", "GetCustomer"),
                ("code", "NOT_FOUND")
            ]
        ) >= 1.0
    );

    // Seven requests with one token: the first may miss, the rest hit.
    assert!(
        delta(
            "cache_requests_total",
            &[("cache", "token"), ("result", "hit")]
        ) >= 6.0
    );
    // Each database's pool is sampled at the scrape.
    for schema in ["account", "contact", "billing", "auth"] {
        assert!(
            value(&after, "db_pool_max_connections", &[("schema", schema)]) >= 1.0,
            "{schema}"
        );
    }
    // No customer id ever becomes a label.
    for id in &ids {
        assert!(!after.contains(id.as_str()), "{id} is in a label");
    }
    // The rate limiter's and Redis's series are still there.
    assert!(after.contains("gateway_rate_limit_decisions_total{decision=\"allowed\""));
    assert!(after.contains("gateway_redis_fallback "));
}
