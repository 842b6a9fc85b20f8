//! An account's lifecycle end to end: state (a disabled customer's subtree
//! loses API access), plan changes and MSA acceptance, each with its 409s,
//! and the OpenAPI documents listing every new route.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{assert_names, id_of};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, account_body};

/// How soon a state change must reach the tokens it concerns.
const WITHIN: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(250);

/// Creates an account below the caller (v1 model); returns its id.
async fn account(app: &TestApp, token: &str, name: &str) -> String {
    let (status, created) = app
        .post(token, "/v1/api/accounts", &account_body(name, None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    id_of(&created)
}

/// A token of an API client of the account's owner. `client_for` asks
/// auth-svc directly (an internal call), which skips the approval of API
/// access an account would otherwise need.
async fn own_token(app: &TestApp, customer_id: &str) -> String {
    let (client_id, secret) = app.client_for(customer_id).await;
    app.token_for(&client_id, &secret).await
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.get(token, "/v1/api/me").await.0
}

/// Polls `GET /v1/api/me` every 250 ms until it answers `expected`, for at
/// most 5 s (the last look is at the deadline); whether it did.
async fn me_becomes(app: &TestApp, token: &str, expected: StatusCode) -> bool {
    let deadline = Instant::now() + WITHIN;
    loop {
        if me(app, token).await == expected {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        tokio::time::sleep(POLL.min(deadline - now)).await;
    }
}

async fn set_state(app: &TestApp, token: &str, id: &str, state: &str) -> (StatusCode, Value) {
    app.post(
        token,
        &format!("/v1/api/accounts/{id}/state"),
        &json!({ "state": state }),
    )
    .await
}

#[tokio::test]
async fn disabling_an_account_shuts_out_its_own_client_until_enabled() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let id = account(&app, &root, "acme").await;
    let own = own_token(&app, &id).await;
    assert_eq!(me(&app, &own).await, StatusCode::OK);

    let path = format!("/v1/api/accounts/{id}/state");
    let (status, state) = app.get(&root, &path).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state, json!({"state": "enabled"}));

    let (status, changed) = set_state(&app, &root, &id, "disabled").await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["state"], "disabled", "{changed}");
    assert_eq!(changed["customerID"], id.as_str(), "{changed}");
    let (status, state) = app.get(&root, &path).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state, json!({"state": "disabled"}));
    let (status, problem) = set_state(&app, &root, &id, "disabled").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    assert!(
        me_becomes(&app, &own, StatusCode::FORBIDDEN).await,
        "the disabled account's client still gets through after {WITHIN:?}"
    );
    // The parent still sees and manages it.
    let (status, got) = app.get(&root, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["state"], "disabled", "{got}");

    let (status, changed) = set_state(&app, &root, &id, "enabled").await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["state"], "enabled", "{changed}");
    let (status, problem) = set_state(&app, &root, &id, "enabled").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        me_becomes(&app, &own, StatusCode::OK).await,
        "the re-enabled account's client is still refused after {WITHIN:?}"
    );
}

#[tokio::test]
async fn unknown_state_names_state() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let id = account(&app, &root, "acme").await;
    let (status, problem) = set_state(&app, &root, &id, "suspended").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_names(&problem, &["state"]);
    let (_, state) = app
        .get(&root, &format!("/v1/api/accounts/{id}/state"))
        .await;
    assert_eq!(state, json!({"state": "enabled"}));
}

#[tokio::test]
async fn disabling_a_partner_shuts_out_its_whole_subtree() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    // An advisor allowed to create partners: a private-label partner
    // creates accounts only.
    let partner = app.advisor(&root, "reseller", None).await;
    let sub = app.partner(&partner.token, "subreseller", None).await;
    assert_eq!(me(&app, &sub.token).await, StatusCode::OK);
    assert_eq!(me(&app, &partner.token).await, StatusCode::OK);

    let (status, changed) = set_state(&app, &root, &partner.id, "disabled").await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["state"], "disabled", "{changed}");
    assert!(
        me_becomes(&app, &partner.token, StatusCode::FORBIDDEN).await,
        "the disabled partner's client still gets through after {WITHIN:?}"
    );
    assert!(
        me_becomes(&app, &sub.token, StatusCode::FORBIDDEN).await,
        "the disabled partner's sub-partner still gets through after {WITHIN:?}"
    );
    // The sub-partner itself was not touched: only its ancestry is disabled.
    let (_, state) = app
        .get(&root, &format!("/v1/api/accounts/{}/state", sub.id))
        .await;
    assert_eq!(state, json!({"state": "enabled"}));

    let (status, changed) = set_state(&app, &root, &partner.id, "enabled").await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert!(
        me_becomes(&app, &sub.token, StatusCode::OK).await,
        "the sub-partner is still refused {WITHIN:?} after its parent was enabled"
    );
}

#[tokio::test]
async fn a_partner_cannot_change_its_own_state() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let partner = app.partner(&root, "reseller", None).await;
    let (status, problem) = set_state(&app, &partner.token, &partner.id, "disabled").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (_, state) = app
        .get(&root, &format!("/v1/api/accounts/{}/state", partner.id))
        .await;
    assert_eq!(state, json!({"state": "enabled"}));
    assert_eq!(me(&app, &partner.token).await, StatusCode::OK);
}

// Plans.

