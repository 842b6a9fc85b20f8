//! Outages: a service that is down makes requests answer 503 without leaving
//! half-made customers behind, readiness says which one is down, and the
//! same requests succeed once it is back.

#![allow(clippy::unwrap_used)]

mod common;

use common::{head, id_of, ids, list, problem, total};
use reqwest::StatusCode;
use serde_json::Value;
use tests::{Svc, TestApp, account_body};

async fn create_raw(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.http
        .post(app.at("/v1/api/accounts"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn ready(app: &TestApp) -> (StatusCode, Value) {
    let res = app.http.get(app.at("/health/ready")).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

/// An app with one account in it and the root's token.
async fn app_with_one_account() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, body) = app
        .post(&token, "/v1/api/accounts", &account_body("base", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (app, token)
}

/// With `svc` down, a create answers 503 and stores nothing; once it is
/// back, the same request creates the account.
async fn create_survives_outage_of(svc: Svc) {
    let (mut app, token) = app_with_one_account().await;
    let body = account_body("acme", None);
    app.stack.stop_service(svc).await.unwrap();

    let res = create_raw(&app, &token, &body).await;
    let problem = problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(problem.get("errors").is_none(), "{problem}");
    assert_eq!(total(&app, &token, "").await, 1, "{svc:?}");
    assert_eq!(
        head(&app, &token, "/v1/api/accounts/acme").await,
        StatusCode::NOT_FOUND,
        "{svc:?}"
    );
    // Asking again while it is still down changes nothing either.
    let res = create_raw(&app, &token, &body).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    app.stack.start_service(svc).await.unwrap();
    let (status, created) = app.post(&token, "/v1/api/accounts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{svc:?}: {created}");
    assert_eq!(created["userName"], "acme");
    assert_eq!(total(&app, &token, "").await, 2);
    assert_eq!(
        head(&app, &token, "/v1/api/accounts/acme").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn create_with_contact_svc_down_is_503_and_leaves_nothing_then_succeeds() {
    create_survives_outage_of(Svc::Contact).await;
}

#[tokio::test]
async fn create_with_billing_svc_down_is_503_and_leaves_nothing_then_succeeds() {
    create_survives_outage_of(Svc::Billing).await;
}

#[tokio::test]
async fn readiness_names_a_stopped_service_and_recovers() {
    let mut app = TestApp::spawn().await;
    let (status, health) = ready(&app).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["status"], "ready");
    let services = health["services"].as_object().unwrap();
    assert_eq!(services.len(), 4, "{health}");
    assert!(services.values().all(|s| s == "serving"), "{health}");

    for (svc, name) in [
        (Svc::Contact, "partner.contact.v1.ContactService"),
        (Svc::Billing, "partner.billing.v1.BillingService"),
    ] {
        app.stack.stop_service(svc).await.unwrap();
        let (status, health) = ready(&app).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
        assert_eq!(health["status"], "unready", "{health}");
        let services = health["services"].as_object().unwrap();
        assert_ne!(services[name], "serving", "{health}");
        for (other, state) in services.iter().filter(|(n, _)| *n != name) {
            assert_eq!(state, "serving", "{other}: {health}");
        }
        // Liveness is about the gateway alone.
        let live = app.http.get(app.at("/health/live")).send().await.unwrap();
        assert_eq!(live.status(), StatusCode::OK);

        app.stack.start_service(svc).await.unwrap();
        let (status, health) = ready(&app).await;
        assert_eq!(status, StatusCode::OK, "{health}");
        assert_eq!(health["status"], "ready");
    }
}

#[tokio::test]
async fn delete_with_contact_svc_down_hides_the_account_and_a_retry_finishes_it() {
    let (mut app, token) = app_with_one_account().await;
    let body = account_body("acme", None);
    let (status, created) = app.post(&token, "/v1/api/accounts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = id_of(&created);
    let path = format!("/v1/api/accounts/{id}?reason=closed");

    app.stack.stop_service(Svc::Contact).await.unwrap();
    let res = app
        .http
        .delete(app.at(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    // Hidden from here on, though not finished.
    let (status, _) = app.get(&token, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = list(&app, &token, "").await;
    assert_eq!(page["total"], 1);
    assert!(!ids(&page).contains(&id), "{page}");
    assert_eq!(total(&app, &token, "userName=acme").await, 0);

    app.stack.start_service(Svc::Contact).await.unwrap();
    let (status, body_) = app.delete(&token, &path).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body_}");
    let (status, _) = app.get(&token, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&token, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Finished everywhere: the name and the owner's login are free again.
    assert_eq!(
        head(&app, &token, "/v1/api/accounts/acme").await,
        StatusCode::NOT_FOUND
    );
    let (status, again) = app.post(&token, "/v1/api/accounts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
}

#[tokio::test]
async fn auth_svc_down_is_503_never_401_and_recovers() {
    let mut app = TestApp::spawn().await;
    let token = app.root_token().await;
    assert_eq!(app.get(&token, "/v1/api/me").await.0, StatusCode::OK);
    app.stack.stop_service(Svc::Auth).await.unwrap();
    // The gateway may still hold the token for a second or two; past that it
    // cannot check it, which is an outage (503), never a bad token (401).
    let (status, who) = app.get(&token, "/v1/api/me").await;
    assert!(
        status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE,
        "a good token while auth-svc is down: {status} {who}"
    );
    let res = app
        .http
        .post(app.at("/oauth2/token"))
        .basic_auth(&app.root_client.0, Some(&app.root_client.1))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    // A token the gateway cannot check is not taken for a bad one: 503, not 401.
    let res = app
        .http
        .get(app.at("/v1/api/me"))
        .bearer_auth("never-seen-before")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::SERVICE_UNAVAILABLE).await;

    app.stack.start_service(Svc::Auth).await.unwrap();
    assert_eq!(app.get(&token, "/v1/api/me").await.0, StatusCode::OK);
    let fresh = app.root_token().await;
    assert_eq!(app.get(&fresh, "/v1/api/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn account_svc_down_is_503_for_reads_and_writes_then_recovers() {
    let (mut app, token) = app_with_one_account().await;
    app.stack.stop_service(Svc::Account).await.unwrap();
    for res in [
        app.http
            .get(app.at("/v1/api/accounts"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        create_raw(&app, &token, &account_body("acme", None)).await,
    ] {
        problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    }
    // Routes that need no account data still answer, also where the
    // partner's access is not cached yet (a gateway with a cache of its own).
    let fresh = app.extra_gateway(tests::GatewayCache::InMemory).await;
    for path in ["/v1/api/me", "/v1/api/roles"] {
        let res = app
            .http
            .get(fresh.at(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{path}: {}",
            res.text().await.unwrap()
        );
    }
    let res = app
        .http
        .get(fresh.at("/v1/api/accounts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    app.stack.start_service(Svc::Account).await.unwrap();
    assert_eq!(total(&app, &token, "").await, 1);
}

/// A request still waiting on the database when its deadline passes
/// answers a 504 problem (not a 4xx a client would not retry), account-svc
/// counts the call DEADLINE_EXCEEDED for the alert, and the same request
/// succeeds once the lock is gone. PostgreSQL only: there a held table lock
/// makes queries wait, where SQLite answers "database is locked" after its
/// busy timeout instead.
#[tokio::test]
async fn a_lock_held_past_the_deadline_answers_504_and_the_service_counts_it() {
    let app = TestApp::spawn().await;
    let Some(url) = app
        .storage
        .database_url
        .clone()
        .filter(|u| u.starts_with("postgres"))
    else {
        eprintln!("PostgreSQL only: skipped on embedded SQLite");
        return;
    };
    let token = app.root_token().await;
    let gateway = app
        .extra_gateway_with(
            tests::GatewayCache::Shared,
            &[],
            std::time::Duration::from_secs(2),
        )
        .await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut lock = pool.begin().await.unwrap();
    // The schema name is the test's own generated prefix, not input.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "lock table {}account.customer in access exclusive mode",
        app.storage.schema_prefix
    )))
    .execute(&mut *lock)
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let res = app
        .http
        .get(gateway.at("/v1/api/accounts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    let body = problem(res, StatusCode::GATEWAY_TIMEOUT).await;
    assert!(
        !body["requestId"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
    assert!(
        waited < std::time::Duration::from_secs(5),
        "answered after {waited:?}"
    );
    lock.rollback().await.unwrap();

    let (status, page) = app.get(&token, "/v1/api/accounts").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let metrics = app
        .http
        .get(app.at("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("grpc_server_requests_total")
                && l.contains("partner.account.v1.AccountService")
                && l.contains("DEADLINE_EXCEEDED")),
        "account-svc counted no DEADLINE_EXCEEDED call:\n{}",
        metrics
            .lines()
            .filter(|l| l.starts_with("grpc_server_requests_total"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
