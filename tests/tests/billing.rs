//! Billing end to end (issue 6): billing information and the card on file
//! (shown masked, never stored), every outcome of the sandbox processor,
//! usage recorded over gRPC and reported over REST (rolled up for a
//! partner's subtree), the invoices of a closed month and who pays them
//! (the parent partner for paperCheck), and prepaid credit
//! moving down the partner tree without ever overdrawing a parent.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{assert_names, create_all, fields, head, id_of, put};
use platform::db::{Backend, Db};
use proto::billing::v1 as pb;
use proto::billing::v1::billing_service_client::BillingServiceClient;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Row as _};
use tests::{Svc, TestApp, account_body};
use tokio::task::JoinSet;

// ---------------------------------------------------------------------------
// Helpers

/// A v1 account (starter plan) below the caller's partner; its id.
async fn account(app: &TestApp, token: &str, name: &str) -> String {
    let (status, created) = app
        .post(token, "/v1/api/accounts", &account_body(name, None))
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "creating account {name}: expected 201, got {status} {created}"
    );
    id_of(&created)
}

fn billing_path(version: &str, id: &str) -> String {
    format!("/{version}/api/accounts/{id}/billing")
}

/// `GET /v1/api/accounts/{id}/billing`, which must answer 200.
async fn billing(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, info) = app.get(token, &billing_path("v1", id)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "GET billing of {id}: expected 200, got {status} {info}"
    );
    info
}

/// A card body for `PUT …/billing/paymentMethod`.
fn card(kind: &str, number: &str, expiry: &str, code: &str) -> Value {
    json!({
        "type": kind, "cardNumber": number, "expirationDate": expiry,
        "securityCode": code, "holderName": "Ada Lovelace"
    })
}

/// A Maestro card (type spelled as the reference's table spells it) with
/// its start date and, unless empty, issue number.
fn maestro(start_date: &str, issue_number: &str) -> Value {
    let mut body = card("Maestro", "6759649826438453", "12/39", "123");
    body["startDate"] = json!(start_date);
    if !issue_number.is_empty() {
        body["issueNumber"] = json!(issue_number);
    }
    body
}

async fn set_card(app: &TestApp, token: &str, id: &str, card: &Value) -> (StatusCode, Value) {
    put(
        app,
        token,
        &format!("/v1/api/accounts/{id}/billing/paymentMethod"),
        card,
    )
    .await
}

/// Sends a request whose answer must be an RFC 9457 problem of `status`;
/// returns the problem document.
async fn refused(
    app: &TestApp,
    method: Method,
    token: &str,
    path: &str,
    body: Option<&Value>,
    status: StatusCode,
) -> Value {
    let mut req = app
        .http
        .request(method.clone(), app.at(path))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.unwrap();
    let got = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = res.text().await.unwrap();
    assert_eq!(
        got, status,
        "{method} {path}: expected {status}, got {got} {text}"
    );
    assert!(
        content_type.starts_with("application/problem+json"),
        "{method} {path}: expected a problem document, got content-type {content_type:?}: {text}"
    );
    let problem: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        problem["status"],
        status.as_u16(),
        "{method} {path}: the problem's status should be {status}: {problem}"
    );
    problem
}

/// Asserts that a problem names exactly one of `either` in `errors[].field`
/// (where the contract allows either name).
#[track_caller]
fn assert_names_one_of(problem: &Value, either: &[&str]) {
    let named = fields(problem);
    assert!(
        named.iter().any(|n| either.contains(&n.as_str())),
        "expected errors[].field to name one of {either:?}, got {named:?} in {problem}"
    );
}

/// (year, month) of now in UTC, read from the platform's own clock.
fn this_month() -> (i32, u32) {
    let now = platform::id::now_rfc3339();
    (now[0..4].parse().unwrap(), now[5..7].parse().unwrap())
}

fn month_before((y, m): (i32, u32)) -> (i32, u32) {
    if m == 1 { (y - 1, 12) } else { (y, m - 1) }
}

/// `YYYY-MM`
fn ym((y, m): (i32, u32)) -> String {
    format!("{y:04}-{m:02}")
}

/// `YYYY-MM-DD`
fn day((y, m): (i32, u32), d: u32) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// The last day of a month.
fn last_day((y, m): (i32, u32)) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

async fn grpc(app: &TestApp) -> BillingServiceClient<platform::grpc::Peer> {
    BillingServiceClient::new(app.operator(Svc::Billing))
}

/// One usage record to send over gRPC.
#[derive(Clone, Debug)]
struct Rec {
    customer: String,
    meter: &'static str,
    quantity: i64,
    /// RFC 3339, or empty for "now".
    at: String,
    id: String,
}

async fn record(client: &mut BillingServiceClient<platform::grpc::Peer>, r: &Rec) -> bool {
    client
        .record_usage(pb::RecordUsageRequest {
            customer_id: r.customer.clone(),
            meter: r.meter.into(),
            quantity: r.quantity,
            occurred_at: r.at.clone(),
            idempotency_id: r.id.clone(),
        })
        .await
        .unwrap_or_else(|s| panic!("RecordUsage {r:?}: expected OK, got {s:?}"))
        .into_inner()
        .recorded
}

/// Sends every record, 16 at a time; `recorded` of each, in order.
async fn record_all(app: &TestApp, records: &[Rec]) -> Vec<bool> {
    const WORKERS: usize = 16;
    let client = grpc(app).await;
    let records = Arc::new(records.to_vec());
    let mut set = JoinSet::new();
    for w in 0..WORKERS {
        let (mut client, records) = (client.clone(), records.clone());
        set.spawn(async move {
            let mut out = Vec::new();
            for i in (w..records.len()).step_by(WORKERS) {
                out.push((i, record(&mut client, &records[i]).await));
            }
            out
        });
    }
    let mut recorded = vec![false; records.len()];
    while let Some(done) = set.join_next().await {
        for (i, r) in done.unwrap() {
            recorded[i] = r;
        }
    }
    recorded
}

/// A usage report, which must answer 200.
async fn usage(app: &TestApp, token: &str, id: &str, query: &str) -> Value {
    let path = format!("/v1/api/accounts/{id}/usage?{query}");
    let (status, report) = app.get(token, &path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "GET {path}: expected 200, got {status} {report}"
    );
    report
}

/// (period, meter) → quantity of a report; period is "" when null.
type Sums = BTreeMap<(String, String), i64>;

fn report_sums(report: &Value) -> Sums {
    let mut sums = Sums::new();
    for item in report["items"]
        .as_array()
        .unwrap_or_else(|| panic!("expected items in the report, got {report}"))
    {
        let key = (
            item["period"].as_str().unwrap_or_default().to_owned(),
            item["meter"].as_str().unwrap().to_owned(),
        );
        let quantity = item["quantity"].as_i64().unwrap();
        assert!(
            sums.insert(key.clone(), quantity).is_none(),
            "expected one item per (period, meter), got {key:?} twice in {report}"
        );
    }
    sums
}

/// What a report grouped by `group` should say about `records` that lie in
/// [from, to) (RFC 3339 strings of one fixed width compare as times).
fn expected_sums(records: &[Rec], group: &str, from: &str, to: &str) -> Sums {
    let mut sums = Sums::new();
    for r in records
        .iter()
        .filter(|r| r.at.as_str() >= from && r.at.as_str() < to)
    {
        let period = match group {
            "day" => r.at[0..10].to_owned(),
            "month" => r.at[0..7].to_owned(),
            _ => String::new(),
        };
        *sums.entry((period, r.meter.to_owned())).or_default() += r.quantity;
    }
    sums
}

fn add_sums(a: &Sums, b: &Sums) -> Sums {
    let mut out = a.clone();
    for (k, v) in b {
        *out.entry(k.clone()).or_default() += v;
    }
    out
}

fn credits_path(id: &str) -> String {
    format!("/v1/api/accounts/{id}/credits")
}

async fn allocate(
    app: &TestApp,
    token: &str,
    id: &str,
    amount: Value,
    currency: &str,
) -> (StatusCode, Value) {
    app.post(
        token,
        &credits_path(id),
        &json!({"amount": amount, "currency": currency, "note": "test allocation"}),
    )
    .await
}

/// The first page of a customer's credits (balance, currency, unbounded,
/// total) and every ledger entry, newest first, read 7 at a time.
async fn ledger(app: &TestApp, token: &str, id: &str) -> (Value, Vec<Value>) {
    let mut entries = Vec::new();
    let mut head = Value::Null;
    loop {
        let path = format!("{}?skip={}&take=7", credits_path(id), entries.len());
        let (status, page) = app.get(token, &path).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "GET {path}: expected 200, got {status} {page}"
        );
        let items = page["items"].as_array().unwrap().clone();
        assert_eq!(
            page["count"],
            items.len(),
            "GET {path}: expected count to be the number of items: {page}"
        );
        let total = page["total"].as_u64().unwrap() as usize;
        if head.is_null() {
            head = page.clone();
        }
        let empty = items.is_empty();
        entries.extend(items);
        if entries.len() >= total {
            assert_eq!(
                entries.len(),
                total,
                "paging the ledger of {id}: expected {total} entries, got {}",
                entries.len()
            );
            break;
        }
        assert!(
            !empty,
            "GET {path}: expected more entries (total {total}), got an empty page"
        );
    }
    (head, entries)
}

/// Asserts each customer's balance after `what`.
async fn assert_balances(app: &TestApp, token: &str, expected: &[(&str, i64)], what: &str) {
    for (id, balance) in expected {
        let (head, _) = ledger(app, token, id).await;
        assert_eq!(
            balance_of(&head),
            *balance,
            "{id} after {what}: expected balance {balance}, got {head}"
        );
    }
}

