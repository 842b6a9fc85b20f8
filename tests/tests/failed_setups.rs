//! Failed setups end to end: a create the card processor refuses for a
//! blacklisted card or failed fraud screening creates no account but keeps
//! the request (never the card number, security code or password, checked
//! in the stored row too) under an id the problem document carries; a
//! restore with another payment creates the account, once.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use common::{assert_names, head, id_of, list, problem, total};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Column as _, Row as _};
use tests::{Svc, TestApp, account_body_v2};

const BLACKLISTED: &str = "4100000000000019";
const FRAUD: &str = "4000000000004954";
const DECLINED: &str = "4000000000000002";
const APPROVED: &str = "4111111111111111";
/// The security code and the owner's password of every refused create:
/// values found nowhere else in the request, so finding them in what is
/// stored can only mean they were kept.
const SECURITY_CODE: &str = "864";
const PASSWORD: &str = "Nev3rKept-pw";

/// A v2 create of `name` paying with the VISA card `number`.
fn body(name: &str, number: &str) -> Value {
    let mut body = account_body_v2(name, None);
    body["general"]["owner"]["password"] = json!(PASSWORD);
    body["payment"]["creditCard"] = json!({
        "type": "VISA", "cardNumber": number, "expirationDate": "12/39", "securityCode": SECURITY_CODE
    });
    body
}

/// A restore body paying with the approved VISA card.
fn restore_body() -> Value {
    json!({
        "payment": {
            "type": "creditCard",
            "creditCard": {"type": "VISA", "cardNumber": APPROVED, "expirationDate": "11/38", "securityCode": "357"}
        },
        "ownerPassword": "secret34"
    })
}

/// Posts a v2 create the processor must refuse as a failed setup: a 409
/// problem document with a `failedSetupID`; returns the document.
async fn refused(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = app
        .http
        .post(app.at("/v2/api/accounts"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let doc = problem(res, StatusCode::CONFLICT).await;
    let id = doc["failedSetupID"].as_str().unwrap_or_default();
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "no failedSetupID: {doc}"
    );
    doc
}

/// `GET /v2/api/accounts/failedSetups`, which must answer 200.
async fn failed_setups(app: &TestApp, token: &str) -> Value {
    let (status, page) = app.get(token, "/v2/api/accounts/failedSetups").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

async fn restore(app: &TestApp, token: &str, id: &str, body: &Value) -> (StatusCode, Value) {
    app.post(
        token,
        &format!("/v2/api/accounts/failedSetups/{id}/restore"),
        body,
    )
    .await
}

/// Every row of account-svc's `failed_setup` table as (column, text) pairs,
/// the text columns only.
async fn stored_rows(app: &TestApp) -> Vec<Vec<(String, String)>> {
    let db = app.stack.db(Svc::Account);
    let rows = sqlx::query("select * from failed_setup")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            row.columns()
                .iter()
                .filter_map(|c| {
                    let text = row.try_get::<Option<String>, _>(c.ordinal()).ok()??;
                    Some((c.name().to_owned(), text))
                })
                .collect()
        })
        .collect()
}

/// `bytes` with every run of 20 or more id or timestamp characters (hex
/// digits, `T`, `Z`, `:`, `.`, `+`, `-`) blanked: random ids and times may
/// hold any three digits, a security code kept on its own does not hide in
/// such a run.
fn without_ids_and_times(bytes: &[u8]) -> Vec<u8> {
    let in_run = |b: u8| b.is_ascii_hexdigit() || b"TZ:.+-".contains(&b);
    let mut out = bytes.to_vec();
    let mut start = 0;
    while start < out.len() {
        let mut end = start;
        while end < out.len() && in_run(out[end]) {
            end += 1;
        }
        if end - start >= 20 {
            out[start..end].fill(b' ');
        }
        start = end + 1;
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Asserts that `bytes` (a column, or the decoded request) holds none of
/// `secrets`; the short ones (security codes) are looked for outside ids and
/// times.
#[track_caller]
fn assert_no_secret(what: &str, bytes: &[u8], secrets: &[&str]) {
    let shown = String::from_utf8_lossy(bytes);
    let scrubbed = without_ids_and_times(bytes);
    for secret in secrets {
        let haystack = if secret.len() <= 4 { &scrubbed } else { bytes };
        assert!(
            !contains(haystack, secret),
            "{what} holds {secret:?}: {shown}"
        );
    }
}

/// The `request` column decoded from base64.
fn decoded(request: &str) -> Vec<u8> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(request.trim()).ok())
        .unwrap_or_else(|| panic!("request is not base64: {request:?}"))
}