/// The plan names of an answer of `GET …/plans` marked `isCurrent`.
fn current(plans: &Value) -> Vec<&str> {
    plans["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["isCurrent"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn plan_change_moves_is_current_and_refuses_the_same_plan() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let id = account(&app, &root, "acme").await;
    let path = format!("/v1/api/accounts/{id}/plans");

    let (status, plans) = app.get(&root, &path).await;
    assert_eq!(status, StatusCode::OK, "{plans}");
    assert_eq!(current(&plans), ["starter"], "{plans}");
    let names: Vec<&str> = plans["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"business"), "{plans}");
    for p in plans["items"].as_array().unwrap() {
        assert!(!p["prettyName"].as_str().unwrap().is_empty(), "{plans}");
    }

    let (status, changed) = app.post(&root, &path, &json!({"name": "business"})).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["planName"], "business", "{changed}");
    let (status, plans) = app.get(&root, &path).await;
    assert_eq!(status, StatusCode::OK, "{plans}");
    assert_eq!(current(&plans), ["business"], "{plans}");
    let (_, got) = app.get(&root, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(got["planName"], "business", "{got}");

    let (status, problem) = app.post(&root, &path, &json!({"name": "business"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
}

#[tokio::test]
async fn unknown_plan_names_name() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let id = account(&app, &root, "acme").await;
    let path = format!("/v1/api/accounts/{id}/plans");
    let (status, problem) = app.post(&root, &path, &json!({"name": "platinum"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_names(&problem, &["name"]);
    let (_, plans) = app.get(&root, &path).await;
    assert_eq!(current(&plans), ["starter"], "{plans}");
}

#[tokio::test]
async fn a_partner_cannot_take_an_account_plan() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let partner = app.partner(&root, "reseller", None).await;
    let (status, problem) = app
        .post(
            &root,
            &format!("/v1/api/accounts/{}/plans", partner.id),
            &json!({"name": "business"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (_, got) = app
        .get(&root, &format!("/v1/api/accounts/{}", partner.id))
        .await;
    assert_eq!(got["planName"], "partner-standard", "{got}");
}

// MSA.

#[tokio::test]
async fn msa_is_accepted_once() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let id = account(&app, &root, "acme").await;
    let (_, before) = app.get(&root, &format!("/v2/api/accounts/{id}")).await;
    assert_eq!(before["msaAccepted"], false, "{before}");

    let path = format!("/v1/api/accounts/{id}/msa");
    let (status, accepted) = app.post(&root, &path, &json!({"isAccepted": true})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let (status, got) = app.get(&root, &format!("/v2/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["msaAccepted"], true, "{got}");

    let (status, problem) = app.post(&root, &path, &json!({"isAccepted": true})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
}

#[tokio::test]
async fn msa_cannot_be_declined() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let id = account(&app, &root, "other").await;
    let (status, problem) = app
        .post(
            &root,
            &format!("/v1/api/accounts/{id}/msa"),
            &json!({"isAccepted": false}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_names(&problem, &["isAccepted"]);
    let (_, got) = app.get(&root, &format!("/v2/api/accounts/{id}")).await;
    assert_eq!(got["msaAccepted"], false, "{got}");
}

// The OpenAPI documents.

async fn document(app: &TestApp, version: &str) -> Value {
    let res = app
        .http
        .get(app.at(&format!("/swagger/{version}/swagger.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// Whether the document has `method` on `path`.
fn documents(doc: &Value, method: &str, path: &str) -> bool {
    doc["paths"][path].get(method).is_some()
}

#[tokio::test]
async fn lifecycle_company_validation_and_failed_setup_routes_are_documented() {
    let app = TestApp::spawn().await;
    let v1 = document(&app, "v1").await;
    let v2 = document(&app, "v2").await;
    let both: &[(&str, &str)] = &[
        ("get", "/accounts/{customerID}/state"),
        ("post", "/accounts/{customerID}/state"),
        ("get", "/accounts/{customerID}/plans"),
        ("post", "/accounts/{customerID}/plans"),
        ("post", "/accounts/{customerID}/msa"),
        ("get", "/accounts/{customerID}/company"),
        ("put", "/accounts/{customerID}/company"),
        ("post", "/accounts"),
        ("get", "/accounts/{customerID}"),
    ];
    for (method, path) in both {
        for (version, doc) in [("v1", &v1), ("v2", &v2)] {
            let full = format!("/{version}/api{path}");
            assert!(
                documents(doc, method, &full),
                "{version} lacks {method} {full}"
            );
        }
    }
    let v2_only: &[(&str, &str)] = &[
        ("post", "/accounts/company/validAddress"),
        ("get", "/accounts/failedSetups"),
        ("post", "/accounts/failedSetups/{failedSetupID}/restore"),
    ];
    for (method, path) in v2_only {
        let full = format!("/v2/api{path}");
        assert!(documents(&v2, method, &full), "v2 lacks {method} {full}");
        let in_v1 = format!("/v1/api{path}");
        assert!(
            v1["paths"].get(&in_v1).is_none(),
            "v1 documents the v2-only {in_v1}"
        );
    }
    // v2's create takes v2's model, v1's its own.
    let schema_of = |doc: &Value, version: &str| {
        doc["paths"][format!("/{version}/api/accounts")]["post"]["requestBody"]["content"]
            ["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        schema_of(&v2, "v2").ends_with("/AccountCreateV2Model"),
        "{}",
        schema_of(&v2, "v2")
    );
    assert!(
        schema_of(&v1, "v1").ends_with("/AccountCreateV1Model"),
        "{}",
        schema_of(&v1, "v1")
    );
}
