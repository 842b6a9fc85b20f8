//! Helpers the end-to-end test files share. Each file under `tests/` is its
//! own crate and uses only some of them.

#![allow(dead_code, clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::Value;
use tests::{Partner, TestApp};

/// A partner with a token of its owner (see `TestApp::partner`).
pub async fn partner(app: &TestApp, token: &str, name: &str, parent: Option<&str>) -> Partner {
    app.partner(token, name, parent).await
}

/// A valid body that creates a partner (default partner plan).
pub fn partner_body(name: &str, parent: Option<&str>) -> Value {
    tests::partner_body(name, parent)
}

/// The `errors[].field` of a problem document.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that the problem names every one of `expected` in `errors[].field`.
#[track_caller]
pub fn assert_names(problem: &Value, expected: &[&str]) {
    let named = fields(problem);
    for field in expected {
        assert!(
            named.iter().any(|n| n == field),
            "{field} is not named in {problem}"
        );
    }
}

/// `HEAD` with a bearer token; only the status matters.
pub async fn head(app: &TestApp, token: &str, path: &str) -> StatusCode {
    app.http
        .head(app.at(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// A page of `GET /v1/api/accounts?{query}`, which must answer 200.
pub async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, page) = app.get(token, &format!("/v1/api/accounts?{query}")).await;
    assert_eq!(status, StatusCode::OK, "list ?{query}: {page}");
    page
}

/// `total` of the list for `query`.
pub async fn total(app: &TestApp, token: &str, query: &str) -> i64 {
    list(app, token, query).await["total"].as_i64().unwrap()
}

/// The `customerID`s of a page's items, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customerID"].as_str().unwrap().to_owned())
        .collect()
}

/// The `customerID` of a created customer.
pub fn id_of(created: &Value) -> String {
    created["customerID"].as_str().unwrap().to_owned()
}

/// Creates every body (each must answer 201), five at a time; returns the
/// created customers in the order of `bodies`.
pub async fn create_all(app: &TestApp, token: &str, bodies: Vec<Value>) -> Vec<Value> {
    let mut out = vec![Value::Null; bodies.len()];
    let indexed: Vec<(usize, Value)> = bodies.into_iter().enumerate().collect();
    for batch in indexed.chunks(5) {
        let mut set = tokio::task::JoinSet::new();
        for (i, body) in batch.iter().cloned() {
            let (http, url, token) = (
                app.http.clone(),
                app.at("/v1/api/accounts"),
                token.to_owned(),
            );
            set.spawn(async move {
                let res = http
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let created: Value = res.json().await.unwrap_or(Value::Null);
                assert_eq!(status, StatusCode::CREATED, "{created}");
                (i, created)
            });
        }
        while let Some(done) = set.join_next().await {
            let (i, created) = done.unwrap();
            out[i] = created;
        }
    }
    out
}

/// A header of a response as text.
pub fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Checks that a response is a problem document of `status` whose
/// `requestId` is the response's `x-request-id`; returns the document.
pub async fn problem(res: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status);
    let content_type = header(&res, "content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content-type {content_type:?}"
    );
    let request_id = header(&res, "x-request-id").expect("x-request-id header");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(!request_id.is_empty());
    assert_eq!(body["requestId"], request_id.as_str(), "{body}");
    body
}

/// Any method with a bearer token and an optional JSON body; the status and
/// the body (`Null` when there is none or it is not JSON).
pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut req = app.http.request(method, app.at(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// `PUT` with a bearer token and a JSON body.
pub async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    send(app, reqwest::Method::PUT, token, path, Some(body)).await
}

/// Asks `/oauth2/token` for a token of the client limited to `scope`; the
/// status and the token endpoint's JSON answer.
pub async fn token_with_scope(
    app: &TestApp,
    (client_id, secret): (&str, &str),
    scope: &str,
) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.at("/oauth2/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// contact-svc's gRPC API, as an internal caller.
pub async fn contacts(
    app: &TestApp,
) -> proto::contact::v1::contact_service_client::ContactServiceClient<platform::grpc::Peer> {
    proto::contact::v1::contact_service_client::ContactServiceClient::new(
        app.operator(tests::Svc::Contact),
    )
}

/// Creates a contact of `customer_id` holding `roles` (contact-svc gRPC,
/// internal caller); returns its id. `login` must be unique.
pub async fn create_contact(
    app: &TestApp,
    customer_id: &str,
    login: &str,
    roles: &[&str],
) -> String {
    contacts(app)
        .await
        .create_contact(proto::contact::v1::CreateContactRequest {
            customer_id: customer_id.into(),
            login: login.into(),
            password: "secret12".into(),
            name: "Second Contact".into(),
            email: format!("{login}@example.com"),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            // No phone, a generated id, stored for real; and whatever
            // fields the message gains stay at their defaults.
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .contact_id
}

/// Replaces the roles a contact holds on a partner (contact-svc gRPC
/// `SetRoles`, internal caller).
pub async fn set_partner_roles(app: &TestApp, contact_id: &str, partner_id: &str, roles: &[&str]) {
    contacts(app)
        .await
        .set_roles(proto::contact::v1::SetRolesRequest {
            contact_id: contact_id.into(),
            customer_id: partner_id.into(),
            customer_kind: "partner".into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        })
        .await
        .unwrap();
}

/// An API client of `contact_id` on `customer_id`, made through auth-svc's
/// gRPC API as an internal service would (no approval asked); its id and
/// secret.
pub async fn client_for_contact(
    app: &TestApp,
    contact_id: &str,
    customer_id: &str,
) -> (String, String) {
    let created = proto::auth::v1::auth_service_client::AuthServiceClient::new(
        app.operator(tests::Svc::Auth),
    )
    .create_client(proto::auth::v1::CreateClientRequest {
        contact_id: contact_id.into(),
        customer_id: customer_id.into(),
        name: "test contact client".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    (created.client.unwrap().client_id, created.client_secret)
}