/// Checks every stored failed setup: no text column and no decoded request
/// holds any of `secrets` (card numbers, security codes, passwords); answers
/// how many there are.
async fn assert_nothing_secret_stored(app: &TestApp, secrets: &[&str]) -> usize {
    let rows = stored_rows(app).await;
    for row in &rows {
        let mut has_request = false;
        for (column, text) in row {
            assert_no_secret(column, text.as_bytes(), secrets);
            if column == "request" {
                has_request = true;
                let bytes = decoded(text);
                assert!(!bytes.is_empty(), "empty request: {row:?}");
                assert_no_secret("the decoded request", &bytes, secrets);
            }
        }
        assert!(has_request, "no request column: {row:?}");
    }
    rows.len()
}

#[tokio::test]
async fn blacklisted_card_keeps_a_failed_setup_without_card_number_code_or_password() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let before = total(&app, &token, "").await;

    let doc = refused(&app, &token, &body("blk1", BLACKLISTED)).await;
    assert_eq!(doc["code"], "BL", "{doc}");
    let id = doc["failedSetupID"].as_str().unwrap();
    let text = doc.to_string();
    assert!(
        !text.contains(BLACKLISTED) && !text.contains(PASSWORD),
        "{doc}"
    );

    // No account.
    assert_eq!(total(&app, &token, "").await, before);
    assert_eq!(total(&app, &token, "userName=blk1").await, 0);
    for v in ["v1", "v2"] {
        let path = format!("/{v}/api/accounts/blk1");
        assert_eq!(
            head(&app, &token, &path).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    let page = failed_setups(&app, &token).await;
    assert_eq!(page["total"], 1, "{page}");
    let setup = &page["items"][0];
    assert_eq!(setup["failedSetupID"], id, "{page}");
    assert_eq!(setup["accountName"], "blk1", "{page}");
    assert_eq!(setup["parentPartnerID"], app.root_id.as_str(), "{page}");
    assert_eq!(setup["planName"], "starter", "{page}");
    assert_eq!(setup["brand"], "VISA", "{page}");
    assert_eq!(setup["last4"], "0019", "{page}");
    assert_eq!(setup["reason"], "blacklisted", "{page}");
    assert_eq!(setup["code"], "BL", "{page}");
    assert_eq!(setup["status"], "open", "{page}");
    assert!(setup.get("customerID").is_none(), "{page}");
    let text = page.to_string();
    assert!(
        !text.contains(BLACKLISTED) && !text.contains(PASSWORD),
        "{page}"
    );

    assert_eq!(
        assert_nothing_secret_stored(&app, &[BLACKLISTED, SECURITY_CODE, PASSWORD]).await,
        1
    );
    // The row was read for real: what it may keep, it keeps.
    let row = stored_rows(&app).await.remove(0);
    let column = |name: &str| {
        row.iter()
            .find(|(c, _)| c == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(column("last4"), "0019", "{row:?}");
    assert_eq!(column("account_name"), "blk1", "{row:?}");
    assert!(
        contains(&decoded(&column("request")), "Damrak 1"),
        "{row:?}"
    );
}

#[tokio::test]
async fn suspected_fraud_keeps_a_failed_setup() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let doc = refused(&app, &token, &body("fraud1", FRAUD)).await;
    assert_eq!(doc["code"], "FR", "{doc}");
    assert_eq!(total(&app, &token, "").await, 0);

    let page = failed_setups(&app, &token).await;
    assert_eq!(page["total"], 1, "{page}");
    let setup = &page["items"][0];
    assert_eq!(setup["failedSetupID"], doc["failedSetupID"], "{page}");
    assert_eq!(setup["reason"], "fraud_suspected", "{page}");
    assert_eq!(setup["code"], "FR", "{page}");
    assert_eq!(setup["last4"], "4954", "{page}");
    assert_eq!(setup["status"], "open", "{page}");
    assert_eq!(
        assert_nothing_secret_stored(&app, &[FRAUD, SECURITY_CODE, PASSWORD]).await,
        1
    );
}

#[tokio::test]
async fn plain_decline_keeps_no_failed_setup() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let res = app
        .http
        .post(app.at("/v2/api/accounts"))
        .bearer_auth(&token)
        .json(&body("decl1", DECLINED))
        .send()
        .await
        .unwrap();
    let doc = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(doc["code"], "05", "{doc}");
    assert!(doc.get("failedSetupID").is_none(), "{doc}");
    assert_eq!(total(&app, &token, "").await, 0);
    assert_eq!(failed_setups(&app, &token).await["total"], 0);
    assert!(stored_rows(&app).await.is_empty());
}

#[tokio::test]
async fn invalid_company_address_keeps_neither_account_nor_failed_setup() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    // A card that would be kept as a failed setup: the address is judged first.
    let mut bad = body("noaddr1", BLACKLISTED);
    bad["company"]["address"] = json!({
        "addressLine1": "1 Infinite Loop", "city": "Cupertino", "zip": "95014", "country": "US"
    });
    let (status, doc) = app.post(&token, "/v2/api/accounts", &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{doc}");
    assert_names(&doc, &["company.address.state"]);
    assert!(doc.get("failedSetupID").is_none(), "{doc}");
    assert_eq!(total(&app, &token, "").await, 0);
    assert_eq!(failed_setups(&app, &token).await["total"], 0);
    assert!(stored_rows(&app).await.is_empty());
}

#[tokio::test]
async fn restore_with_a_good_card_creates_the_account_once() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let doc = refused(&app, &token, &body("blk1", BLACKLISTED)).await;
    let id = doc["failedSetupID"].as_str().unwrap().to_owned();

    let (status, created) = restore(&app, &token, &id, &restore_body()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let customer_id = id_of(&created);
    assert_eq!(created["userName"], "blk1", "{created}");
    assert_eq!(created["planName"], "starter", "{created}");
    assert_eq!(created["kind"], "account", "{created}");
    assert_eq!(
        created["parentPartnerID"],
        app.root_id.as_str(),
        "{created}"
    );
    assert_eq!(
        created["purchaseDate"].as_str().unwrap().len(),
        10,
        "{created}"
    );

    let page = list(&app, &token, "userName=blk1").await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(
        page["items"][0]["customerID"],
        customer_id.as_str(),
        "{page}"
    );
    // The kept request is what was created: the company as it was given.
    let (status, company) = app
        .get(&token, &format!("/v2/api/accounts/{customer_id}/company"))
        .await;
    assert_eq!(status, StatusCode::OK, "{company}");
    assert_eq!(company["name"], "blk1 BV", "{company}");
    assert_eq!(company["address"]["addressLine2"], "2nd floor", "{company}");
    assert_eq!(company["vatNumber"], "NL123456789B01", "{company}");

    let setups = failed_setups(&app, &token).await;
    assert_eq!(setups["total"], 1, "{setups}");
    let setup = &setups["items"][0];
    assert_eq!(setup["failedSetupID"], id.as_str(), "{setups}");
    assert_eq!(setup["status"], "restored", "{setups}");
    assert_eq!(setup["customerID"], customer_id.as_str(), "{setups}");

    let (status, again) = restore(&app, &token, &id, &restore_body()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(total(&app, &token, "userName=blk1").await, 1);
    assert_eq!(total(&app, &token, "").await, 1);
    // Restoring stored no secret either (the new card included).
    let secrets = [
        BLACKLISTED,
        SECURITY_CODE,
        PASSWORD,
        APPROVED,
        "357",
        "secret34",
    ];
    assert_eq!(assert_nothing_secret_stored(&app, &secrets).await, 1);
}

#[tokio::test]
async fn restore_without_owner_password_names_owner_password() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let doc = refused(&app, &token, &body("blk1", BLACKLISTED)).await;
    let id = doc["failedSetupID"].as_str().unwrap();
    let mut body = restore_body();
    body.as_object_mut().unwrap().remove("ownerPassword");
    let (status, problem) = restore(&app, &token, id, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_names(&problem, &["ownerPassword"]);
    assert_eq!(total(&app, &token, "").await, 0);
    let setups = failed_setups(&app, &token).await;
    assert_eq!(setups["items"][0]["status"], "open", "{setups}");
}

#[tokio::test]
async fn restore_of_an_unknown_failed_setup_is_404() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let unknown = hex::encode(rand::random::<[u8; 16]>());
    let (status, problem) = restore(&app, &token, &unknown, &restore_body()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(total(&app, &token, "").await, 0);
}

#[tokio::test]
async fn a_sibling_partner_neither_sees_nor_restores_another_partners_failed_setups() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let a = app.partner(&root, "partnera", None).await;
    let b = app.partner(&root, "partnerb", None).await;
    let doc = refused(&app, &a.token, &body("blk1", BLACKLISTED)).await;
    let id = doc["failedSetupID"].as_str().unwrap();

    let mine = failed_setups(&app, &a.token).await;
    assert_eq!(mine["total"], 1, "{mine}");
    assert_eq!(mine["items"][0]["parentPartnerID"], a.id.as_str(), "{mine}");

    let theirs = failed_setups(&app, &b.token).await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    assert!(theirs["items"].as_array().unwrap().is_empty(), "{theirs}");
    let (status, problem) = restore(&app, &b.token, id, &restore_body()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(total(&app, &root, "userName=blk1").await, 0);
    let mine = failed_setups(&app, &a.token).await;
    assert_eq!(mine["items"][0]["status"], "open", "{mine}");
}

#[test]
fn a_security_code_is_found_outside_ids_and_times_only() {
    // A stored code, as protobuf frames it (length byte, then the digits).
    assert!(contains(
        &without_ids_and_times(b"\x2a\x03864\x32\x05"),
        SECURITY_CODE
    ));
    assert!(contains(
        &without_ids_and_times(b"{\"cvv\":\"864\"}"),
        SECURITY_CODE
    ));
    // Inside a random id or a time it means nothing.
    let id_and_time = b"/0a1b2c3d4e5f8640a1b2c3d4e5f6a7b8/ 2025-11-23T02:44:12.864Z";
    assert!(!contains(
        &without_ids_and_times(id_and_time),
        SECURITY_CODE
    ));
}
