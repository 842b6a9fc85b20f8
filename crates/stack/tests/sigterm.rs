//! SIGTERM on the real binary while 100 requests are in flight: readiness
//! turns to 503 at once, every request still completes with its normal
//! status, and the process exits cleanly.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

fn body(name: &str) -> Value {
    json!({
        "programs": ["Email"],
        "general": {
            "accountName": name,
            "owner": { "login": format!("{name}-owner"), "password": "secret12", "name": "Owner", "email": format!("{name}@example.com") }
        },
        "company": {
            "name": format!("{name} Inc"),
            "address": { "street": "1 Main Street", "city": "Springfield", "state": "IL", "zip": "62701", "country": "US" }
        },
        "payment": {
            "type": "creditCard",
            "creditCard": { "type": "VISA", "cardNumber": "4111111111111111", "expirationDate": "12/39", "securityCode": "123" }
        },
        "planName": "starter"
    })
}

fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name}");
}

/// Established TCP connections to the gateway's port, from /proc/net/tcp
/// (state 01), counted on the server side (local port = the gateway's).
fn established(url: &str) -> usize {
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let local = format!(":{port:04X}");
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<_> = l.split_whitespace().collect();
            f.len() > 3 && f[1].ends_with(&local) && f[3] == "01"
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_100_in_flight_requests_finish() {
    let data = tempfile::tempdir().unwrap();
    let secret = format!("sigterm-secret-{}", std::process::id());
    let mut child = Command::new(env!("CARGO_BIN_EXE_stack"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("METRICS_ADDR")
        .env("DATA_DIR", data.path())
        .env("GATEWAY_ADDR", "127.0.0.1:0")
        .env("ACCOUNT_SVC_ADDR", "127.0.0.1:0")
        .env("CONTACT_SVC_ADDR", "127.0.0.1:0")
        .env("BILLING_SVC_ADDR", "127.0.0.1:0")
        .env("AUTH_SVC_ADDR", "127.0.0.1:0")
        .env("BOOTSTRAP_CLIENT_ID", "sigterm-test")
        .env("BOOTSTRAP_CLIENT_SECRET", &secret)
        .env("BILLING_CLOSE_INTERVAL_SECS", "0")
        .env("SHUTDOWN_DRAIN_SECONDS", "5")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // The ready line names the gateway's address; the rest of stdout is
    // read on so the child never blocks on a full pipe.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some((_, url)) = line.split_once("Partner platform ready in ")
                && let Some((_, url)) = url.split_once(" at ")
            {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the stack did not start");

    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{url}/oauth2/token"))
        .basic_auth("sigterm-test", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        http.get(format!("{url}/health/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // 100 requests in flight when SIGTERM arrives, by construction rather
    // than by timing: the process is stopped (SIGSTOP) while the requests
    // connect and are sent (the kernel completes the handshakes), SIGTERM is
    // queued, and only then does the process run again, finding both.
    let before = established(&url);
    signal(&child, "STOP");
    // A client of their own: 100 new connections, none reused.
    let senders = reqwest::Client::new();
    let requests: Vec<_> = (0..100)
        .map(|i| {
            let (http, url, token) = (senders.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                http.post(format!("{url}/v1/api/accounts"))
                    .bearer_auth(token)
                    .json(&body(&format!("drain{i:03}")))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    // Sent: every request's connection is established (the kernel answers
    // while the process is stopped) and its bytes are in the socket.
    let deadline = Instant::now() + Duration::from_secs(30);
    while established(&url) < before + 100 {
        assert!(Instant::now() < deadline, "the requests did not connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        requests.iter().all(|r| !r.is_finished()),
        "an answer came from a stopped process"
    );
    signal(&child, "TERM");
    signal(&child, "CONT");

    // Not ready while it drains, yet still answering. A poll that finds
    // the port busy or closed is tried again; only a 503 saying `draining`
    // ends the wait.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(res) = http.get(format!("{url}/health/ready")).send().await
            && res.status() == StatusCode::SERVICE_UNAVAILABLE
        {
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["services"]["gateway"], "draining", "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "readiness did not flip");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    for r in requests {
        assert_eq!(r.await.unwrap().unwrap(), StatusCode::CREATED);
    }
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the stack exited with {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the stack did not exit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Gone: nothing accepts on the gateway's port any more.
    assert!(http.get(format!("{url}/health/live")).send().await.is_err());
}
