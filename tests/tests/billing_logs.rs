//! PCI DSS 3.3.1 and 3.4.1 end to end: the card numbers and security codes
//! that pass through the platform (account creation, billing information,
//! every outcome of the sandbox processor, refused cards) reach no answer,
//! no log line, no column of any service's database and no cache entry.
//! Every log line of this test binary goes to a buffer (the subscriber is
//! process-wide, which is why this is a file of its own), at debug level.
//!
//! Security codes are three or four digits, which random hex ids and the
//! fractions of a second in timestamps hold by chance; so a code counts as
//! leaked only where it stands as a token of its own (a column value, a
//! quoted string, `code=…`), never inside a longer run of letters and digits.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use platform::db::{Backend, Db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Row as _};
use tests::{Svc, TestApp, account_body, account_body_v2};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> &'static Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_env_filter("debug,h2=info,hyper=info,hyper_util=info,tower=info,tonic=info,reqwest=info,sqlx=debug")
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        buffer
    })
}

/// A card the test sends: its number and security code must leak nowhere.
#[derive(Clone, Copy)]
struct TestCard {
    kind: &'static str,
    number: &'static str,
    code: &'static str,
}

const fn tc(kind: &'static str, number: &'static str, code: &'static str) -> TestCard {
    TestCard { kind, number, code }
}

impl TestCard {
    fn body(self) -> Value {
        json!({"type": self.kind, "cardNumber": self.number, "expirationDate": "12/39",
               "securityCode": self.code, "holderName": "Pat Example"})
    }
}

// Codes start with 7, 8 or 9 so none looks like an HTTP status either.
const CREATE_V1: TestCard = tc("VISA", "4111111111111111", "919");
const CREATE_V2: TestCard = tc("MC", "5555555555554444", "838");
const CREATE_BLACKLISTED: TestCard = tc("VISA", "4100000000000019", "929");
const AMEX: TestCard = tc("AMEX", "378282246310005", "7461");
const DISCOVER: TestCard = tc("DISCOVER", "6011111111111117", "969");
const DECLINED_05: TestCard = tc("VISA", "4000000000000002", "949");
const DECLINED_51: TestCard = tc("VISA", "4000000000009995", "959");
const BLACKLISTED: TestCard = tc("VISA", "4100000000000019", "979");
const FRAUD: TestCard = tc("VISA", "4000000000004954", "989");
const UNAVAILABLE: TestCard = tc("VISA", "4000000000000119", "818");
const BAD_LUHN: TestCard = tc("VISA", "4111111111111112", "828");
/// Four digits where VISA has three: refused, and still a secret.
const LONG_CODE: TestCard = tc("VISA", "4012888888881881", "8486");

const ALL: [TestCard; 12] = [
    CREATE_V1,
    CREATE_V2,
    CREATE_BLACKLISTED,
    AMEX,
    DISCOVER,
    DECLINED_05,
    DECLINED_51,
    BLACKLISTED,
    FRAUD,
    UNAVAILABLE,
    BAD_LUHN,
    LONG_CODE,
];

/// What may never be shown of a card number: all of it, or all but the
/// last four (PCI DSS 3.4.1 allows at most the first six and last four).
/// Numbers of the sandbox's `4000000000…` family have long zero runs that
/// a large number could hold by chance, so only their whole is checked.
fn number_needles(card: TestCard) -> Vec<String> {
    let mut needles = vec![card.number.to_owned()];
    let head = &card.number[..card.number.len() - 4];
    if !head.contains("0000") {
        needles.push(head.to_owned());
    }
    needles
}

/// Whether `text` holds `code` as a token of its own (not inside a longer
/// run of letters and digits).
fn holds_token(text: &str, code: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(code).any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + code.len()).copied();
        !before.is_some_and(|b| b.is_ascii_alphanumeric())
            && !after.is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

/// Whether free text (a log, an answer) shows `code` the way a program
/// would print a security code: quoted, or after a `code`/`cvv` key. A bare
/// token is not enough here: `latency=919` is a duration.
fn shows_code(text: &str, code: &str) -> bool {
    let lower = text.to_lowercase();
    [
        format!("\"{code}\""),
        format!("'{code}'"),
        format!("code={code}"),
        format!("code: {code}"),
        format!("code\":{code}"),
        format!("cvv={code}"),
        format!("cvv: {code}"),
        format!("cvc={code}"),
        format!("cvc: {code}"),
    ]
    .iter()
    .any(|p| lower.contains(p.as_str()))
}