fn balance_of(head: &Value) -> i64 {
    head["balance"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an integer balance, got {head}"))
}

/// The balance is the sum of the ledger, every entry is in the balance's
/// currency, and the ledger reads newest first: walking it from the oldest
/// entry, each `balanceAfter` is the one before plus the entry's amount.
#[track_caller]
fn assert_ledger_adds_up(who: &str, head: &Value, entries: &[Value]) {
    let sum: i64 = entries.iter().map(|e| e["amount"].as_i64().unwrap()).sum();
    assert_eq!(
        balance_of(head),
        sum,
        "{who}: expected the balance to equal the sum of the ledger ({sum}), got {head}"
    );
    for e in entries {
        assert_eq!(
            e["currency"], head["currency"],
            "{who}: expected every entry in the balance's currency, got {e}"
        );
    }
    let mut running = 0;
    for e in entries.iter().rev() {
        running += e["amount"].as_i64().unwrap();
        assert_eq!(
            e["balanceAfter"].as_i64(),
            Some(running),
            "{who}: walking the ledger from its oldest entry, expected balanceAfter {running}, got {e}"
        );
    }
}

/// Newest first also by `createdAt` (RFC 3339 of one width: text order is
/// time order); the places where it is not, as "newer before older".
fn created_at_out_of_order(who: &str, entries: &[Value]) -> Vec<String> {
    entries
        .windows(2)
        .filter_map(|pair| {
            let (newer, older) = (
                pair[0]["createdAt"].as_str().unwrap_or_default(),
                pair[1]["createdAt"].as_str().unwrap_or_default(),
            );
            (newer < older).then(|| format!("{who}: {newer} listed before {older}"))
        })
        .collect()
}

#[track_caller]
fn assert_created_at_newest_first(who: &str, entries: &[Value]) {
    let wrong = created_at_out_of_order(who, entries);
    assert!(
        wrong.is_empty(),
        "expected the ledger newest first by createdAt, got {} entries out of order:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The `balanceAfter` of every entry, ascending.
fn balances_after(entries: &[Value]) -> Vec<i64> {
    let mut v: Vec<i64> = entries
        .iter()
        .map(|e| e["balanceAfter"].as_i64().unwrap())
        .collect();
    v.sort_unstable();
    v
}

/// Every value of `table` in a service's database, each column read as
/// text: (column, value). Nulls are left out.
async fn stored_values(db: &Db, table: &str) -> Vec<(String, String)> {
    let columns: Vec<String> = match db.backend {
        Backend::Sqlite => sqlx::query("select name from pragma_table_info($1)")
            .bind(table)
            .fetch_all(&db.pool)
            .await
            .unwrap(),
        Backend::Postgres => sqlx::query(
            "select cast(column_name as text) from information_schema.columns \
             where table_schema = current_schema() and table_name = $1",
        )
        .bind(table)
        .fetch_all(&db.pool)
        .await
        .unwrap(),
    }
    .iter()
    .map(|row| row.try_get::<String, _>(0).unwrap())
    .collect();
    assert!(
        !columns.is_empty(),
        "expected table {table} to have columns"
    );
    let mut values = Vec::new();
    for column in columns {
        // Names come from the catalogue, quoted as both dialects quote them.
        let sql = format!("select cast(\"{column}\" as text) from \"{table}\"");
        for row in sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&db.pool)
            .await
            .unwrap()
        {
            if let Some(v) = row.try_get::<Option<String>, _>(0).unwrap() {
                values.push((column.clone(), v));
            }
        }
    }
    values
}

/// Whether `text` holds `code` as a token of its own (not inside a longer
/// run of letters and digits), so that a three-digit security code is not
/// "found" inside a random hex id or a timestamp's fraction of a second.
fn holds_token(text: &str, code: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(code).any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + code.len()).copied();
        !before.is_some_and(|b| b.is_ascii_alphanumeric())
            && !after.is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

// ---------------------------------------------------------------------------
// Billing information

/// A US address given with names that the address rules refine to codes.
fn us_address() -> Value {
    json!({"addressLine1": "1 Infinite Loop", "addressLine2": "Building 2", "city": "Cupertino",
           "state": "california", "zip": "95014", "country": "united states"})
}

#[tokio::test]
async fn billing_info_round_trips_and_a_partial_update_keeps_the_rest() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = account(&app, &token, "billrt").await;

    // The card given at creation is on file, masked.
    let before = billing(&app, &token, &id).await;
    assert_eq!(before["customerID"], id.as_str(), "{before}");
    assert_eq!(
        before["paymentType"], "creditCard",
        "expected the creation's card on file, got {before}"
    );
    assert_eq!(
        before["paymentMethod"]["last4"], "1111",
        "expected the creation's VISA ending 1111, got {before}"
    );
    assert!(
        !before.to_string().contains("4111111111111111"),
        "expected no card number in the answer, got {before}"
    );

    let full = json!({
        "name": "Accounts Payable", "phone": "+1 408 555 0100", "email": "ap@example.com",
        "address": us_address(), "paymentType": "creditCard"
    });
    let (status, updated) = put(&app, &token, &billing_path("v2", &id), &full).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "PUT billing: expected 200, got {status} {updated}"
    );
    assert_eq!(updated["customerID"], id.as_str(), "{updated}");
    assert_eq!(updated["name"], "Accounts Payable", "{updated}");
    assert_eq!(updated["phone"], "+1 408 555 0100", "{updated}");
    assert_eq!(updated["email"], "ap@example.com", "{updated}");
    let address = &updated["address"];
    assert_eq!(
        address["country"], "US",
        "expected \"united states\" refined to US, got {updated}"
    );
    assert_eq!(
        address["state"], "CA",
        "expected \"california\" refined to CA, got {updated}"
    );
    assert_eq!(address["addressLine1"], "1 Infinite Loop", "{updated}");
    assert_eq!(address["addressLine2"], "Building 2", "{updated}");
    assert_eq!(address["city"], "Cupertino", "{updated}");
    assert_eq!(address["zip"], "95014", "{updated}");
    assert_eq!(updated["paymentType"], "creditCard", "{updated}");
    assert_eq!(
        updated["paymentMethod"], before["paymentMethod"],
        "expected the card on file untouched by a billing update, got {updated}"
    );
    assert!(
        !updated["updatedAt"].as_str().unwrap_or_default().is_empty(),
        "expected updatedAt, got {updated}"
    );

    // Both API versions read back what the update answered.
    for version in ["v1", "v2"] {
        let (status, got) = app.get(&token, &billing_path(version, &id)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "GET {version} billing: expected 200, got {status} {got}"
        );
        assert_eq!(
            got, updated,
            "GET {version} billing: expected what PUT answered"
        );
    }

    // A partial update changes what it names and keeps the rest.
    let (status, partial) = put(
        &app,
        &token,
        &billing_path("v1", &id),
        &json!({"phone": "+1 408 555 0199"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "partial PUT: expected 200, got {status} {partial}"
    );
    assert_eq!(partial["phone"], "+1 408 555 0199", "{partial}");
    for kept in ["name", "email", "address", "paymentType", "paymentMethod"] {
        assert_eq!(
            partial[kept], updated[kept],
            "partial PUT of phone: expected {kept} kept as {}, got {}",
            updated[kept], partial[kept]
        );
    }
    assert_eq!(billing(&app, &token, &id).await, partial);

    // A partner has billing information too, readable with its own token.
    let partner = app.partner(&token, "billpartner", None).await;
    let (status, p) = put(
        &app,
        &token,
        &billing_path("v1", &partner.id),
        &json!({"name": "Partner Billing", "email": "billing@partner.example.com"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "PUT partner billing: expected 200, got {status} {p}"
    );
    let own = billing(&app, &partner.token, &partner.id).await;
    assert_eq!(own["name"], "Partner Billing", "{own}");
    assert_eq!(own["email"], "billing@partner.example.com", "{own}");
    assert_eq!(own["customerID"], partner.id.as_str(), "{own}");

    // Paper checks drop the card on file (billing.proto, UpdateBillingInfo).
    let (status, paper) = put(
        &app,
        &token,
        &billing_path("v1", &partner.id),
        &json!({"paymentType": "paperCheck"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "PUT paperCheck: expected 200, got {status} {paper}"
    );
    assert_eq!(paper["paymentType"], "paperCheck", "{paper}");
    assert!(
        paper["paymentMethod"].is_null(),
        "expected no card on file for paperCheck, got {paper}"
    );
    assert_eq!(paper["name"], "Partner Billing", "{paper}");
}

#[tokio::test]
async fn bad_billing_fields_name_the_field_and_store_nothing() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = account(&app, &token, "billbad").await;
    let path = billing_path("v2", &id);
    let (status, _) = put(
        &app,
        &token,
        &path,
        &json!({"name": "Before", "email": "before@example.com", "address": us_address()}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "setting billing first: expected 200, got {status}"
    );
    let before = billing(&app, &token, &id).await;

    let dutch_bad_zip = json!({"addressLine1": "Damrak 1", "city": "Amsterdam", "state": "NH",
                               "zip": "12345", "country": "NL"});
    for (body, field) in [
        (json!({"email": "not-an-email"}), "email"),
        (json!({"name": "n".repeat(101)}), "name"),
        (json!({"phone": "1".repeat(101)}), "phone"),
        (
            json!({"email": format!("{}@example.com", "e".repeat(90))}),
            "email",
        ),
        (json!({"address": dutch_bad_zip}), "address.zip"),
        (json!({"name": "After", "email": "after@"}), "email"),
    ] {
        let problem = refused(
            &app,
            Method::PUT,
            &token,
            &path,
            Some(&body),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_names(&problem, &[field]);
        assert_eq!(
            billing(&app, &token, &id).await,
            before,
            "after the refused {body}: expected nothing stored"
        );
    }
    // Every bad field at once is named at once.
    let problem = refused(
        &app,
        Method::PUT,
        &token,
        &path,
        Some(&json!({"name": "n".repeat(101), "email": "nope", "address": {
            "addressLine1": "Damrak 1", "city": "Amsterdam", "state": "NH", "zip": "12345", "country": "NL"}})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_names(&problem, &["name", "email", "address.zip"]);
    assert_eq!(billing(&app, &token, &id).await, before);
}

// ---------------------------------------------------------------------------
// The card on file

#[tokio::test]
async fn approved_cards_are_shown_masked_and_the_stored_row_holds_no_number_or_code() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = account(&app, &token, "cardok").await;
    let db = app.stack.db(Svc::Billing);

    for (kind, number, code) in [
        ("MC", "5555555555554444", "818"),
        ("AMEX", "378282246310005", "8284"),
        ("VISA", "4111111111111111", "828"),
    ] {
        let body = card(kind, number, "12/39", code);
        let (status, info) = set_card(&app, &token, &id, &body).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{kind} {number}: expected 200, got {status} {info}"
        );
        assert_eq!(info["paymentType"], "creditCard", "{kind}: {info}");
        let method = &info["paymentMethod"];
        assert_eq!(method["brand"], kind, "{kind}: {info}");
        assert_eq!(
            method["last4"],
            &number[number.len() - 4..],
            "{kind}: {info}"
        );
        assert_eq!(method["expirationDate"], "12/39", "{kind}: {info}");
        assert_eq!(method["holderName"], "Ada Lovelace", "{kind}: {info}");
        let text = info.to_string();
        assert!(
            !text.contains(number),
            "{kind}: expected the card number masked, got {info}"
        );
        assert!(
            !holds_token(&text, code),
            "{kind}: expected no security code in the answer, got {info}"
        );
        assert_eq!(
            billing(&app, &token, &id).await,
            info,
            "{kind}: expected GET billing to show what PUT answered"
        );

        let stored = stored_values(&db, "payment_method").await;
        assert!(
            stored
                .iter()
                .any(|(c, v)| c == "last4" && v == &number[number.len() - 4..]),
            "{kind}: expected the row to keep the last four digits, got {stored:?}"
        );
        for (column, value) in &stored {
            assert!(
                !value.contains(number),
                "{kind}: payment_method.{column} holds the card number"
            );
            assert!(
                !holds_token(value, code),
                "{kind}: payment_method.{column} holds the security code {code}: {value:?}"
            );
        }
    }
}

#[tokio::test]
async fn each_sandbox_outcome_answers_as_documented_and_keeps_the_previous_method() {
    let mut app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = account(&app, &token, "sandbox").await;

    let (status, approved) = set_card(
        &app,
        &token,
        &id,
        &card("MC", "5555555555554444", "11/38", "123"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "approved MC: expected 200, got {status} {approved}"
    );
    assert_eq!(approved["paymentMethod"]["last4"], "4444", "{approved}");
    let on_file = approved["paymentMethod"].clone();

    for (number, code, reason) in [
        ("4000000000000002", "05", Some("Do not honor")),
        ("4000000000009995", "51", Some("Insufficient funds")),
        ("4100000000000019", "BL", None),
        ("4000000000004954", "FR", None),
    ] {
        let body = card("VISA", number, "12/39", "123");
        let problem = refused(
            &app,
            Method::PUT,
            &token,
            &format!("/v1/api/accounts/{id}/billing/paymentMethod"),
            Some(&body),
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(
            problem["code"], code,
            "{number}: expected processor code {code}, got {problem}"
        );
        match reason {
            Some(reason) => assert_eq!(
                problem["reason"], reason,
                "{number}: expected reason {reason:?}, got {problem}"
            ),
            None => assert!(
                !problem["reason"].as_str().unwrap_or_default().is_empty(),
                "{number}: expected a reason, got {problem}"
            ),
        }
        assert!(
            !problem.to_string().contains(number),
            "{number}: expected no card number in the problem, got {problem}"
        );
        let now = billing(&app, &token, &id).await;
        assert_eq!(
            now["paymentMethod"], on_file,
            "after the {code} decline of {number}: expected the previous method to stay, got {now}"
        );
        assert_eq!(now["paymentType"], "creditCard", "{now}");
    }

    // The processor being down is an outage, and the previous method stays.
    let problem = refused(
        &app,
        Method::PUT,
        &token,
        &format!("/v1/api/accounts/{id}/billing/paymentMethod"),
        Some(&card("VISA", "4000000000000119", "12/39", "123")),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert!(
        problem.get("errors").is_none(),
        "expected no field errors for an outage, got {problem}"
    );
    let now = billing(&app, &token, &id).await;
    assert_eq!(
        now["paymentMethod"], on_file,
        "after the processor outage: expected the previous method to stay, got {now}"
    );

    // billing-svc itself being down is an outage as well; once it is back
    // the same card goes through.
    app.stack.stop_service(Svc::Billing).await.unwrap();
    let visa = card("VISA", "4111111111111111", "12/39", "123");
    refused(
        &app,
        Method::PUT,
        &token,
        &format!("/v1/api/accounts/{id}/billing/paymentMethod"),
        Some(&visa),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    app.stack.start_service(Svc::Billing).await.unwrap();
    let (status, info) = set_card(&app, &token, &id, &visa).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "VISA after billing-svc restarted: expected 200, got {status} {info}"
    );
    assert_eq!(info["paymentMethod"]["last4"], "1111", "{info}");
}

#[tokio::test]
async fn invalid_cards_name_the_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = account(&app, &token, "cardbad").await;
    let before = billing(&app, &token, &id).await;
    let path = format!("/v1/api/accounts/{id}/billing/paymentMethod");

    for (what, body, either) in [
        (
            "a number failing Luhn",
            card("VISA", "4111111111111112", "12/39", "123"),
            &["cardNumber"][..],
        ),
        (
            "a VISA number given as MC",
            card("MC", "4111111111111111", "12/39", "123"),
            &["type", "cardNumber"][..],
        ),
        (
            "an MC number given as AMEX",
            card("AMEX", "5555555555554444", "12/39", "1234"),
            &["type", "cardNumber"][..],
        ),
        (
            "an expired card",
            card("VISA", "4111111111111111", "01/20", "123"),
            &["expirationDate"][..],
        ),
        (
            "an expiry that is not MM/YY",
            card("VISA", "4111111111111111", "13/39", "123"),
            &["expirationDate"][..],
        ),
        (
            "three digits for AMEX",
            card("AMEX", "378282246310005", "12/39", "123"),
            &["securityCode"][..],
        ),
        (
            "four digits for VISA",
            card("VISA", "4111111111111111", "12/39", "1234"),
            &["securityCode"][..],
        ),
        (
            "no security code",
            card("VISA", "4111111111111111", "12/39", ""),
            &["securityCode"][..],
        ),
        (
            "no type",
            card("", "4111111111111111", "12/39", "123"),
            &["type"][..],
        ),
        (
            "a type longer than 10 characters",
            card("VISA-CREDIT", "4111111111111111", "12/39", "123"),
            &["type"][..],
        ),
        (
            "a Maestro card without its start date",
            card("Maestro", "6759649826438453", "12/39", "123"),
            &["startDate"][..],
        ),
        (
            "a start date that is not MM/YY",
            maestro("01/2024", ""),
            &["startDate"][..],
        ),
        (
            "an issue number of three digits",
            maestro("01/24", "123"),
            &["issueNumber"][..],
        ),
    ] {
        let problem = refused(
            &app,
            Method::PUT,
            &token,
            &path,
            Some(&body),
            StatusCode::BAD_REQUEST,
        )
        .await;
        if either.len() == 1 {
            assert_names(&problem, either);
        } else {
            assert_names_one_of(&problem, either);
        }
        assert!(
            !problem
                .to_string()
                .contains(body["cardNumber"].as_str().unwrap()),
            "{what}: expected the problem not to repeat the card number, got {problem}"
        );
        assert_eq!(
            billing(&app, &token, &id).await,
            before,
            "after {what}: expected billing unchanged"
        );
    }
}

#[tokio::test]
async fn card_type_is_case_insensitive_and_answered_in_upper_case() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = account(&app, &token, "cardcase").await;
    for (what, body, brand, last4) in [
        (
            "visa",
            card("visa", "4111111111111111", "12/39", "123"),
            "VISA",
            "1111",
        ),
        (
            "Amex",
            card("Amex", "378282246310005", "12/39", "1234"),
            "AMEX",
            "0005",
        ),
        ("Maestro", maestro("01/24", "1"), "MAESTRO", "8453"),
        (
            "MAESTRO",
            {
                let mut m = maestro("01/24", "");
                m["type"] = json!("MAESTRO");
                m
            },
            "MAESTRO",
            "8453",
        ),
    ] {
        let (status, info) = set_card(&app, &token, &id, &body).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "type {what}: expected 200, got {status} {info}"
        );
        assert_eq!(
            info["paymentMethod"]["brand"], brand,
            "type {what}: expected the brand answered as {brand}, got {info}"
        );
        assert_eq!(info["paymentMethod"]["last4"], last4, "{what}: {info}");
        assert_eq!(
            billing(&app, &token, &id).await["paymentMethod"]["brand"],
            brand,
            "type {what}: expected GET billing to show {brand}"
        );
    }
}

// ---------------------------------------------------------------------------
// The payment of a create becomes the billing information (DESIGN §6.2)

/// The reference's v1 create example (002_d02bdab804a53bf4.txt) as it is
/// written, but for what must be valid here: the parent is this app's root
/// distributor, the plan one the root sells, the card's expiry in the
/// future, and `user` the user name and login.
fn reference_v1_body(parent: &str, user: &str) -> Value {
    json!({
        "programs": ["account"],
        "general": {
            "userName": user, "login": user, "password": "qwerty123!!!2133333",
            "parentPartnerID": parent, "name": "Test User", "email": "test-user1@test.com"
        },
        "company": {
            "name": "Company name", "phone": "123456789",
            "address": { "country": "United States", "state": "California", "city": "Anaheim",
                         "street": "104 South Anaheim Boulevard", "zip": "92805-6010" }
        },
        "payment": {
            "name": " Company name ", "phone": "12365458789",
            "address": { "country": "United States", "state": "California", "city": "Anaheim",
                         "street": "104 South Anaheim Boulevard", "zip": "92805-6010" },
            "creditCard": { "type": "VISA", "cardNumber": "4111111111111111",
                            "expirationDate": "04/39", "securityCode": "111" },
            "type": "creditCard"
        },
        "planName": "starter"
    })
}

#[tokio::test]
async fn the_payment_of_a_v1_create_is_the_billing_contact_and_address() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let mut paper = reference_v1_body(&app.root_id, "test-partner-paper");
    paper["payment"]["type"] = json!("paperCheck");
    if let Some(payment) = paper["payment"].as_object_mut() {
        payment.remove("creditCard");
    }
    for (what, body) in [
        (
            "creditCard",
            reference_v1_body(&app.root_id, "test-partner-account"),
        ),
        ("paperCheck", paper),
    ] {
        let (status, created) = app.post(&token, "/v1/api/accounts", &body).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{what}: the reference's v1 example: expected 201, got {status} {created}"
        );
        let id = id_of(&created);
        let info = billing(&app, &token, &id).await;
        assert_eq!(
            info["name"], "Company name",
            "{what}: expected the payment's name, trimmed, got {info}"
        );
        assert_eq!(
            info["phone"], "12365458789",
            "{what}: expected the payment's phone, got {info}"
        );
        let address = &info["address"];
        assert!(
            address.is_object(),
            "{what}: expected the payment's address, got {info}"
        );
        assert_eq!(
            address["addressLine1"], "104 South Anaheim Boulevard",
            "{what}: v1's street is addressLine1: {info}"
        );
        assert_eq!(address["city"], "Anaheim", "{what}: {info}");
        assert_eq!(address["zip"], "92805-6010", "{what}: {info}");
        assert_eq!(
            (address["country"].clone(), address["state"].clone()),
            (json!("US"), json!("CA")),
            "{what}: expected the address refined as company addresses are, got {info}"
        );
        assert_eq!(info["paymentType"], what, "{info}");
        if what == "creditCard" {
            assert_eq!(info["paymentMethod"]["brand"], "VISA", "{info}");
            assert_eq!(info["paymentMethod"]["last4"], "1111", "{info}");
        } else {
            assert!(info["paymentMethod"].is_null(), "{what}: {info}");
        }
        // Both API versions answer the same information.
        let (status, v2) = app.get(&token, &billing_path("v2", &id)).await;
        assert_eq!(status, StatusCode::OK, "{v2}");
        assert_eq!(v2, info, "{what}: GET v2 billing");
    }
}

#[tokio::test]
async fn a_create_without_the_payments_name_or_phone_names_it_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let user = "billcontact";
    // (what, how the reference body is spoilt, the field named)
    type Spoilt = (&'static str, fn(&mut Value), &'static str);
    let mutations: [Spoilt; 4] = [
        (
            "no name",
            |b| {
                if let Some(p) = b["payment"].as_object_mut() {
                    p.remove("name");
                }
            },
            "payment.name",
        ),
        (
            "a name of 51 characters",
            |b| b["payment"]["name"] = json!("n".repeat(51)),
            "payment.name",
        ),
        (
            "a blank phone",
            |b| b["payment"]["phone"] = json!("  "),
            "payment.phone",
        ),
        (
            "a phone of 101 characters",
            |b| b["payment"]["phone"] = json!("1".repeat(101)),
            "payment.phone",
        ),
    ];
    for (what, mutate, field) in mutations {
        let mut body = reference_v1_body(&app.root_id, user);
        mutate(&mut body);
        let problem = refused(
            &app,
            Method::POST,
            &token,
            "/v1/api/accounts",
            Some(&body),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_names(&problem, &[field]);
        assert_eq!(
            head(&app, &token, &format!("/v1/api/accounts/{user}")).await,
            StatusCode::NOT_FOUND,
            "after {what}: expected no account created"
        );
    }
}

// ---------------------------------------------------------------------------
// Usage

const METERS: [&str; 2] = ["users", "api_calls"];

#[tokio::test]
async fn usage_recorded_concurrently_and_retried_is_counted_once_in_every_grouping() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = account(&app, &token, "usage1").await;
    let other = account(&app, &token, "usage2").await;

    // Days in the previous two calendar months: never in the future, and a
    // range that holds two months for the month grouping.
    let prev = month_before(this_month());
    let prev2 = month_before(prev);
    let days = [day(prev2, 20), day(prev, 10), day(prev, 12), day(prev, 14)];
    let from = day(prev2, 1);
    let to = day(this_month(), 1);
    let records: Vec<Rec> = (0..1000)
        .map(|i| Rec {
            customer: id.clone(),
            meter: METERS[i % 3 % 2],
            quantity: (i % 7) as i64 + 1,
            at: format!("{}T{:02}:{:02}:07Z", days[i % 4], i % 24, i % 60),
            id: format!("rec-{i}"),
        })
        .collect();
    let recorded = record_all(&app, &records).await;
    let refused_first: Vec<usize> = (0..records.len()).filter(|i| !recorded[*i]).collect();
    assert!(
        refused_first.is_empty(),
        "expected every first record to be recorded, got recorded=false for {refused_first:?}"
    );
    // Retries of the first 300 (same idempotency ids) add nothing.
    let retried = record_all(&app, &records[..300]).await;
    let counted_again: Vec<usize> = (0..300).filter(|i| retried[*i]).collect();
    assert!(
        counted_again.is_empty(),
        "expected retries to answer recorded=false, got true for {counted_again:?}"
    );
    // An idempotency id is per customer: the same id for another customer counts.
    let mut client = grpc(&app).await;
    let elsewhere = Rec {
        customer: other.clone(),
        meter: "users",
        quantity: 1000,
        at: format!("{}T12:00:00Z", days[1]),
        id: "rec-0".into(),
    };
    assert!(
        record(&mut client, &elsewhere).await,
        "expected rec-0 of another customer to be recorded"
    );
    // Edges: `from` is inclusive, `to` exclusive.
    let edges = [
        Rec {
            at: format!("{from}T00:00:00Z"),
            id: "edge-from".into(),
            ..records[0].clone()
        },
        Rec {
            at: format!("{to}T00:00:00Z"),
            id: "edge-to".into(),
            ..records[0].clone()
        },
        Rec {
            at: format!(
                "{}T23:59:59Z",
                day(month_before(prev2), last_day(month_before(prev2)))
            ),
            id: "edge-before".into(),
            ..records[0].clone()
        },
    ];
    for edge in &edges {
        assert!(
            record(&mut client, edge).await,
            "{edge:?}: expected recorded"
        );
    }
    let all: Vec<Rec> = records.iter().chain(edges.iter()).cloned().collect();
    let (lo, hi) = (format!("{from}T00:00:00Z"), format!("{to}T00:00:00Z"));

    for group in ["day", "month", "meter"] {
        let report = usage(
            &app,
            &token,
            &id,
            &format!("from={from}&to={to}&groupBy={group}"),
        )
        .await;
        assert_eq!(report["customerID"], id.as_str(), "{report}");
        assert_eq!(report["groupBy"], group, "{report}");
        let expected = expected_sums(&all, group, &lo, &hi);
        assert_eq!(
            report_sums(&report),
            expected,
            "groupBy={group}: expected the sums on the left, got {report}"
        );
        for item in report["items"].as_array().unwrap() {
            let period = &item["period"];
            match group {
                "day" => assert_eq!(period.as_str().map(str::len), Some(10), "{item}"),
                "month" => assert_eq!(period.as_str().map(str::len), Some(7), "{item}"),
                _ => assert!(
                    period.is_null(),
                    "groupBy=meter: expected period null, got {item}"
                ),
            }
        }
        // RFC 3339 bounds say the same as dates.
        let rfc = usage(
            &app,
            &token,
            &id,
            &format!("from={lo}&to={hi}&groupBy={group}"),
        )
        .await;
        assert_eq!(
            report_sums(&rfc),
            expected,
            "groupBy={group} with RFC 3339 bounds: expected the same sums, got {rfc}"
        );
    }
    // The total is what was sent once, whatever the grouping.
    let by_meter = report_sums(
        &usage(
            &app,
            &token,
            &id,
            &format!("from={from}&to={to}&groupBy=meter"),
        )
        .await,
    );
    let sent: i64 = records.iter().map(|r| r.quantity).sum::<i64>() + records[0].quantity;
    assert_eq!(
        by_meter.values().sum::<i64>(),
        sent,
        "expected the meter totals to add up to the quantities sent once"
    );
    // The other customer sees only its own record.
    let theirs = report_sums(
        &usage(
            &app,
            &token,
            &other,
            &format!("from={from}&to={to}&groupBy=meter"),
        )
        .await,
    );
    assert_eq!(
        theirs,
        Sums::from([((String::new(), "users".to_owned()), 1000)]),
        "expected only the other customer's own record"
    );
}

#[tokio::test]
async fn usage_report_parameters_out_of_range_name_the_parameter() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = account(&app, &token, "usagebad").await;
    let base = format!("/v1/api/accounts/{id}/usage");
    for (query, either) in [
        (
            "from=2024-01-01&to=2024-02-01&groupBy=week",
            &["groupBy"][..],
        ),
        ("from=yesterday&to=2024-02-01&groupBy=day", &["from"][..]),
        ("from=2024-01-01&to=2024-02-30&groupBy=day", &["to"][..]),
        ("from=2024-01-01&to=2024-13-01&groupBy=month", &["to"][..]),
        (
            "from=2024-02-01&to=2024-01-01&groupBy=day",
            &["from", "to"][..],
        ),
        (
            "from=2024-02-01&to=2024-02-01&groupBy=day",
            &["from", "to"][..],
        ),
    ] {
        let problem = refused(
            &app,
            Method::GET,
            &token,
            &format!("{base}?{query}"),
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_names_one_of(&problem, either);
    }
}

#[tokio::test]
async fn a_partners_usage_rolls_up_its_whole_subtree() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    // An advisor allowed to create partners: a private-label partner
    // creates accounts only (DESIGN §6.2), and the tree must be deeper.
    let p = app.advisor(&root, "rollp", None).await;
    let a1 = account(&app, &p.token, "rolla1").await;
    let q = app.partner(&p.token, "rollq", None).await;
    let a2 = account(&app, &q.token, "rolla2").await;

    let prev = month_before(this_month());
    let from = day(prev, 1);
    let to = day(this_month(), 1);
    let mut records = Vec::new();
    for (n, customer) in [(40, &a1), (60, &a2)] {
        for i in 0..n {
            records.push(Rec {
                customer: customer.clone(),
                meter: METERS[i % 2],
                quantity: (i % 5) as i64 + 1,
                at: format!("{}T{:02}:30:00Z", day(prev, 10 + (i % 3) as u32), i % 24),
                id: format!("roll-{i}"),
            });
        }
    }
    let recorded = record_all(&app, &records).await;
    assert!(
        recorded.iter().all(|r| *r),
        "expected every record recorded"
    );
    let of = |c: &str| -> Vec<Rec> {
        records
            .iter()
            .filter(|r| r.customer == c)
            .cloned()
            .collect()
    };
    let (lo, hi) = (format!("{from}T00:00:00Z"), format!("{to}T00:00:00Z"));

    for group in ["day", "month", "meter"] {
        let query = format!("from={from}&to={to}&groupBy={group}");
        let s1 = report_sums(&usage(&app, &p.token, &a1, &query).await);
        let s2 = report_sums(&usage(&app, &q.token, &a2, &query).await);
        assert_eq!(
            s1,
            expected_sums(&of(&a1), group, &lo, &hi),
            "A1 by {group}"
        );
        assert_eq!(
            s2,
            expected_sums(&of(&a2), group, &lo, &hi),
            "A2 by {group}"
        );
        let both = add_sums(&s1, &s2);
        for (who, token, customer) in [
            ("P (own token)", &p.token, &p.id),
            ("P (root token)", &root, &p.id),
        ] {
            let rolled = usage(&app, token, customer, &query).await;
            assert_eq!(
                report_sums(&rolled),
                both,
                "{who} by {group}: expected the sum of A1's and A2's reports, got {rolled}"
            );
        }
        let q_report = usage(&app, &q.token, &q.id, &query).await;
        assert_eq!(
            report_sums(&q_report),
            s2,
            "Q by {group}: expected A2's report alone, got {q_report}"
        );
        let root_report = usage(&app, &root, &app.root_id, &query).await;
        assert_eq!(
            report_sums(&root_report),
            both,
            "root by {group}: expected the whole tree, got {root_report}"
        );
    }
    // Q cannot read its parent's report.
    refused(
        &app,
        Method::GET,
        &q.token,
        &format!(
            "/v1/api/accounts/{}/usage?from={from}&to={to}&groupBy=day",
            p.id
        ),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
}

// ---------------------------------------------------------------------------
// Invoices

/// Starter's prices from `GET /v1/api/plans`: the monthly fee, the
/// currency, and meter → (amount, per).
struct Prices {
    monthly: i64,
    currency: String,
    meters: BTreeMap<String, (i64, i64)>,
}

async fn prices_of(app: &TestApp, token: &str, plan: &str) -> Prices {
    let (status, page) = app.get(token, "/v1/api/plans").await;
    assert_eq!(status, StatusCode::OK, "GET plans: {status} {page}");
    let plan = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == plan)
        .unwrap_or_else(|| panic!("expected plan {plan} in {page}"))
        .clone();
    let mut out = Prices {
        monthly: -1,
        currency: String::new(),
        meters: BTreeMap::new(),
    };
    for price in plan["prices"].as_array().unwrap() {
        let amount = price["amount"].as_i64().unwrap();
        let item = price["item"].as_str().unwrap();
        out.currency = price["currency"].as_str().unwrap().to_owned();
        if item == "monthly" {
            out.monthly = amount;
        } else {
            out.meters
                .insert(item.to_owned(), (amount, price["per"].as_i64().unwrap()));
        }
    }
    assert!(out.monthly >= 0, "expected a monthly price in {plan}");
    for meter in METERS {
        assert!(
            out.meters.contains_key(meter),
            "expected a price for meter {meter} in {plan}"
        );
    }
    out
}

/// quantity × amount / per, rounded half up (amounts are never negative).
fn usage_amount(quantity: i64, (amount, per): (i64, i64)) -> i64 {
    (2 * quantity * amount + per) / (2 * per)
}

async fn invoices(app: &TestApp, token: &str, id: &str) -> Value {
    let path = format!("/v1/api/accounts/{id}/invoices?skip=0&take=50");
    let (status, page) = app.get(token, &path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "GET {path}: expected 200, got {status} {page}"
    );
    page
}

#[tokio::test]
async fn closing_a_month_invoices_plan_fee_plus_usage_less_credit_once() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let prices = prices_of(&app, &token, "starter").await;
    assert_eq!(prices.currency, "USD", "starter is priced in USD");
    let a1 = account(&app, &token, "invoice1").await;
    let a2 = account(&app, &token, "invoice2").await;
    let fresh = account(&app, &token, "invoice3").await;

    // Both accounts existed long before the month being closed.
    let accounts_db = app.stack.db(Svc::Account);
    for id in [&a1, &a2] {
        let done = sqlx::query("update customer set created_at = $1 where customer_id = $2")
            .bind("2020-01-15T00:00:00.000000Z")
            .bind(id.as_str())
            .execute(&accounts_db.pool)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1, "backdating {id}");
    }

    // Credit: less than A1's invoice, more than A2's. Minted by the root.
    for (id, amount) in [(&a1, 1000), (&a2, 100_000)] {
        let (status, got) = allocate(&app, &token, id, json!(amount), "USD").await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "minting {amount} to {id}: expected 201, got {status} {got}"
        );
    }

    let now = this_month();
    let prev = month_before(now);
    let period = ym(prev);
    let at = |d: u32, h: u32| format!("{}T{h:02}:00:00Z", day(prev, d));
    let recs = |customer: &str, list: &[(&'static str, i64, String)]| -> Vec<Rec> {
        list.iter()
            .enumerate()
            .map(|(i, (meter, quantity, at))| Rec {
                customer: customer.to_owned(),
                meter,
                quantity: *quantity,
                at: at.clone(),
                id: format!("inv-{i}"),
            })
            .collect()
    };
    let mut records = recs(
        &a1,
        &[
            ("users", 2, at(10, 9)),
            ("users", 1, at(15, 9)),
            ("api_calls", 2000, at(11, 12)),
            // 2550 calls at 10 per 1000 is 25.5: rounded half up to 26.
            ("api_calls", 550, at(20, 23)),
            // Outside the period: the month before, and now.
            (
                "users",
                7,
                format!("{}T12:00:00Z", day(month_before(prev), 15)),
            ),
            ("users", 5, String::new()),
        ],
    );
    records.extend(recs(&a2, &[("api_calls", 1000, at(12, 8))]));
    records.extend(recs(&fresh, &[("users", 4, at(12, 8))]));
    assert!(record_all(&app, &records).await.iter().all(|r| *r));

    let mut client = grpc(&app).await;
    // The current month has not ended.
    let err = client
        .close_period(pb::ClosePeriodRequest { period: ym(now) })
        .await
        .expect_err("closing the current month: expected FAILED_PRECONDITION, got OK");
    assert_eq!(
        err.code(),
        tonic::Code::FailedPrecondition,
        "closing the current month: expected FAILED_PRECONDITION, got {err:?}"
    );
    assert_eq!(invoices(&app, &token, &a1).await["total"], 0);

    let closed = client
        .close_period(pb::ClosePeriodRequest {
            period: period.clone(),
        })
        .await
        .unwrap_or_else(|s| panic!("closing {period}: expected OK, got {s:?}"))
        .into_inner();
    assert_eq!(
        (closed.invoices_created, closed.invoices_existing),
        (2, 0),
        "closing {period}: expected invoices for the two backdated accounts only, got {closed:?}"
    );

    let expect = |usage: &[(&str, i64)], credit: i64| {
        let subtotal = prices.monthly
            + usage
                .iter()
                .map(|(m, q)| usage_amount(*q, prices.meters[*m]))
                .sum::<i64>();
        let applied = credit.min(subtotal);
        (subtotal, applied, subtotal - applied)
    };
    let mut seen = Vec::new();
    for (id, name, usage, credit) in [
        (&a1, "A1", &[("users", 3), ("api_calls", 2550)][..], 1000),
        (&a2, "A2", &[("api_calls", 1000)][..], 100_000),
    ] {
        let page = invoices(&app, &token, id).await;
        assert_eq!(page["total"], 1, "{name}: expected one invoice, got {page}");
        assert_eq!(page["count"], 1, "{name}: {page}");
        let listed = page["items"][0].clone();
        let invoice_id = listed["invoiceID"].as_str().unwrap().to_owned();
        let path = format!("/v1/api/accounts/{id}/invoices/{invoice_id}");
        let (status, invoice) = app.get(&token, &path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {status} {invoice}");
        assert_eq!(
            invoice, listed,
            "{name}: expected GET by id to equal the listed invoice"
        );
        assert_eq!(invoice["customerID"], id.as_str(), "{invoice}");
        assert_eq!(invoice["period"], period.as_str(), "{invoice}");
        assert_eq!(invoice["planName"], "starter", "{invoice}");
        assert_eq!(invoice["currency"], "USD", "{invoice}");
        assert!(
            !invoice["issuedAt"].as_str().unwrap_or_default().is_empty(),
            "{invoice}"
        );

        let lines = invoice["lines"].as_array().unwrap();
        let plan_lines: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "plan").collect();
        assert_eq!(
            plan_lines.len(),
            1,
            "{name}: expected one plan line, got {invoice}"
        );
        assert_eq!(
            plan_lines[0]["amount"], prices.monthly,
            "{name}: expected the monthly fee {}, got {invoice}",
            prices.monthly
        );
        for (meter, quantity) in usage {
            let price = prices.meters[*meter];
            let line = lines
                .iter()
                .find(|l| l["kind"] == "usage" && l["meter"] == *meter)
                .unwrap_or_else(|| {
                    panic!("{name}: expected a usage line for {meter}, got {invoice}")
                });
            assert_eq!(
                (
                    line["quantity"].as_i64(),
                    line["unitAmount"].as_i64(),
                    line["per"].as_i64(),
                    line["amount"].as_i64()
                ),
                (
                    Some(*quantity),
                    Some(price.0),
                    Some(price.1),
                    Some(usage_amount(*quantity, price))
                ),
                "{name} {meter}: expected (quantity, unitAmount, per, amount) on the left, got {line}"
            );
        }
        for line in lines
            .iter()
            .filter(|l| l["kind"] == "usage" && !usage.iter().any(|(m, _)| l["meter"] == *m))
        {
            assert_eq!(
                line["amount"], 0,
                "{name}: expected no charge for unused meters, got {line}"
            );
        }
        let lines_sum: i64 = lines.iter().map(|l| l["amount"].as_i64().unwrap()).sum();
        let (subtotal, applied, total) = expect(usage, credit);
        assert_eq!(
            (
                invoice["subtotal"].as_i64(),
                invoice["creditsApplied"].as_i64(),
                invoice["total"].as_i64()
            ),
            (Some(subtotal), Some(applied), Some(total)),
            "{name}: expected (subtotal, creditsApplied, total) on the left, got {invoice}"
        );
        assert_eq!(
            lines_sum, subtotal,
            "{name}: expected the lines to add up to the subtotal: {invoice}"
        );

        // The credit applied left the balance as an "invoice" entry.
        let (head, entries) = ledger(&app, &token, id).await;
        assert_eq!(
            balance_of(&head),
            credit - applied,
            "{name}: expected the balance less the credit applied, got {head}"
        );
        let newest = &entries[0];
        assert_eq!(
            newest["kind"], "invoice",
            "{name}: expected the newest entry to be the invoice's, got {newest}"
        );
        assert_eq!(newest["amount"], -applied, "{name}: {newest}");
        assert_eq!(newest["invoiceID"], invoice_id.as_str(), "{name}: {newest}");
        assert_eq!(newest["balanceAfter"], credit - applied, "{name}: {newest}");
        assert_ledger_adds_up(name, &head, &entries);
        assert_created_at_newest_first(name, &entries);
        seen.push((id.clone(), invoice, head["balance"].clone(), entries.len()));
    }
    assert_eq!(
        invoices(&app, &token, &fresh).await["total"],
        0,
        "expected no invoice for an account created after the period"
    );

    // Closing again adds nothing and changes nothing.
    let again = client
        .close_period(pb::ClosePeriodRequest {
            period: period.clone(),
        })
        .await
        .unwrap_or_else(|s| panic!("closing {period} again: expected OK, got {s:?}"))
        .into_inner();
    assert_eq!(
        (again.invoices_created, again.invoices_existing),
        (0, 2),
        "closing {period} again: expected nothing created, got {again:?}"
    );
    for (id, invoice, balance, entries) in seen {
        let page = invoices(&app, &token, &id).await;
        assert_eq!(page["total"], 1, "{id} after closing again: {page}");
        assert_eq!(page["items"][0], invoice, "{id} after closing again");
        let (head, after) = ledger(&app, &token, &id).await;
        assert_eq!(
            head["balance"], balance,
            "{id}: expected the balance unchanged, got {head}"
        );
        assert_eq!(after.len(), entries, "{id}: expected no new ledger entry");
    }
}

#[tokio::test]
async fn a_paper_check_accounts_invoice_is_billed_to_its_parent_and_a_card_accounts_to_itself() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let parent = app.partner(&root, "billedto", None).await;
    // The reference's v1 example as written (creditCard), and as a
    // paperCheck create without the creditCard object: "bill to the parent
    // account".
    let mut by_check = reference_v1_body(&parent.id, "billed-to-parent");
    by_check["payment"]["type"] = json!("paperCheck");
    by_check["payment"]
        .as_object_mut()
        .unwrap()
        .remove("creditCard");
    let mut ids = Vec::new();
    for (what, body) in [
        ("paperCheck", by_check),
        (
            "creditCard",
            reference_v1_body(&parent.id, "billed-to-self"),
        ),
    ] {
        let (status, created) = app.post(&root, "/v1/api/accounts", &body).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{what}: expected 201, got {status} {created}"
        );
        assert_eq!(created["parentPartnerID"], parent.id.as_str(), "{created}");
        let id = id_of(&created);
        // On the books before the month being closed.
        let done = sqlx::query("update customer set created_at = $1 where customer_id = $2")
            .bind("2020-01-15T00:00:00.000000Z")
            .bind(id.as_str())
            .execute(&app.stack.db(Svc::Account).pool)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1, "backdating {what} {id}");
        ids.push((what, id));
    }

    let period = ym(month_before(this_month()));
    let closed = grpc(&app)
        .await
        .close_period(pb::ClosePeriodRequest {
            period: period.clone(),
        })
        .await
        .unwrap_or_else(|s| panic!("closing {period}: expected OK, got {s:?}"))
        .into_inner();
    assert_eq!(
        (closed.invoices_created, closed.invoices_existing),
        (2, 0),
        "closing {period}: expected one invoice per account, got {closed:?}"
    );

    for (what, id) in &ids {
        let payer = if *what == "paperCheck" {
            parent.id.as_str()
        } else {
            id.as_str()
        };
        let page = invoices(&app, &root, id).await;
        assert_eq!(page["total"], 1, "{what}: expected one invoice, got {page}");
        let listed = &page["items"][0];
        assert_eq!(listed["customerID"], id.as_str(), "{what}: {listed}");
        assert_eq!(
            listed["billedToCustomerID"], payer,
            "{what}: expected the invoice billed to {payer}, got {listed}"
        );
        let invoice_id = listed["invoiceID"].as_str().unwrap();
        for version in ["v1", "v2"] {
            let path = format!("/{version}/api/accounts/{id}/invoices/{invoice_id}");
            let (status, invoice) = app.get(&root, &path).await;
            assert_eq!(status, StatusCode::OK, "GET {path}: {status} {invoice}");
            assert_eq!(&invoice, listed, "{what}: GET {path}");
        }
    }

    // The contract documents the field, in both versions' documents.
    for version in ["v1", "v2"] {
        let doc: Value = app
            .http
            .get(app.at(&format!("/swagger/{version}/swagger.json")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let field = &doc["components"]["schemas"]["Invoice"]["properties"]["billedToCustomerID"];
        assert_eq!(field["type"], "string", "{version}: {field}");
        assert!(
            field["description"]
                .as_str()
                .is_some_and(|d| d.contains("paperCheck")),
            "{version}: expected billedToCustomerID described, got {field}"
        );
    }
}

// ---------------------------------------------------------------------------
// Credits

#[tokio::test]
async fn allocation_moves_exactly_the_amount_and_refuses_what_it_must() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "creditp", None).await;
    let a = account(&app, &p.token, "credita").await;
    let sibling = app.partner(&root, "credits", None).await;

    // Nothing yet: no currency.
    let (head, entries) = ledger(&app, &p.token, &a).await;
    assert_eq!(balance_of(&head), 0, "{head}");
    assert!(
        head["currency"].is_null(),
        "expected currency null before any credit, got {head}"
    );
    assert!(entries.is_empty(), "{head}");

    // From the root it is minted; the root keeps no entry.
    let (status, minted) = allocate(&app, &root, &p.id, json!(1000), "USD").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "mint to P: expected 201, got {status} {minted}"
    );
    assert_eq!(minted["balance"], 1000, "{minted}");
    assert_eq!(minted["currency"], "USD", "{minted}");
    assert_eq!(minted["entry"]["kind"], "mint", "{minted}");
    assert_eq!(minted["entry"]["amount"], 1000, "{minted}");
    assert_eq!(minted["entry"]["balanceAfter"], 1000, "{minted}");
    let (root_head, root_entries) = ledger(&app, &root, &app.root_id).await;
    assert_eq!(
        root_head["unbounded"], true,
        "expected the root unbounded, got {root_head}"
    );
    assert!(
        root_entries.is_empty(),
        "expected no root entry for a mint, got {root_entries:?}"
    );

    // P → A: exactly the amount, one entry each side.
    let (status, moved) = allocate(&app, &p.token, &a, json!(250), "USD").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "P → A: expected 201, got {status} {moved}"
    );
    assert_eq!(moved["balance"], 250, "{moved}");
    assert_eq!(moved["entry"]["kind"], "allocation", "{moved}");
    assert_eq!(moved["entry"]["amount"], 250, "{moved}");
    assert_eq!(moved["entry"]["counterpartyID"], p.id.as_str(), "{moved}");
    assert_eq!(moved["entry"]["note"], "test allocation", "{moved}");
    let (p_head, p_entries) = ledger(&app, &p.token, &p.id).await;
    assert_eq!(balance_of(&p_head), 750, "P after giving 250: {p_head}");
    assert_eq!(p_entries.len(), 2, "{p_entries:?}");
    assert_eq!(p_entries[0]["kind"], "transfer", "{p_entries:?}");
    assert_eq!(p_entries[0]["amount"], -250, "{p_entries:?}");
    assert_eq!(p_entries[0]["counterpartyID"], a.as_str(), "{p_entries:?}");
    assert_eq!(p_entries[0]["balanceAfter"], 750, "{p_entries:?}");
    assert_eq!(p_entries[1]["kind"], "mint", "{p_entries:?}");
    assert_ledger_adds_up("P", &p_head, &p_entries);
    assert_created_at_newest_first("P", &p_entries);
    let (a_head, a_entries) = ledger(&app, &root, &a).await;
    assert_eq!(balance_of(&a_head), 250, "{a_head}");
    assert_eq!(a_head["currency"], "USD", "{a_head}");
    assert_eq!(a_head["unbounded"], false, "{a_head}");
    assert_eq!(a_entries.len(), 1, "{a_entries:?}");
    assert_eq!(
        a_entries[0], moved["entry"],
        "expected A's ledger to hold the answered entry"
    );
    assert_ledger_adds_up("A", &a_head, &a_entries);
    assert_created_at_newest_first("A", &a_entries);

    // Bad amounts and the wrong currency.
    for amount in [json!(0), json!(-5), json!(1.5), json!("10")] {
        let problem = refused(
            &app,
            Method::POST,
            &p.token,
            &credits_path(&a),
            Some(&json!({"amount": amount, "currency": "USD", "note": "x"})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_names(&problem, &["amount"]);
    }
    let problem = refused(
        &app,
        Method::POST,
        &p.token,
        &credits_path(&a),
        Some(&json!({"amount": 10, "currency": "EUR", "note": "x"})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_names(&problem, &["currency"]);
    assert_balances(&app, &p.token, &[(&p.id, 750), (&a, 250)], "bad requests").await;

    // More than P has: 402 with P's balance, nothing moves.
    let problem = refused(
        &app,
        Method::POST,
        &p.token,
        &credits_path(&a),
        Some(&json!({"amount": 751, "currency": "USD", "note": "too much"})),
        StatusCode::PAYMENT_REQUIRED,
    )
    .await;
    assert_eq!(
        problem["balance"].as_i64(),
        Some(750),
        "expected balance 750, got {problem}"
    );
    assert_eq!(problem["currency"], "USD", "{problem}");
    assert_balances(&app, &p.token, &[(&p.id, 750), (&a, 250)], "a 402").await;

    // The caller's own customer, and a customer outside the caller's subtree.
    refused(
        &app,
        Method::POST,
        &p.token,
        &credits_path(&p.id),
        Some(&json!({"amount": 1, "currency": "USD", "note": "self"})),
        StatusCode::CONFLICT,
    )
    .await;
    refused(
        &app,
        Method::POST,
        &sibling.token,
        &credits_path(&a),
        Some(&json!({"amount": 1, "currency": "USD", "note": "sibling"})),
        StatusCode::NOT_FOUND,
    )
    .await;
    refused(
        &app,
        Method::GET,
        &sibling.token,
        &credits_path(&a),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_balances(
        &app,
        &p.token,
        &[(&p.id, 750), (&a, 250)],
        "a 409 and a 404",
    )
    .await;

    // Exactly what P has is fine, and leaves P at zero.
    let (status, all) = allocate(&app, &p.token, &a, json!(750), "USD").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "P gives all 750: expected 201, got {status} {all}"
    );
    let (p_head, p_entries) = ledger(&app, &p.token, &p.id).await;
    assert_eq!(balance_of(&p_head), 0, "{p_head}");
    assert_ledger_adds_up("P", &p_head, &p_entries);
    assert_created_at_newest_first("P", &p_entries);
}

#[tokio::test]
async fn fifty_concurrent_allocations_never_overdraw_the_parent() {
    const SEED: i64 = 1000;
    const EACH: i64 = 30;
    const CALLS: usize = 50;
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "rushp", None).await;
    let bodies: Vec<Value> = (0..5)
        .map(|i| account_body(&format!("rush{i}"), None))
        .collect();
    let children: Vec<String> = create_all(&app, &p.token, bodies)
        .await
        .iter()
        .map(id_of)
        .collect();
    let (status, seeded) = allocate(&app, &root, &p.id, json!(SEED), "USD").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "seeding P: expected 201, got {status} {seeded}"
    );

    let mut set = JoinSet::new();
    for i in 0..CALLS {
        let child = children[i % children.len()].clone();
        let (http, url, token) = (
            app.http.clone(),
            app.at(&credits_path(&child)),
            p.token.clone(),
        );
        set.spawn(async move {
            let res = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"amount": EACH, "currency": "USD", "note": format!("rush {i}")}))
                .send()
                .await
                .unwrap();
            let status = res.status();
            (
                child,
                status,
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        });
    }
    let mut granted: BTreeMap<String, i64> = BTreeMap::new();
    let (mut ok, mut short) = (0, 0);
    while let Some(done) = set.join_next().await {
        let (child, status, body) = done.unwrap();
        match status {
            StatusCode::CREATED => {
                ok += 1;
                *granted.entry(child).or_default() += 1;
            }
            StatusCode::PAYMENT_REQUIRED => {
                short += 1;
                let balance = body["balance"].as_i64().unwrap_or(-1);
                assert!(
                    (0..EACH).contains(&balance),
                    "a 402 should report P's balance below {EACH}, got {body}"
                );
                assert_eq!(body["currency"], "USD", "{body}");
            }
            other => panic!("expected 201 or 402, got {other} {body}"),
        }
    }
    let fits = (SEED / EACH) as usize;
    assert_eq!(
        (ok, short),
        (fits, CALLS - fits),
        "expected exactly {fits} allocations to succeed and the rest to get 402, got {ok} and {short}"
    );

    let (p_head, p_entries) = ledger(&app, &p.token, &p.id).await;
    let left = SEED - EACH * fits as i64;
    assert_eq!(
        balance_of(&p_head),
        left,
        "P: expected {left} left, got {p_head}"
    );
    assert_ledger_adds_up("P", &p_head, &p_entries);
    let mut out_of_order = created_at_out_of_order("P", &p_entries);
    // Every transfer saw a different balance: they took turns.
    let expected_after: Vec<i64> = (0..=fits as i64).map(|k| left + EACH * k).collect();
    assert_eq!(
        balances_after(&p_entries),
        expected_after,
        "P: expected balanceAfter to step down by {EACH} from {SEED} and never below zero"
    );
    let transfers = p_entries.iter().filter(|e| e["kind"] == "transfer").count();
    assert_eq!(
        transfers, fits,
        "P: expected {fits} transfer entries, got {p_entries:?}"
    );

    let mut children_total = 0;
    for child in &children {
        let (head, entries) = ledger(&app, &p.token, child).await;
        let n = granted.get(child).copied().unwrap_or(0);
        assert_eq!(
            balance_of(&head),
            EACH * n,
            "{child}: expected {n} allocations of {EACH}, got {head}"
        );
        assert_ledger_adds_up(child, &head, &entries);
        out_of_order.extend(created_at_out_of_order(child, &entries));
        assert!(
            entries.iter().all(|e| e["kind"] == "allocation"
                && e["amount"] == EACH
                && e["counterpartyID"] == p.id.as_str()),
            "{child}: expected only allocations of {EACH} from P, got {entries:?}"
        );
        assert_eq!(
            balances_after(&entries),
            (1..=n).map(|k| EACH * k).collect::<Vec<_>>(),
            "{child}: expected balanceAfter to step up by {EACH}"
        );
        children_total += balance_of(&head);
    }
    assert_eq!(
        children_total + balance_of(&p_head),
        SEED,
        "expected the credit to be conserved across P and its children"
    );
    // Checked last, so that a wrong order does not hide the sums above.
    assert!(
        out_of_order.is_empty(),
        "expected every ledger newest first by createdAt, got {} entries out of order:\n{}",
        out_of_order.len(),
        out_of_order.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Paging: `after` walks (keyset), `skip` bounded

/// Walks a list from its first page with `after` (each page's
/// `nextCursor`), `take` at a time; returns every page. Asserts the page
/// shape on the way: `count` is the number of items, and `nextCursor` is
/// present exactly when the page is full (the lists below end on a partial
/// page, or the walk sees an empty page after a full one).
async fn walk(app: &TestApp, token: &str, path: &str, take: usize) -> Vec<Value> {
    let mut pages: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(cursor) => format!("{path}?take={take}&after={cursor}"),
            None => format!("{path}?take={take}"),
        };
        let (status, page) = app.get(token, &url).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "GET {url}: expected 200, got {status} {page}"
        );
        let items = page["items"].as_array().unwrap();
        assert_eq!(page["count"], items.len(), "GET {url}: {page}");
        assert!(
            pages.len() < 100,
            "GET {url}: the walk does not end ({} pages)",
            pages.len()
        );
        after = page["nextCursor"].as_str().map(str::to_owned);
        pages.push(page);
        if after.is_none() {
            break;
        }
    }
    pages
}

