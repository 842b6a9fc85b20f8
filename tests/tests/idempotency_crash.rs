//! A crash between an account's row and its owner contact, then a retry
//! under the same Idempotency-Key: exactly one complete account (issue 8).
//! The crash is account-svc's test failpoint `crash_after_customer_row`: the
//! create stops after the customer row is written and its payment set up,
//! before the owner contact, undoing and releasing nothing.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row as _;
use tests::{Svc, TestApp, account_body};

const KEY: &str = "crash-1";

async fn create_keyed(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.http
        .post(app.at("/v1/api/accounts"))
        .bearer_auth(token)
        .header("Idempotency-Key", KEY)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The state and noted resource of the key in account-svc's table.
async fn key_row(app: &TestApp) -> (String, String) {
    let row = sqlx::query("select state, resource_id from idempotency_key where idem_key = $1")
        .bind(KEY)
        .fetch_one(&app.stack.db(Svc::Account).pool)
        .await
        .unwrap();
    (
        row.try_get("state").unwrap(),
        row.try_get("resource_id").unwrap(),
    )
}

async fn customer_status(app: &TestApp, customer_id: &str) -> Option<String> {
    sqlx::query("select status from customer where customer_id = $1")
        .bind(customer_id)
        .fetch_optional(&app.stack.db(Svc::Account).pool)
        .await
        .unwrap()
        .map(|r| r.try_get("status").unwrap())
}

async fn has_payment_method(app: &TestApp, customer_id: &str) -> bool {
    sqlx::query("select 1 as one from payment_method where customer_id = $1")
        .bind(customer_id)
        .fetch_optional(&app.stack.db(Svc::Billing).pool)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn a_create_that_crashed_and_is_retried_under_its_key_makes_one_complete_account() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let body = account_body("crashco", Some("starter"));
    let account_svc = app.stack.account_state().unwrap();

    account_svc
        .crash_after_customer_row
        .store(true, Ordering::SeqCst);
    let crashed = create_keyed(&app, &token, &body).await;
    account_svc
        .crash_after_customer_row
        .store(false, Ordering::SeqCst);
    assert_eq!(crashed.status(), StatusCode::SERVICE_UNAVAILABLE);

    // What the dead request left: its claim, still running, naming a hidden
    // customer whose payment is set up but which has no owner.
    let (state, dead_id) = key_row(&app).await;
    assert_eq!(state, "running");
    assert_eq!(
        customer_status(&app, &dead_id).await.as_deref(),
        Some("provisioning")
    );
    assert!(has_payment_method(&app, &dead_id).await);

    // A restarted process would meet a claim older than
    // platform::idempotency::STALE_AFTER (two minutes) and take it over;
    // rather than wait, the claim is made that old.
    sqlx::query(
        "update idempotency_key set updated_at = '2000-01-01T00:00:00.000000Z' where idem_key = $1",
    )
    .bind(KEY)
    .execute(&app.stack.db(Svc::Account).pool)
    .await
    .unwrap();

    let retried = create_keyed(&app, &token, &body).await;
    assert_eq!(retried.status(), StatusCode::CREATED);
    assert!(retried.headers().get("idempotent-replayed").is_none());
    let created: Value = retried.json().await.unwrap();
    let id = created["customerID"].as_str().unwrap().to_owned();
    assert_ne!(id, dead_id, "{created}");

    // Exactly one crashco, and it is whole: its owner and its billing.
    let (status, page) = app.get(&token, "/v1/api/accounts?userName=crashco").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["customerID"], id.as_str(), "{page}");
    let (status, contacts) = app
        .get(&token, &format!("/v1/api/accounts/{id}/contacts"))
        .await;
    assert_eq!(status, StatusCode::OK, "{contacts}");
    let items = contacts["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{contacts}");
    assert_eq!(items[0]["login"], "crashco-owner", "{contacts}");
    assert_eq!(
        items[0]["contactID"], created["ownerContactID"],
        "{contacts}"
    );
    let (status, billing) = app
        .get(&token, &format!("/v1/api/accounts/{id}/billing"))
        .await;
    assert_eq!(status, StatusCode::OK, "{billing}");

    // The dead request's customer is undone, its payment method with it.
    assert_eq!(customer_status(&app, &dead_id).await, None);
    assert!(!has_payment_method(&app, &dead_id).await);
    assert_eq!(key_row(&app).await, ("done".to_owned(), id.clone()));

    // Once more: the kept answer, marked as a replay.
    let again = create_keyed(&app, &token, &body).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let replayed: Value = again.json().await.unwrap();
    assert_eq!(replayed["customerID"], id.as_str(), "{replayed}");
    assert_eq!(replayed, created);
}