/// Every leak of a test card in `text` (where: a log, an answer, a column),
/// described without repeating the secret in full.
fn leaks(text: &str, where_: &str, strict_codes: bool) -> Vec<String> {
    let mut found = Vec::new();
    for card in ALL {
        for needle in number_needles(card) {
            if text.contains(&needle) {
                found.push(format!(
                    "{where_}: {} digits of the {} card ending {}",
                    needle.len(),
                    card.kind,
                    &card.number[card.number.len() - 4..]
                ));
            }
        }
        let code_found = if strict_codes {
            holds_token(text, card.code)
        } else {
            shows_code(text, card.code)
        };
        if code_found {
            found.push(format!(
                "{where_}: the security code of the {} card ending {}",
                card.kind,
                &card.number[card.number.len() - 4..]
            ));
        }
    }
    found
}

/// The bytes hidden in a value that is base64 (a serialized request kept
/// for later, say), decoded so the search sees what they hold.
fn decoded(value: &str) -> Option<Vec<u8>> {
    let looks_base64 = value.len() >= 16
        && value.len().is_multiple_of(4)
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b));
    if !looks_base64 {
        return None;
    }
    [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
    ]
    .iter()
    .find_map(|e| e.decode(value).ok())
}

/// Every leak of a test card in decoded bytes. Random bytes hold three
/// given digits by chance now and then, so a code counts only as protobuf
/// writes a string (its length right before it) or as text prints it.
fn decoded_leaks(bytes: &[u8], where_: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut found = leaks(&text, where_, false);
    for card in ALL {
        let mut framed = vec![card.code.len() as u8];
        framed.extend_from_slice(card.code.as_bytes());
        if bytes.windows(framed.len()).any(|w| w == framed.as_slice()) {
            found.push(format!(
                "{where_}: the security code of the {} card ending {} as a protobuf string",
                card.kind,
                &card.number[card.number.len() - 4..]
            ));
        }
    }
    found
}

/// The REST API as this test uses it: every answer's body is kept.
struct Api<'a> {
    app: &'a TestApp,
    token: String,
    answers: Mutex<Vec<(String, String)>>,
}

