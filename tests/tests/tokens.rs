//! OAuth2: tokens for client credentials, bearer authentication, revocation
//! and introspection, as an API client sees them.

#![allow(clippy::unwrap_used)]

mod common;

use common::{header, partner, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestApp;

/// POST to an OAuth2 endpoint with a form, and HTTP Basic when given.
async fn oauth(
    app: &TestApp,
    path: &str,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app.http.post(app.at(path)).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.unwrap()
}

fn root_basic(app: &TestApp) -> (&str, &str) {
    (app.root_client.0.as_str(), app.root_client.1.as_str())
}

async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.get(token, "/v1/api/me").await
}

#[track_caller]
fn assert_no_store(res: &reqwest::Response) {
    assert_eq!(header(res, "cache-control").as_deref(), Some("no-store"));
}

#[tokio::test]
async fn right_secret_gets_a_bearer_token_that_works_on_me() {
    let app = TestApp::spawn().await;
    let res = oauth(
        &app,
        "/oauth2/token",
        Some(root_basic(&app)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_no_store(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert!(body["expires_in"].as_i64().unwrap() > 0, "{body}");
    let token = body["access_token"].as_str().unwrap();
    assert!(!token.is_empty());

    for path in ["/v1/api/me", "/v2/api/me"] {
        let (status, who) = app.get(token, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {who}");
        assert_eq!(who["clientID"], app.root_client.0.as_str(), "{who}");
        assert_eq!(who["customerID"], app.root_id.as_str(), "{who}");
        let roles: Vec<&str> = who["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(roles.contains(&"AG_PRIVATELABELOWNERS"), "{who}");
    }
}

#[tokio::test]
async fn client_credentials_in_the_form_also_get_a_token() {
    let app = TestApp::spawn().await;
    let (id, secret) = root_basic(&app);
    let res = oauth(
        &app,
        "/oauth2/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_no_store(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let (status, who) = me(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(who["customerID"], app.root_id.as_str());
}

#[tokio::test]
async fn wrong_secret_is_invalid_client_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let id = app.root_client.0.clone();
    let wrong = format!("{}x", app.root_client.1);
    let mut answers = Vec::new();
    // A wrong secret by Basic, by form, and an unknown client: one answer.
    for (basic, form) in [
        (
            Some((id.as_str(), wrong.as_str())),
            vec![("grant_type", "client_credentials")],
        ),
        (
            None,
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", id.as_str()),
                ("client_secret", wrong.as_str()),
            ],
        ),
        (
            Some(("no-such-client", app.root_client.1.as_str())),
            vec![("grant_type", "client_credentials")],
        ),
    ] {
        let res = oauth(&app, "/oauth2/token", basic, &form).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(
            header(&res, "www-authenticate").is_some_and(|c| c.starts_with("Basic")),
            "{:?}",
            res.headers()
        );
        assert_no_store(&res);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{body}");
        assert!(body.get("access_token").is_none(), "{body}");
        answers.push(body);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
}

#[tokio::test]
async fn unknown_grant_type_is_unsupported_grant_type() {
    let app = TestApp::spawn().await;
    for grant in ["password", "authorization_code", "CLIENT_CREDENTIALS"] {
        let res = oauth(
            &app,
            "/oauth2/token",
            Some(root_basic(&app)),
            &[("grant_type", grant)],
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{grant}");
        assert_no_store(&res);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "unsupported_grant_type", "{grant}: {body}");
    }
}

#[tokio::test]
async fn missing_grant_type_is_invalid_request() {
    let app = TestApp::spawn().await;
    for form in [vec![], vec![("grant_type", "")], vec![("scope", "")]] {
        let res = oauth(&app, "/oauth2/token", Some(root_basic(&app)), &form).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{form:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{form:?}: {body}");
    }
}

#[tokio::test]
async fn basic_and_form_credentials_together_are_invalid_request() {
    let app = TestApp::spawn().await;
    let (id, secret) = root_basic(&app);
    let res = oauth(
        &app,
        "/oauth2/token",
        Some((id, secret)),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn asking_for_a_scope_is_invalid_scope() {
    let app = TestApp::spawn().await;
    let res = oauth(
        &app,
        "/oauth2/token",
        Some(root_basic(&app)),
        &[("grant_type", "client_credentials"), ("scope", "accounts")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope", "{body}");
}

#[tokio::test]
async fn no_bearer_is_a_401_problem_with_a_challenge() {
    let app = TestApp::spawn().await;
    for path in ["/v1/api/me", "/v1/api/accounts", "/v2/api/plans"] {
        let res = app.http.get(app.at(path)).send().await.unwrap();
        assert!(
            header(&res, "www-authenticate").is_some_and(|c| c.starts_with("Bearer")),
            "{path}: {:?}",
            res.headers()
        );
        problem(res, StatusCode::UNAUTHORIZED).await;
    }
    // HEAD is no exception, though it has no body to say so.
    let res = app
        .http
        .head(app.at("/v1/api/accounts/acme"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn garbage_bearer_is_401() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(600);
    for value in [
        "Bearer garbage".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {long}"),
        format!(
            "Basic {}",
            "cm9vdDpzZWNyZXQ=" // "root:secret": not a bearer token
        ),
    ] {
        let res = app
            .http
            .get(app.at("/v1/api/me"))
            .header("authorization", &value)
            .send()
            .await
            .unwrap();
        assert!(
            header(&res, "www-authenticate").is_some(),
            "{value}: {:?}",
            res.headers()
        );
        problem(res, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn revoked_token_is_refused_on_the_next_call() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let other = app.root_token().await;
    // Used once, so the gateway has it cached when it is revoked.
    assert_eq!(me(&app, &token).await.0, StatusCode::OK);
    let res = oauth(
        &app,
        "/oauth2/revoke",
        Some(root_basic(&app)),
        &[("token", token.as_str())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_no_store(&res);
    let (status, body) = me(&app, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = app.get(&token, "/v1/api/accounts").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Only that token: another of the same client lives on.
    assert_eq!(me(&app, &other).await.0, StatusCode::OK);
    // Revoking again, or a token never issued, succeeds (RFC 7009 §2.2).
    for t in [token.as_str(), "never-issued"] {
        let res = oauth(
            &app,
            "/oauth2/revoke",
            Some(root_basic(&app)),
            &[("token", t)],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn revoke_needs_client_credentials_and_a_token() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let res = oauth(&app, "/oauth2/revoke", None, &[("token", token.as_str())]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(header(&res, "www-authenticate").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let res = oauth(&app, "/oauth2/revoke", Some(root_basic(&app)), &[]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    // Neither attempt revoked anything.
    assert_eq!(me(&app, &token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn revoking_another_clients_token_changes_nothing() {
    let app = TestApp::spawn().await;
    let root_token = app.root_token().await;
    let a = partner(&app, &root_token, "pa", None).await;
    let (a_id, a_secret) = app.client_for(&a.id).await;
    let res = oauth(
        &app,
        "/oauth2/revoke",
        Some((&a_id, &a_secret)),
        &[("token", root_token.as_str())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(me(&app, &root_token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn introspect_shows_an_active_token_then_inactive_after_revoke() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let res = oauth(
        &app,
        "/oauth2/introspect",
        Some(root_basic(&app)),
        &[("token", token.as_str())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_no_store(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["customerID"], app.root_id.as_str(), "{body}");
    assert_eq!(body["clientID"], app.root_client.0.as_str(), "{body}");
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert!(
        body["exp"].as_i64().unwrap() > body["iat"].as_i64().unwrap(),
        "{body}"
    );

    let res = oauth(
        &app,
        "/oauth2/revoke",
        Some(root_basic(&app)),
        &[("token", token.as_str())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = oauth(
        &app,
        "/oauth2/introspect",
        Some(root_basic(&app)),
        &[("token", token.as_str())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({ "active": false }));
}

#[tokio::test]
async fn introspect_of_garbage_is_inactive() {
    let app = TestApp::spawn().await;
    let res = oauth(
        &app,
        "/oauth2/introspect",
        Some(root_basic(&app)),
        &[("token", "garbage")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({ "active": false }));
}

#[tokio::test]
async fn introspect_without_client_credentials_is_invalid_client() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let wrong = format!("{}x", app.root_client.1);
    for basic in [None, Some((app.root_client.0.as_str(), wrong.as_str()))] {
        let res = oauth(
            &app,
            "/oauth2/introspect",
            basic,
            &[("token", token.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(header(&res, "www-authenticate").is_some());
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{body}");
        assert!(body.get("active").is_none(), "{body}");
    }
}

#[tokio::test]
async fn introspect_sees_only_tokens_within_the_callers_tree() {
    let app = TestApp::spawn().await;
    let root_token = app.root_token().await;
    let a = partner(&app, &root_token, "pa", None).await;
    let (a_id, a_secret) = app.client_for(&a.id).await;

    // The root sees its partner's token...
    let res = oauth(
        &app,
        "/oauth2/introspect",
        Some(root_basic(&app)),
        &[("token", a.token.as_str())],
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["customerID"], a.id.as_str(), "{body}");

    // ...the partner does not see its parent's.
    let res = oauth(
        &app,
        "/oauth2/introspect",
        Some((&a_id, &a_secret)),
        &[("token", root_token.as_str())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({ "active": false }));
}