/// The `field` of every item of every page, in order.
fn walked(pages: &[Value], field: &str) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().iter())
        .map(|i| i[field].as_str().unwrap().to_owned())
        .collect()
}

/// (items, whether nextCursor is present) of each page.
fn shape(pages: &[Value]) -> Vec<(usize, bool)> {
    pages
        .iter()
        .map(|p| {
            (
                p["items"].as_array().unwrap().len(),
                p.get("nextCursor").is_some_and(|c| !c.is_null()),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_ledger_walked_with_after_meets_each_entry_once_newest_first() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let a = account(&app, &root, "ledgerwalk").await;
    let mut minted = Vec::new();
    for n in 1..=25 {
        let (status, got) = allocate(&app, &root, &a, json!(n), "USD").await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "minting {n} to {a}: expected 201, got {status} {got}"
        );
        minted.push(got["entry"]["entryID"].as_str().unwrap().to_owned());
    }
    let newest_first: Vec<String> = minted.iter().rev().cloned().collect();
    let path = credits_path(&a);

    let pages = walk(&app, &root, &path, 10).await;
    assert_eq!(
        shape(&pages),
        [(10, true), (10, true), (5, false)],
        "25 entries 10 at a time: (items, nextCursor present) per page"
    );
    for page in &pages {
        assert_eq!(
            page["total"], 25,
            "expected the total on every page: {page}"
        );
    }
    assert_eq!(
        walked(&pages, "entryID"),
        newest_first,
        "expected each entry once, newest first"
    );
    // The cursor is the last entry of its page.
    assert_eq!(
        pages[0]["nextCursor"].as_str(),
        Some(newest_first[9].as_str())
    );

    // Exactly 25 fit one page: no cursor, since nothing follows.
    let (status, whole) = app.get(&root, &format!("{path}?take=25")).await;
    assert_eq!(status, StatusCode::OK, "{whole}");
    assert!(
        whole.get("nextCursor").is_none_or(Value::is_null),
        "expected no nextCursor when nothing follows, got {whole}"
    );

    // Entries written during a walk are newer than its cursor: the walk
    // still meets each of the first 25 once. The total counts the new one.
    let first = &pages[0];
    let cursor = first["nextCursor"].as_str().unwrap();
    let (status, got) = allocate(&app, &root, &a, json!(100), "USD").await;
    assert_eq!(status, StatusCode::CREATED, "{got}");
    let mut rest = vec![first.clone()];
    let mut after = cursor.to_owned();
    loop {
        let url = format!("{path}?take=10&after={after}");
        let (status, page) = app.get(&root, &url).await;
        assert_eq!(status, StatusCode::OK, "GET {url}: {page}");
        assert_eq!(
            page["total"], 26,
            "GET {url}: expected the new entry counted: {page}"
        );
        let next = page["nextCursor"].as_str().map(str::to_owned);
        rest.push(page);
        match next {
            Some(c) => after = c,
            None => break,
        }
    }
    assert_eq!(
        walked(&rest, "entryID"),
        newest_first,
        "expected a walk begun before a new entry to meet the others once"
    );

    // skip counts after the cursor.
    let url = format!("{path}?take=10&skip=5&after={cursor}");
    let (status, page) = app.get(&root, &url).await;
    assert_eq!(status, StatusCode::OK, "GET {url}: {page}");
    assert_eq!(
        walked(std::slice::from_ref(&page), "entryID"),
        newest_first[15..25],
        "GET {url}: expected entries 16 to 25"
    );
    assert!(page.get("nextCursor").is_none_or(Value::is_null), "{page}");
}

#[tokio::test]
async fn invoices_walked_with_after_meet_each_period_once_newest_first() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let a = account(&app, &root, "invoicewalk").await;
    let done = sqlx::query("update customer set created_at = $1 where customer_id = $2")
        .bind("2020-01-15T00:00:00.000000Z")
        .bind(a.as_str())
        .execute(&app.stack.db(Svc::Account).pool)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1, "backdating {a}");
    let path = format!("/v2/api/accounts/{a}/invoices");
    // Counted (and cached) before any invoice: closing must count afresh.
    let (status, none) = app.get(&root, &path).await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert_eq!(none["total"], 0, "{none}");
    assert!(none.get("nextCursor").is_none_or(Value::is_null), "{none}");

    let mut client = grpc(&app).await;
    let m1 = month_before(this_month());
    let m2 = month_before(m1);
    let m3 = month_before(m2);
    // Closed out of order: the list orders by period, not by issue.
    for period in [ym(m2), ym(m1), ym(m3)] {
        let closed = client
            .close_period(pb::ClosePeriodRequest {
                period: period.clone(),
            })
            .await
            .unwrap_or_else(|s| panic!("closing {period}: expected OK, got {s:?}"))
            .into_inner();
        assert_eq!(closed.invoices_created, 1, "closing {period}: {closed:?}");
    }

    let pages = walk(&app, &root, &path, 2).await;
    assert_eq!(
        shape(&pages),
        [(2, true), (1, false)],
        "3 invoices 2 at a time: (items, nextCursor present) per page"
    );
    for page in &pages {
        assert_eq!(page["total"], 3, "expected the total on every page: {page}");
    }
    assert_eq!(
        walked(&pages, "period"),
        [ym(m1), ym(m2), ym(m3)],
        "expected each invoice once, newest period first"
    );
    let one_by_one = walk(&app, &root, &path, 1).await;
    assert_eq!(shape(&one_by_one), [(1, true), (1, true), (1, false)]);
    assert_eq!(
        walked(&one_by_one, "invoiceID"),
        walked(&pages, "invoiceID")
    );
    let (status, whole) = app.get(&root, &format!("{path}?take=3")).await;
    assert_eq!(status, StatusCode::OK, "{whole}");
    assert!(
        whole.get("nextCursor").is_none_or(Value::is_null),
        "expected no nextCursor when nothing follows, got {whole}"
    );

    // skip counts after the cursor; v1 takes v2's cursor.
    let cursor = one_by_one[0]["nextCursor"].as_str().unwrap();
    let url = format!("/v1/api/accounts/{a}/invoices?skip=1&after={cursor}");
    let (status, page) = app.get(&root, &url).await;
    assert_eq!(status, StatusCode::OK, "GET {url}: {page}");
    assert_eq!(
        walked(std::slice::from_ref(&page), "period"),
        [ym(m3)],
        "GET {url}"
    );
}