impl Api<'_> {
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        let mut req = self
            .app
            .http
            .request(method.clone(), self.app.at(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        self.answers
            .lock()
            .unwrap()
            .push((format!("{method} {path} → {status}"), text.clone()));
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A call that must answer `expected`; the body.
    async fn expect(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        expected: StatusCode,
    ) -> Value {
        let (status, answer) = self.call(method, path, body).await;
        assert_eq!(
            status, expected,
            "{what}: expected {expected}, got {status} {answer}"
        );
        answer
    }
}

/// Every text value of every table of a service's database: (table.column,
/// value). Nulls are left out.
async fn every_value(db: &Db) -> Vec<(String, String)> {
    let tables: Vec<String> = match db.backend {
        Backend::Sqlite => sqlx::query(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap(),
        Backend::Postgres => sqlx::query(
            "select cast(table_name as text) from information_schema.tables \
             where table_schema = current_schema() and table_type = 'BASE TABLE'",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap(),
    }
    .iter()
    .map(|row| row.try_get::<String, _>(0).unwrap())
    .collect();
    assert!(!tables.is_empty(), "expected tables in the database");
    let mut values = Vec::new();
    for table in tables {
        let columns: Vec<String> = match db.backend {
            Backend::Sqlite => sqlx::query("select name from pragma_table_info($1)")
                .bind(&table)
                .fetch_all(&db.pool)
                .await
                .unwrap(),
            Backend::Postgres => sqlx::query(
                "select cast(column_name as text) from information_schema.columns \
                 where table_schema = current_schema() and table_name = $1",
            )
            .bind(&table)
            .fetch_all(&db.pool)
            .await
            .unwrap(),
        }
        .iter()
        .map(|row| row.try_get::<String, _>(0).unwrap())
        .collect();
        for column in columns {
            // Names come from the catalogue, quoted as both dialects quote them.
            let sql = format!("select cast(\"{column}\" as text) from \"{table}\"");
            for row in sqlx::query(AssertSqlSafe(sql))
                .fetch_all(&db.pool)
                .await
                .unwrap()
            {
                if let Some(v) = row.try_get::<Option<String>, _>(0).unwrap() {
                    values.push((format!("{table}.{column}"), v));
                }
            }
        }
    }
    values
}

// ---------------------------------------------------------------------------
// Redis, spoken by hand: the tests crate has no Redis client, and reading
// keys needs only SCAN and GET.

enum Reply {
    Text(String),
    Error(String),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

fn read_reply(r: &mut impl BufRead) -> Reply {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).unwrap();
    assert!(line.len() >= 3, "a short Redis reply: {line:?}");
    let head = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
    match line[0] {
        b'+' | b':' => Reply::Text(head),
        b'-' => Reply::Error(head),
        b'$' => {
            let n: i64 = head.parse().unwrap();
            if n < 0 {
                return Reply::Bulk(None);
            }
            let mut buf = vec![0; n as usize + 2];
            r.read_exact(&mut buf).unwrap();
            buf.truncate(n as usize);
            Reply::Bulk(Some(buf))
        }
        b'*' => {
            let n: i64 = head.parse().unwrap();
            Reply::Array((0..n.max(0)).map(|_| read_reply(r)).collect())
        }
        other => panic!("unexpected Redis reply type {:?}", other as char),
    }
}

struct Redis {
    reader: BufReader<std::net::TcpStream>,
    writer: std::net::TcpStream,
}

impl Redis {
    fn cmd(&mut self, args: &[&str]) -> Reply {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.writer.write_all(&out).unwrap();
        read_reply(&mut self.reader)
    }
}

fn text(reply: &Reply) -> String {
    match reply {
        Reply::Text(s) => s.clone(),
        Reply::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
        Reply::Error(e) => panic!("Redis error: {e}"),
        _ => String::new(),
    }
}

/// Every key matching `pattern` and its value (a non-string value as its
/// DUMP serialization). `url` is `redis://[[user]:password@]host[:port][/db]`
/// without percent-escapes; None for a URL this cannot speak to (TLS).
fn redis_entries(url: &str, pattern: &str) -> Option<Vec<(String, String)>> {
    let rest = url.strip_prefix("redis://")?;
    let (auth, rest) = match rest.rsplit_once('@') {
        Some((auth, rest)) => (Some(auth), rest),
        None => (None, rest),
    };
    let (host, db) = rest.split_once('/').unwrap_or((rest, ""));
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    };
    let stream = std::net::TcpStream::connect(&host).unwrap();
    let mut redis = Redis {
        reader: BufReader::new(stream.try_clone().unwrap()),
        writer: stream,
    };
    if let Some(auth) = auth {
        let reply = match auth.split_once(':') {
            Some(("", password)) => redis.cmd(&["AUTH", password]),
            Some((user, password)) => redis.cmd(&["AUTH", user, password]),
            None => redis.cmd(&["AUTH", auth]),
        };
        text(&reply);
    }
    let db = db.split('?').next().unwrap_or_default();
    if !db.is_empty() {
        text(&redis.cmd(&["SELECT", db]));
    }
    let mut keys = Vec::new();
    let mut cursor = "0".to_owned();
    loop {
        let Reply::Array(parts) = redis.cmd(&["SCAN", &cursor, "MATCH", pattern, "COUNT", "1000"])
        else {
            panic!("SCAN did not answer an array");
        };
        cursor = text(&parts[0]);
        if let Reply::Array(found) = &parts[1] {
            keys.extend(found.iter().map(text));
        }
        if cursor == "0" {
            break;
        }
    }
    let mut entries = Vec::new();
    for key in keys {
        let value = match redis.cmd(&["GET", &key]) {
            Reply::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
            Reply::Bulk(None) => continue, // expired meanwhile
            Reply::Error(_) => text(&redis.cmd(&["DUMP", &key])),
            _ => String::new(),
        };
        entries.push((key, value));
    }
    Some(entries)
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn no_card_number_or_security_code_reaches_logs_databases_or_the_cache() {
    let logs = captured();
    let app = TestApp::spawn().await;
    let api = Api {
        app: &app,
        token: app.root_token().await,
        answers: Mutex::new(Vec::new()),
    };

    // Cards pass through account creation, v1 and v2, and a refused one is
    // kept as a failed setup.
    let mut v1 = account_body("pcione", None);
    v1["payment"]["creditCard"] = CREATE_V1.body();
    let created = api
        .expect(
            "v1 create",
            Method::POST,
            "/v1/api/accounts",
            Some(&v1),
            StatusCode::CREATED,
        )
        .await;
    let id = created["customerID"].as_str().unwrap().to_owned();
    let mut v2 = account_body_v2("pcitwo", None);
    v2["payment"]["creditCard"] = CREATE_V2.body();
    api.expect(
        "v2 create",
        Method::POST,
        "/v2/api/accounts",
        Some(&v2),
        StatusCode::CREATED,
    )
    .await;
    let mut v2 = account_body_v2("pcithree", None);
    v2["payment"]["creditCard"] = CREATE_BLACKLISTED.body();
    api.expect(
        "v2 create with a blacklisted card",
        Method::POST,
        "/v2/api/accounts",
        Some(&v2),
        StatusCode::CONFLICT,
    )
    .await;

    // Every outcome of the card on file.
    let card_path = format!("/v1/api/accounts/{id}/billing/paymentMethod");
    for (card, expected) in [
        (AMEX, StatusCode::OK),
        (DECLINED_05, StatusCode::CONFLICT),
        (DECLINED_51, StatusCode::CONFLICT),
        (BLACKLISTED, StatusCode::CONFLICT),
        (FRAUD, StatusCode::CONFLICT),
        (UNAVAILABLE, StatusCode::SERVICE_UNAVAILABLE),
        (BAD_LUHN, StatusCode::BAD_REQUEST),
        (LONG_CODE, StatusCode::BAD_REQUEST),
        (DISCOVER, StatusCode::OK),
    ] {
        let what = format!(
            "{} card ending {}",
            card.kind,
            &card.number[card.number.len() - 4..]
        );
        api.expect(&what, Method::PUT, &card_path, Some(&card.body()), expected)
            .await;
    }
    // The billing information round trip.
    let billing_path = format!("/v2/api/accounts/{id}/billing");
    let body = json!({"name": "Accounts Payable", "phone": "+31 20 555 0101", "email": "ap@example.com",
        "address": {"addressLine1": "Damrak 1", "city": "Amsterdam", "state": "NH", "zip": "1012 AB", "country": "NL"},
        "paymentType": "creditCard"});
    api.expect(
        "billing update",
        Method::PUT,
        &billing_path,
        Some(&body),
        StatusCode::OK,
    )
    .await;
    let info = api
        .expect(
            "billing read",
            Method::GET,
            &billing_path,
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        info["paymentMethod"]["last4"], "1117",
        "expected the last approved card (DISCOVER ending 1117) on file, got {info}"
    );

    let mut found = Vec::new();
    // The answers.
    for (request, body) in api.answers.lock().unwrap().iter() {
        found.extend(leaks(body, &format!("the answer to {request}"), false));
    }
    // The logs.
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        text.contains("customer created"),
        "expected the capture to hold the platform's own lines"
    );
    for line in text.lines() {
        found.extend(leaks(line, "a log line", false));
    }
    // Every column of every table of every service.
    for svc in Svc::ALL {
        let values = every_value(&app.stack.db(svc)).await;
        assert!(!values.is_empty(), "{svc:?}: expected stored values");
        for (column, value) in values {
            let where_ = format!("{svc:?} {column}");
            found.extend(leaks(&value, &where_, true));
            if let Some(inner) = decoded(&value) {
                found.extend(decoded_leaks(&inner, &format!("{where_} (base64-decoded)")));
            }
        }
    }
    // Every cache entry of this stack, when the cache is Redis.
    if let Some(url) = platform::config::var("REDIS_URL") {
        // The stack's keys start with `partner:` and the schema prefix,
        // which on PostgreSQL is the billing schema's name less `billing`.
        let db = app.stack.db(Svc::Billing);
        let prefix = match db.backend {
            Backend::Postgres => {
                let schema: String = sqlx::query("select cast(current_schema() as text)")
                    .fetch_one(&db.pool)
                    .await
                    .unwrap()
                    .try_get(0)
                    .unwrap();
                schema
                    .strip_suffix("billing")
                    .unwrap_or_default()
                    .to_owned()
            }
            Backend::Sqlite => String::new(),
        };
        let pattern = format!("partner:{prefix}*");
        let entries = tokio::task::spawn_blocking(move || redis_entries(&url, &pattern))
            .await
            .unwrap();
        match entries {
            Some(entries) => {
                for (key, value) in entries {
                    found.extend(leaks(&key, "a Redis key", true));
                    found.extend(leaks(&value, &format!("Redis key {key}"), true));
                }
            }
            // A TLS Redis (rediss://) needs a client this crate does not have.
            None => eprintln!("REDIS_URL is not a plain redis:// URL; its keys were not read"),
        }
    }

    assert!(
        found.is_empty(),
        "expected no card number or security code anywhere, found {} leak(s):\n{}",
        found.len(),
        found.join("\n")
    );
}
