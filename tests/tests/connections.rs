//! Connection hygiene at the gateway (issue 14, item 4): slow or idle
//! clients are cut off, a slow body answers 408 rather than 504, the
//! connection cap answers 503, and a response after which the gateway
//! closes the connection says so. Each test runs a gateway of its own with
//! timeouts of a second or two and drives it over raw TCP; the only timing
//! asserted is "closed within the timeout plus a margin".

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tests::TestApp;
use tests::conn::{ConnLimits, closed_within, get, metric, read_response, send};
use tokio::io::AsyncWriteExt as _;

/// Room for a loaded machine on top of a configured timeout.
const MARGIN: Duration = Duration::from_secs(3);

fn limits(header: u64, idle: u64, body: u64, max_connections: u32) -> ConnLimits {
    ConnLimits {
        header_read_timeout: Duration::from_secs(header),
        idle_timeout: Duration::from_secs(idle),
        body_read_timeout: Duration::from_secs(body),
        max_connections,
        ..ConnLimits::default()
    }
}

#[tokio::test]
async fn a_client_slow_to_send_its_request_head_is_cut_off() {
    let app = TestApp::spawn().await;
    let gw = app.limited_gateway(limits(1, 30, 10, 100)).await;
    // Half a head, sent byte by byte as a slowloris would start...
    let mut partial = send(gw.addr, b"GET /health/live HTTP/1.1\r\n").await;
    partial.write_all(b"host: gate").await.unwrap();
    // ...and a connection that sends nothing at all.
    let mut silent = send(gw.addr, b"").await;
    assert!(
        closed_within(&mut partial, Duration::from_secs(1) + MARGIN).await,
        "a half-sent head held its connection open"
    );
    assert!(
        closed_within(&mut silent, Duration::from_secs(1) + MARGIN).await,
        "a silent connection stayed open"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_not_the_header_one() {
    let app = TestApp::spawn().await;
    let gw = app.limited_gateway(limits(1, 3, 10, 100)).await;
    let mut stream = send(gw.addr, &get("/health/live")).await;
    let res = read_response(&mut stream, MARGIN).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.header("connection"), None, "{res:?}");
    // Idle past the header timeout: the connection still takes a request.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stream.write_all(&get("/health/live")).await.unwrap();
    let res = read_response(&mut stream, MARGIN).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert!(
        closed_within(&mut stream, Duration::from_secs(3) + MARGIN).await,
        "an idle keep-alive connection stayed open"
    );
}

#[tokio::test]
async fn a_slow_body_answers_408_problem_and_closes_the_connection() {
    let app = TestApp::spawn().await;
    let gw = app.limited_gateway(limits(5, 30, 1, 100)).await;
    let mut scrape = send(gw.addr, b"").await;
    let before = metric(&mut scrape, "gateway_body_read_timeouts_total").await;
    // The token endpoint reads its form first; the body stops a third of
    // the way through.
    let mut stream = send(
        gw.addr,
        b"POST /oauth2/token HTTP/1.1\r\nhost: gateway\r\n\
          content-type: application/x-www-form-urlencoded\r\n\
          content-length: 40\r\n\r\ngrant_type=",
    )
    .await;
    let res = read_response(&mut stream, Duration::from_secs(1) + MARGIN).await;
    assert_eq!(res.status, 408, "{res:?}");
    assert_eq!(
        res.header("content-type"),
        Some("application/problem+json"),
        "{res:?}"
    );
    assert_eq!(res.header("connection"), Some("close"), "{res:?}");
    let problem = res.json();
    assert_eq!(problem["status"], 408, "{problem}");
    assert_eq!(problem["title"], "Request Timeout", "{problem}");
    assert!(
        !problem["requestId"].as_str().unwrap_or_default().is_empty(),
        "{problem}"
    );
    assert!(
        closed_within(&mut stream, MARGIN).await,
        "left open after 408"
    );
    let after = metric(&mut scrape, "gateway_body_read_timeouts_total").await;
    assert!(after > before, "body timeouts {before} -> {after}");
}

#[tokio::test]
async fn connections_over_the_cap_get_503_and_are_closed() {
    let app = TestApp::spawn().await;
    let gw = app.limited_gateway(limits(10, 30, 10, 2)).await;
    // Two connections, each answered once, so both are open and counted.
    let mut first = send(gw.addr, &get("/health/live")).await;
    assert_eq!(read_response(&mut first, MARGIN).await.status, 200);
    let mut second = send(gw.addr, &get("/health/live")).await;
    assert_eq!(read_response(&mut second, MARGIN).await.status, 200);
    let before = metric(&mut first, "gateway_connections_refused_total").await;

    let mut third = send(gw.addr, &get("/health/live")).await;
    let res = read_response(&mut third, MARGIN).await;
    assert_eq!(res.status, 503, "{res:?}");
    assert_eq!(res.header("connection"), Some("close"), "{res:?}");
    assert_eq!(res.header("retry-after"), Some("1"), "{res:?}");
    assert_eq!(
        res.header("content-type"),
        Some("application/problem+json"),
        "{res:?}"
    );
    assert_eq!(res.json()["status"], 503, "{res:?}");
    assert!(
        closed_within(&mut third, MARGIN).await,
        "left open after 503"
    );
    let after = metric(&mut first, "gateway_connections_refused_total").await;
    assert!(after > before, "refusals {before} -> {after}");

    // Closing one makes room for another.
    drop(second);
    let started = std::time::Instant::now();
    loop {
        let mut next = send(gw.addr, &get("/health/live")).await;
        if read_response(&mut next, MARGIN).await.status == 200 {
            break;
        }
        assert!(
            started.elapsed() < MARGIN,
            "no room after a connection closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_refusal_that_leaves_the_body_unread_says_connection_close() {
    let app = TestApp::spawn().await;
    let gw = app.limited_gateway(limits(5, 30, 10, 100)).await;
    // No credentials: 401 before a byte of the 100 kB body is wanted.
    let mut stream = send(
        gw.addr,
        b"POST /v1/api/accounts HTTP/1.1\r\nhost: gateway\r\n\
          content-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"general\"",
    )
    .await;
    let res = read_response(&mut stream, MARGIN).await;
    assert_eq!(res.status, 401, "{res:?}");
    assert_eq!(res.header("connection"), Some("close"), "{res:?}");
    assert!(
        closed_within(&mut stream, MARGIN).await,
        "said close, stayed open"
    );

    // A refusal after the body was read keeps the connection.
    let form = "grant_type=client_credentials";
    let mut stream = send(
        gw.addr,
        format!(
            "POST /oauth2/token HTTP/1.1\r\nhost: gateway\r\n\
             content-type: application/x-www-form-urlencoded\r\n\
             content-length: {}\r\n\r\n{form}",
            form.len()
        )
        .as_bytes(),
    )
    .await;
    let res = read_response(&mut stream, MARGIN).await;
    assert!(res.status >= 400, "{res:?}");
    assert_eq!(res.header("connection"), None, "{res:?}");
    stream.write_all(&get("/health/live")).await.unwrap();
    assert_eq!(read_response(&mut stream, MARGIN).await.status, 200);
}