#[tokio::test]
async fn a_skip_too_deep_or_a_cursor_not_issued_is_400_naming_it() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let a = account(&app, &root, "pagingbad").await;
    let id = platform::id::new_id();
    for version in ["v1", "v2"] {
        let credits = format!("/{version}/api/accounts/{a}/credits");
        let invoices = format!("/{version}/api/accounts/{a}/invoices");
        for list in [&credits, &invoices] {
            let deep = format!("{list}?skip=10001");
            let problem = refused(
                &app,
                Method::GET,
                &root,
                &deep,
                None,
                StatusCode::BAD_REQUEST,
            )
            .await;
            assert_names(&problem, &["skip"]);
            // The deepest skip allowed is an (empty) page.
            let (status, page) = app.get(&root, &format!("{list}?skip=10000")).await;
            assert_eq!(status, StatusCode::OK, "GET {list}?skip=10000: {page}");
            assert_eq!(page["count"], 0, "{page}");
        }
        let upper = id.to_uppercase();
        let bad_ledger = ["nope", upper.as_str(), &id[1..], "2026-03"];
        for after in bad_ledger {
            let url = format!("{credits}?after={after}");
            let problem = refused(
                &app,
                Method::GET,
                &root,
                &url,
                None,
                StatusCode::BAD_REQUEST,
            )
            .await;
            assert_names(&problem, &["after"]);
        }
        let bad_invoice = [
            "nope".to_owned(),
            id.clone(),
            format!("2026-13.{id}"),
            format!("2026-3.{id}"),
            format!("2026-03.{upper}"),
            format!("2026-03-{id}"),
        ];
        for after in &bad_invoice {
            let url = format!("{invoices}?after={after}");
            let problem = refused(
                &app,
                Method::GET,
                &root,
                &url,
                None,
                StatusCode::BAD_REQUEST,
            )
            .await;
            assert_names(&problem, &["after"]);
        }
        // A well-formed cursor is a position, not a lookup: past an empty
        // list it is an empty page.
        for url in [
            format!("{credits}?after={id}"),
            format!("{invoices}?after=2026-03.{id}"),
        ] {
            let (status, page) = app.get(&root, &url).await;
            assert_eq!(status, StatusCode::OK, "GET {url}: {page}");
            assert_eq!(page["count"], 0, "GET {url}: {page}");
        }
    }
}
