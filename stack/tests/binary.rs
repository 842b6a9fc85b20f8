//! The real `stack` binary as an operator runs it: SIGTERM while 100
//! requests are in flight (readiness turns to 503, every request still
//! completes with its normal status, the process exits cleanly), and JSON
//! log lines that tie one request together across the gateway and the
//! services by request id and trace id.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

/// A v1 create in the reference's AccountCreateV1 model (002).
fn body(name: &str) -> Value {
    let address = json!({ "street": "1 Main Street", "city": "Springfield", "state": "IL", "zip": "62701", "country": "US" });
    json!({
        "programs": ["account"],
        "general": {
            "userName": name,
            "login": format!("{name}-owner"), "password": "secret12", "name": "Owner", "email": format!("{name}@example.com")
        },
        "company": { "name": format!("{name} Inc"), "phone": "+1 217 555 0100", "address": address },
        "payment": {
            "name": "Billing Office", "phone": "+1 217 555 0101", "address": address,
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

/// A running `stack` process on SQLite, every port chosen by the OS.
struct Process {
    child: std::process::Child,
    url: String,
    secret: String,
    /// Every line the process wrote to stdout so far.
    stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _data: tempfile::TempDir,
}

impl Process {
    fn start(env: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let secret = format!("binary-test-secret-{}", std::process::id());
        let mut command = Command::new(env!("CARGO_BIN_EXE_stack"));
        command
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("METRICS_ADDR")
            .env_remove("LOG_FORMAT")
            .env("DATA_DIR", data.path())
            .env("GATEWAY_ADDR", "127.0.0.1:0")
            .env("ACCOUNT_SVC_ADDR", "127.0.0.1:0")
            .env("CONTACT_SVC_ADDR", "127.0.0.1:0")
            .env("BILLING_SVC_ADDR", "127.0.0.1:0")
            .env("AUTH_SVC_ADDR", "127.0.0.1:0")
            .env("BOOTSTRAP_CLIENT_ID", "binary-test")
            .env("BOOTSTRAP_CLIENT_SECRET", &secret)
            .env("BILLING_CLOSE_INTERVAL_SECS", "0")
            .env("RUST_LOG", "warn");
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // The ready line names the gateway's address; the rest of stdout is
        // kept, and read on so the child never blocks on a full pipe.
        let out = child.stdout.take().unwrap();
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let lines = stdout.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some((_, url)) = line.split_once("Partner platform ready in ")
                    && let Some((_, url)) = url.split_once(" at ")
                {
                    let _ = tx.send(url.trim().to_owned());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the stack did not start");
        Self {
            child,
            url,
            secret,
            stdout,
            _data: data,
        }
    }

    async fn token(&self, http: &reqwest::Client) -> String {
        let token: Value = http
            .post(format!("{}/oauth2/token", self.url))
            .basic_auth("binary-test", Some(&self.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        token["access_token"].as_str().unwrap().to_owned()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_100_in_flight_requests_finish() {
    let mut process = Process::start(&[("SHUTDOWN_DRAIN_SECONDS", "5")]);
    let url = process.url.clone();
    let http = reqwest::Client::new();
    let token = process.token(&http).await;
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
    signal(&process.child, "STOP");
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
    signal(&process.child, "TERM");
    signal(&process.child, "CONT");

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
        if let Some(status) = process.child.try_wait().unwrap() {
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

/// With `LOG_FORMAT=json` and traces exported (to a collector nobody runs:
/// export failures must not matter), the gateway's access line and the
/// services' lines of one request share its request id and trace id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_lines_of_one_request_share_its_request_and_trace_ids() {
    let process = Process::start(&[
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "info"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"),
    ]);
    let http = reqwest::Client::new();
    let token = process.token(&http).await;
    let res = http
        .post(format!("{}/v1/api/accounts", process.url))
        .bearer_auth(&token)
        .header("x-request-id", "json-log-test-1")
        .json(&body("jsonlogs"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // The lines of this request, parsed; the access line comes last.
    let deadline = Instant::now() + Duration::from_secs(10);
    let lines = loop {
        let lines: Vec<Value> = process
            .stdout
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("json-log-test-1"))
            .map(|l| serde_json::from_str(l).expect("every log line is JSON"))
            .collect();
        if lines
            .iter()
            .any(|l| l["fields"]["message"] == "request answered")
        {
            break lines;
        }
        assert!(Instant::now() < deadline, "no access line for the request");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let span_field = |line: &Value, name: &str| -> Option<String> {
        line["spans"]
            .as_array()?
            .iter()
            .find_map(|s| s[name].as_str().map(str::to_owned))
    };
    let access = lines
        .iter()
        .find(|l| l["fields"]["message"] == "request answered")
        .unwrap();
    assert_eq!(access["fields"]["status"], 201);
    let trace_id = span_field(access, "trace_id").expect("the access line has a trace id");
    assert_eq!(trace_id.len(), 32);
    assert!(trace_id.bytes().all(|b| b.is_ascii_hexdigit()));
    // account-svc's and contact-svc's own lines carry the same ids.
    for (target, message) in [
        ("account_svc::grpc", "customer created"),
        ("contact_svc::grpc", "contact created"),
    ] {
        let line = lines
            .iter()
            .find(|l| l["target"] == target && l["fields"]["message"] == message)
            .unwrap_or_else(|| panic!("no {target} line {message:?}: {lines:?}"));
        assert_eq!(
            span_field(line, "request_id").as_deref(),
            Some("json-log-test-1")
        );
        assert_eq!(
            span_field(line, "trace_id").as_deref(),
            Some(trace_id.as_str())
        );
    }
}

/// Every variable a binary lists, for the README check.
fn listed() -> std::collections::BTreeSet<&'static str> {
    [
        stack::settings::ALL,
        gateway::settings::ALL,
        account_svc::settings::ALL,
        contact_svc::settings::ALL,
        billing_svc::settings::ALL,
        auth_svc::settings::ALL,
    ]
    .into_iter()
    .flat_map(platform::settings::names)
    .collect()
}

/// The names in the first column of README's configuration table.
fn documented() -> std::collections::BTreeSet<String> {
    let readme = include_str!("../../README.md");
    let table = readme
        .split("\n## Configuration\n")
        .nth(1)
        .expect("README has a Configuration section");
    table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|row| row.split('|').nth(1))
        .flat_map(|cell| cell.split('`').skip(1).step_by(2).map(str::to_owned))
        .filter(|name| {
            name.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
        .collect()
}

#[test]
fn readme_documents_exactly_the_variables_the_binaries_list() {
    let listed: std::collections::BTreeSet<String> =
        listed().into_iter().map(str::to_owned).collect();
    let documented = documented();
    let undocumented: Vec<_> = listed.difference(&documented).collect();
    let unlisted: Vec<_> = documented.difference(&listed).collect();
    assert!(
        undocumented.is_empty() && unlisted.is_empty(),
        "listed but not in README: {undocumented:?}; in README but no binary lists it: {unlisted:?}"
    );
}

#[test]
fn help_lists_the_variables_and_a_bad_value_stops_the_start_naming_it() {
    let help = Command::new(env!("CARGO_BIN_EXE_stack"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for name in platform::settings::names(stack::settings::ALL) {
        assert!(text.contains(name), "--help does not list {name}:\n{text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_stack"))
        .env("REQUEST_TIMEOUT_SECONDS", "abc")
        .env("TOKEN_TTL_SECONDS", "5")
        .env("DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success(), "started with bad values");
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert!(
        stderr
            .contains("REQUEST_TIMEOUT_SECONDS: must be a whole number from 1 to 300, got \"abc\"")
            && stderr.contains("TOKEN_TTL_SECONDS"),
        "{stderr}"
    );
    // Nothing was started or written.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
