//! Access control end to end: the permission each route demands, who may
//! manage which API clients, the approval of API access, narrowed scopes,
//! secret rotation, role changes reaching live tokens, and partners'
//! network allow-lists.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::{
    assert_names, create_contact, problem, put, send, set_partner_roles, token_with_scope,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, account_body};

const OWNERS: &str = "AG_PRIVATELABELOWNERS";
const OPERATORS: &str = "AG_PRIVATELABELOPERATORS";
const PUBLIC_API: &str = "AG_PRIVATELABELPUBLICAPI";

/// Every route under `/v1/api` (method, path below `/v1/api`) and the
/// permission it demands; `None`: any live token may call it. The table is
/// checked against the OpenAPI document, so a route added without its row
/// fails `every_api_route_demands_its_permission_and_hides_other_subtrees`.
/// For the clients routes either `clients:manage-own` or
/// `clients:manage-all` passes; the row names the one a 403 names.
const ROUTES: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/accounts", Some("accounts:read")),
    ("POST", "/accounts", Some("accounts:write")),
    ("GET", "/accounts/{customerID}", Some("accounts:read")),
    ("HEAD", "/accounts/{customerID}", Some("accounts:read")),
    ("DELETE", "/accounts/{customerID}", Some("accounts:write")),
    ("GET", "/accounts/{customerID}/plans", Some("accounts:read")),
    (
        "POST",
        "/accounts/{customerID}/plans",
        Some("accounts:write"),
    ),
    ("GET", "/accounts/{customerID}/state", Some("accounts:read")),
    (
        "POST",
        "/accounts/{customerID}/state",
        Some("accounts:write"),
    ),
    ("POST", "/accounts/{customerID}/msa", Some("accounts:write")),
    (
        "GET",
        "/accounts/{customerID}/company",
        Some("accounts:read"),
    ),
    (
        "PUT",
        "/accounts/{customerID}/company",
        Some("accounts:write"),
    ),
    (
        "GET",
        "/accounts/{customerID}/contacts",
        Some("contacts:read"),
    ),
    (
        "POST",
        "/accounts/{customerID}/contacts",
        Some("contacts:write"),
    ),
    (
        "GET",
        "/accounts/{customerID}/contacts/{contactID}",
        Some("contacts:read"),
    ),
    (
        "PUT",
        "/accounts/{customerID}/contacts/{contactID}",
        Some("contacts:write"),
    ),
    (
        "DELETE",
        "/accounts/{customerID}/contacts/{contactID}",
        Some("contacts:write"),
    ),
    (
        "POST",
        "/contacts/{contactID}/password",
        Some("contacts:write"),
    ),
    ("GET", "/clients", Some("clients:manage-own")),
    ("POST", "/clients", Some("clients:manage-own")),
    ("GET", "/clients/{clientID}", Some("clients:manage-own")),
    ("DELETE", "/clients/{clientID}", Some("clients:manage-own")),
    (
        "POST",
        "/clients/{clientID}/secret",
        Some("clients:manage-own"),
    ),
    (
        "GET",
        "/partners/{customerID}/apiAccess",
        Some("clients:manage-own"),
    ),
    (
        "POST",
        "/partners/{customerID}/apiAccess",
        Some("clients:manage-all"),
    ),
    (
        "POST",
        "/partners/{customerID}/apiAccess/{requestID}/approve",
        Some("clients:manage-all"),
    ),
    (
        "POST",
        "/partners/{customerID}/apiAccess/{requestID}/reject",
        Some("clients:manage-all"),
    ),
    (
        "GET",
        "/partners/{customerID}/settings",
        Some("settings:read"),
    ),
    (
        "PUT",
        "/partners/{customerID}/settings",
        Some("settings:write"),
    ),
    (
        "GET",
        "/accounts/{customerID}/billing",
        Some("billing:read"),
    ),
    (
        "PUT",
        "/accounts/{customerID}/billing",
        Some("billing:write"),
    ),
    (
        "PUT",
        "/accounts/{customerID}/billing/paymentMethod",
        Some("billing:write"),
    ),
    ("GET", "/accounts/{customerID}/usage", Some("billing:read")),
    (
        "GET",
        "/accounts/{customerID}/invoices",
        Some("billing:read"),
    ),
    (
        "GET",
        "/accounts/{customerID}/invoices/{invoiceID}",
        Some("billing:read"),
    ),
    (
        "GET",
        "/accounts/{customerID}/credits",
        Some("billing:read"),
    ),
    (
        "POST",
        "/accounts/{customerID}/credits",
        Some("billing:write"),
    ),
    ("GET", "/accounts/{customerID}/limits", Some("limits:read")),
    (
        "POST",
        "/accounts/{customerID}/limits",
        Some("limits:write"),
    ),
    ("PUT", "/accounts/{customerID}/limits", Some("limits:write")),
    (
        "PUT",
        "/accounts/{customerID}/limits/{name}",
        Some("limits:write"),
    ),
    (
        "DELETE",
        "/accounts/{customerID}/limits/{name}",
        Some("limits:write"),
    ),
    ("GET", "/partners/{customerID}/usage", Some("limits:read")),
    ("GET", "/me", None),
    ("GET", "/plans", None),
    ("GET", "/roles", None),
];

/// The permission closest to `needed` that still does not pass its check:
/// the other half of a read/write pair, `clients:manage-own` where
/// `clients:manage-all` is needed, and for `clients:manage-own` (which
/// manage-all would satisfy) one that has nothing to do with clients.
fn near_miss(needed: &str) -> &'static str {
    match needed {
        "accounts:read" => "accounts:write",
        "accounts:write" => "accounts:read",
        "settings:read" => "settings:write",
        "contacts:read" => "contacts:write",
        "contacts:write" => "contacts:read",
        "settings:write" => "settings:read",
        "billing:read" => "billing:write",
        "billing:write" => "billing:read",
        "limits:read" => "limits:write",
        "limits:write" => "limits:read",
        "clients:manage-all" => "clients:manage-own",
        "clients:manage-own" => "accounts:read",
        other => panic!("no near miss defined for {other}"),
    }
}

fn random_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn root_credentials(app: &TestApp) -> (&str, &str) {
    (app.root_client.0.as_str(), app.root_client.1.as_str())
}

/// The strings of a JSON array, sorted and deduplicated.
fn string_set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The `clientID`s of a client page, in order.
fn client_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {page}"))
        .iter()
        .map(|c| c["clientID"].as_str().unwrap().to_owned())
        .collect()
}

/// The request, as a raw response (for [`problem`]).
async fn raw(
    app: &TestApp,
    method: Method,
    token: &str,
    path: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut req = app.http.request(method, app.at(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(body);
    }
    req.send().await.unwrap()
}

/// `GET /v1/api/me`, which must answer 200.
async fn me(app: &TestApp, token: &str) -> Value {
    let (status, who) = app.get(token, "/v1/api/me").await;
    assert_eq!(status, StatusCode::OK, "{who}");
    who
}

/// The owner contact of a customer, as `token` sees the customer.
async fn owner_contact(app: &TestApp, token: &str, customer_id: &str) -> String {
    let (status, customer) = app
        .get(token, &format!("/v1/api/accounts/{customer_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{customer}");
    let owner = customer["ownerContactID"].as_str().unwrap().to_owned();
    assert_eq!(owner.len(), 32, "{customer}");
    owner
}

async fn create_client(
    app: &TestApp,
    token: &str,
    contact_id: &str,
    name: &str,
) -> (StatusCode, Value) {
    app.post(
        token,
        "/v1/api/clients",
        &json!({ "contactID": contact_id, "name": name }),
    )
    .await
}

/// Creates a client (must answer 201); its id and secret.
async fn new_client(app: &TestApp, token: &str, contact_id: &str, name: &str) -> (String, String) {
    let (status, made) = create_client(app, token, contact_id, name).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    (
        made["clientID"].as_str().unwrap().to_owned(),
        made["clientSecret"].as_str().unwrap().to_owned(),
    )
}

async fn file_api_access(
    app: &TestApp,
    token: &str,
    partner_id: &str,
    contact_ids: &[&str],
) -> (StatusCode, Value) {
    app.post(
        token,
        &format!("/v1/api/partners/{partner_id}/apiAccess"),
        &json!({ "contactIDs": contact_ids }),
    )
    .await
}

/// `approve` or `reject` an API access request.
async fn decide(
    app: &TestApp,
    token: &str,
    partner_id: &str,
    request_id: &str,
    decision: &str,
) -> (StatusCode, Value) {
    send(
        app,
        Method::POST,
        token,
        &format!("/v1/api/partners/{partner_id}/apiAccess/{request_id}/{decision}"),
        None,
    )
    .await
}

/// Files an API access request and approves it; both must succeed.
async fn grant_api_access(app: &TestApp, token: &str, partner_id: &str, contact_ids: &[&str]) {
    let (status, filed) = file_api_access(app, token, partner_id, contact_ids).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let id = filed["requestID"].as_str().unwrap();
    let (status, decided) = decide(app, token, partner_id, id, "approve").await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "approved", "{decided}");
}

/// A token of the root's client limited to `scope` (must be granted).
async fn root_scoped(app: &TestApp, scope: &str) -> String {
    let (status, issued) = token_with_scope(app, root_credentials(app), scope).await;
    assert_eq!(status, StatusCode::OK, "scope {scope}: {issued}");
    issued["access_token"].as_str().unwrap().to_owned()
}

/// Calls `GET path` every 250 ms until it answers `want` or `limit` has
/// passed; the last answer and the time it took.
async fn poll_until(
    app: &TestApp,
    token: &str,
    path: &str,
    want: StatusCode,
    limit: Duration,
) -> (StatusCode, Value, Duration) {
    let start = Instant::now();
    loop {
        let (status, body) = app.get(token, path).await;
        if status == want || start.elapsed() >= limit {
            return (status, body, start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The path ids a route is called with.
struct Ids<'a> {
    customer: &'a str,
    contact: &'a str,
    client: &'a str,
    request: &'a str,
    /// No invoice exists yet: the row is checked for its 403 and 404.
    invoice: &'a str,
}

fn concrete(method: &str, template: &str, ids: &Ids<'_>) -> String {
    let path = template
        .replace("{customerID}", ids.customer)
        .replace("{clientID}", ids.client)
        .replace("{contactID}", ids.contact)
        .replace("{requestID}", ids.request)
        .replace("{invoiceID}", ids.invoice)
        .replace("{name}", "Iam_usersMax");
    if method == "DELETE" && template == "/accounts/{customerID}" {
        format!("/v1/api{path}?reason=access-matrix")
    } else {
        format!("/v1/api{path}")
    }
}

/// Whether a route acts on one object named in its path (HEAD's segment is
/// a user name to check, not an object).
fn is_object_route(method: &str, template: &str) -> bool {
    template.contains('{') && method != "HEAD"
}

#[tokio::test]
async fn every_api_route_demands_its_permission_and_hides_other_subtrees() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;

    // The table is the documented surface, no more and no less.
    let res = app
        .http
        .get(app.at("/swagger/v1/swagger.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    const METHODS: &[&str] = &[
        "get", "put", "post", "delete", "head", "patch", "options", "trace",
    ];
    let mut documented: HashMap<(String, String), Value> = HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(below) = path.strip_prefix("/v1/api") else {
            continue;
        };
        if !below.starts_with('/') {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), below.to_owned()), op.clone());
            }
        }
    }
    let documented_set: BTreeSet<(String, String)> = documented.keys().cloned().collect();
    let tabled: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(tabled.len(), ROUTES.len(), "a route is listed twice");
    assert_eq!(
        documented_set,
        tabled,
        "documented but not in ROUTES: {:?}; in ROUTES but not documented: {:?}",
        documented_set.difference(&tabled).collect::<Vec<_>>(),
        tabled.difference(&documented_set).collect::<Vec<_>>()
    );

    // Fixtures: two sibling partners, a pending request on A, clients of
    // the root, and an account the root may delete.
    let a = app.partner(&root, "pa", None).await;
    let b = app.partner(&root, "pb", None).await;
    let a_owner = owner_contact(&app, &root, &a.id).await;
    let root_contact = me(&app, &root).await["contactID"]
        .as_str()
        .unwrap()
        .to_owned();
    let (kept_client, _) = new_client(&app, &root, &root_contact, "matrix kept").await;
    let (doomed_client, _) = new_client(&app, &root, &root_contact, "matrix doomed").await;
    let mut requests = Vec::new();
    for _ in 0..2 {
        let (status, filed) = file_api_access(&app, &root, &a.id, &[&a_owner]).await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        requests.push(filed["requestID"].as_str().unwrap().to_owned());
    }
    let (approved_request, rejected_request) = (&requests[0], &requests[1]);
    let (status, gone) = app
        .post(&root, "/v1/api/accounts", &account_body("gone", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{gone}");
    let gone = gone["customerID"].as_str().unwrap().to_owned();
    let no_invoice = random_id();

    let body_for = |method: &str, template: &str| -> Option<Value> {
        match (method, template) {
            ("POST", "/accounts") => Some(account_body("matrix-acct", None)),
            // Harmless for A: it is enabled already (409), a partner has
            // no plan to switch (409), and its MSA and company name are
            // read by no other row.
            ("POST", "/accounts/{customerID}/state") => Some(json!({ "state": "enabled" })),
            ("POST", "/accounts/{customerID}/plans") => Some(json!({ "name": "starter" })),
            ("POST", "/accounts/{customerID}/msa") => Some(json!({ "isAccepted": true })),
            ("PUT", "/accounts/{customerID}/company") => Some(json!({ "name": "Matrix Inc" })),
            ("POST", "/clients") => Some(json!({ "contactID": root_contact, "name": "matrix" })),
            // A contact for A; its owner's name and password change
            // harmlessly; removing A's only owner is refused (409).
            ("POST", "/accounts/{customerID}/contacts") => Some(json!({
                "login": format!("matrix-{}", random_id()),
                "password": "matrix123",
                "name": "Matrix",
                "email": "matrix@example.com",
                "accessRoleNames": ["AG_PRIVATELABELSALES"]
            })),
            ("PUT", "/accounts/{customerID}/contacts/{contactID}") => {
                Some(json!({ "name": "Matrix Owner" }))
            }
            ("POST", "/contacts/{contactID}/password") => {
                Some(json!({ "newPassword": "matrix456" }))
            }
            ("POST", "/clients/{clientID}/secret") => Some(json!({ "gracePeriodSeconds": 60 })),
            ("POST", "/partners/{customerID}/apiAccess") => {
                Some(json!({ "contactIDs": [a_owner] }))
            }
            ("PUT", "/partners/{customerID}/settings") => {
                Some(json!({ "defaultCulture": "EN-GB" }))
            }
            // A's billing name, an approved card and credit minted by the
            // root: read by no other row.
            ("PUT", "/accounts/{customerID}/billing") => Some(json!({ "name": "Matrix Billing" })),
            ("PUT", "/accounts/{customerID}/billing/paymentMethod") => Some(json!({
                "type": "VISA",
                "cardNumber": "4111111111111111",
                "expirationDate": "12/39",
                "securityCode": "123"
            })),
            ("POST", "/accounts/{customerID}/credits") => {
                Some(json!({ "amount": 100, "currency": "USD", "note": "matrix" }))
            }
            // A's own Iam_usersMax, within the root's and above the two
            // contacts A has; the DELETE row returns it to the default.
            ("POST" | "PUT", "/accounts/{customerID}/limits") => {
                Some(json!({ "name": "Iam_usersMax", "value": 5 }))
            }
            ("PUT", "/accounts/{customerID}/limits/{name}") => Some(json!({ "value": 5 })),
            _ => None,
        }
    };
    let request_for = |template: &str| {
        if template.ends_with("/reject") {
            rejected_request.as_str()
        } else {
            approved_request.as_str()
        }
    };

    // 1. A token with only another permission gets 403 naming the row's.
    let mut narrow: HashMap<&str, String> = HashMap::new();
    for (method, template, permission) in ROUTES {
        let Some(permission) = permission else {
            continue;
        };
        let other = near_miss(permission);
        if !narrow.contains_key(other) {
            narrow.insert(other, root_scoped(&app, other).await);
        }
        let ids = Ids {
            customer: &a.id,
            contact: &a_owner,
            client: &kept_client,
            request: request_for(template),
            invoice: &no_invoice,
        };
        let path = concrete(method, template, &ids);
        let (status, body) = send(
            &app,
            Method::from_bytes(method.as_bytes()).unwrap(),
            &narrow[other],
            &path,
            body_for(method, template).as_ref(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{method} {path} with only {other}: {body}"
        );
        if *method != "HEAD" {
            assert_eq!(
                body["missingPermission"], *permission,
                "{method} {path} with only {other}: {body}"
            );
        }
    }
    // Routes without a permission answer any live token.
    for (method, template, permission) in ROUTES {
        if permission.is_some() {
            continue;
        }
        for (scope, token) in &narrow {
            let (status, body) = send(
                &app,
                Method::from_bytes(method.as_bytes()).unwrap(),
                token,
                &format!("/v1/api{template}"),
                None,
            )
            .await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{method} {template} with {scope}: {body}"
            );
        }
    }

    // 2. Objects outside the caller's subtree do not exist for it: B's
    // owner holds every permission, yet A and the root's clients are 404.
    for (method, template, _) in ROUTES {
        if !is_object_route(method, template) {
            continue;
        }
        let ids = Ids {
            customer: &a.id,
            contact: &a_owner,
            client: &kept_client,
            request: request_for(template),
            invoice: &no_invoice,
        };
        let path = concrete(method, template, &ids);
        let (status, body) = send(
            &app,
            Method::from_bytes(method.as_bytes()).unwrap(),
            &b.token,
            &path,
            body_for(method, template).as_ref(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{method} {path} by a sibling: {body}"
        );
    }

    // 3. A token with the permission is let through (whatever comes next).
    for (method, template, permission) in ROUTES {
        let ids = Ids {
            customer: if (*method, *template) == ("DELETE", "/accounts/{customerID}") {
                &gone
            } else {
                &a.id
            },
            contact: &a_owner,
            client: if *method == "DELETE" {
                &doomed_client
            } else {
                &kept_client
            },
            request: request_for(template),
            invoice: &no_invoice,
        };
        let path = concrete(method, template, &ids);
        let (status, body) = send(
            &app,
            Method::from_bytes(method.as_bytes()).unwrap(),
            &root,
            &path,
            body_for(method, template).as_ref(),
        )
        .await;
        assert!(
            status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
            "{method} {path} ({permission:?}) with the root's token: {status} {body}"
        );
    }

    // The document names the same permission as the table.
    for (method, template, permission) in ROUTES {
        let op = &documented[&((*method).to_owned(), (*template).to_owned())];
        let scopes: Vec<String> = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {template}: no security"))
            .iter()
            .filter_map(|s| s.get("bearer"))
            .flat_map(|b| b.as_array().unwrap().iter())
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = permission.iter().map(|p| (*p).to_owned()).collect();
        assert_eq!(scopes, expected, "{method} {template}: documented security");
    }
}

#[tokio::test]
async fn owner_creates_a_client_for_another_contact_who_then_manages_only_its_own() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "pp", None).await;
    let owner = owner_contact(&app, &root, &p.id).await;
    let c = create_contact(&app, &p.id, "pp-public", &[PUBLIC_API]).await;

    // Not before P's API access is approved.
    let (status, body) = create_client(&app, &p.token, &c, "early").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    grant_api_access(&app, &root, &p.id, &[&owner, &c]).await;

    let (status, made) = create_client(&app, &p.token, &c, "for c").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["contactID"], c.as_str(), "{made}");
    assert_eq!(made["customerID"], p.id.as_str(), "{made}");
    let secret = made["clientSecret"].as_str().unwrap();
    assert!(!secret.is_empty(), "{made}");
    let c_client = made["clientID"].as_str().unwrap().to_owned();
    let c_token = app.token_for(&c_client, secret).await;

    // The owner (clients:manage-all) sees its own client and C's.
    let (status, owners_view) = app.get(&p.token, "/v1/api/clients").await;
    assert_eq!(status, StatusCode::OK, "{owners_view}");
    let owner_client = owners_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contactID"] == owner.as_str())
        .unwrap_or_else(|| panic!("no client of the owner in {owners_view}"))["clientID"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        client_ids(&owners_view).contains(&c_client),
        "{owners_view}"
    );

    // C (clients:manage-own) sees only its own.
    let (status, page) = app.get(&c_token, "/v1/api/clients").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(client_ids(&page), vec![c_client.clone()], "{page}");
    assert_eq!(page["total"], 1, "{page}");
    let (status, body) = app
        .get(&c_token, &format!("/v1/api/clients/{owner_client}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .delete(&c_token, &format!("/v1/api/clients/{owner_client}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .get(&p.token, &format!("/v1/api/clients/{owner_client}"))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the owner's client survives: {body}"
    );
    let (status, own) = app
        .get(&c_token, &format!("/v1/api/clients/{c_client}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["contactID"], c.as_str());

    // PUBLICAPI grants clients:manage-own and nothing else.
    let res = raw(&app, Method::GET, &c_token, "/v1/api/accounts", None).await;
    let refused = problem(res, StatusCode::FORBIDDEN).await;
    assert_eq!(refused["missingPermission"], "accounts:read", "{refused}");

    // C may create clients for itself only.
    let (status, second) = create_client(&app, &c_token, &c, "c's second").await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["contactID"], c.as_str(), "{second}");
    let second_id = second["clientID"].as_str().unwrap().to_owned();
    let (status, body) = create_client(&app, &c_token, &owner, "for the owner").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, page) = app.get(&c_token, "/v1/api/clients").await;
    assert_eq!(
        client_ids(&page).into_iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([c_client.clone(), second_id.clone()]),
        "{page}"
    );
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["contactID"] == c.as_str()),
        "{page}"
    );

    // The list pages in id order: a cursor while more follow, none after.
    assert_eq!(page["total"], 2, "{page}");
    let in_order = client_ids(&page);
    let mut sorted = in_order.clone();
    sorted.sort();
    assert_eq!(in_order, sorted, "in id order: {page}");
    let (status, first) = app.get(&c_token, "/v1/api/clients?take=1").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["count"].clone(), first["total"].clone()),
        (json!(1), json!(2)),
        "{first}"
    );
    assert_eq!(client_ids(&first), in_order[..1], "{first}");
    assert_eq!(first["nextCursor"], in_order[0].as_str(), "{first}");
    let (status, rest) = app
        .get(
            &c_token,
            &format!("/v1/api/clients?take=1&after={}", in_order[0]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rest}");
    assert_eq!(client_ids(&rest), in_order[1..], "{rest}");
    assert_eq!(rest["total"], 2, "{rest}");
    assert!(rest.get("nextCursor").is_none(), "the last page: {rest}");
    let (status, past) = app.get(&c_token, "/v1/api/clients?skip=10000").await;
    assert_eq!(status, StatusCode::OK, "{past}");
    assert_eq!(past["items"], json!([]), "{past}");
    for (query, field) in [
        ("skip=10001", "skip"),
        ("take=1001", "take"),
        ("after=not%20a%20cursor", "after"),
    ] {
        let res = raw(
            &app,
            Method::GET,
            &c_token,
            &format!("/v1/api/clients?{query}"),
            None,
        )
        .await;
        assert_names(&problem(res, StatusCode::BAD_REQUEST).await, &[field]);
    }

    // A delete shows in the total at once (not of the client whose token
    // this is: that would end the token).
    let (status, body) = app
        .delete(&c_token, &format!("/v1/api/clients/{second_id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, page) = app.get(&c_token, "/v1/api/clients").await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(client_ids(&page), vec![c_client], "{page}");
}

#[tokio::test]
async fn a_token_narrowed_by_scope_can_do_only_what_it_asked_for() {
    let app = TestApp::spawn().await;
    let creds = root_credentials(&app);

    let (status, issued) = token_with_scope(&app, creds, "accounts:read").await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(issued["scope"], "accounts:read", "{issued}");
    let read = issued["access_token"].as_str().unwrap().to_owned();
    let (status, body) = app.get(&read, "/v1/api/accounts").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = raw(
        &app,
        Method::POST,
        &read,
        "/v1/api/accounts",
        Some(&account_body("narrow", None)),
    )
    .await;
    let refused = problem(res, StatusCode::FORBIDDEN).await;
    assert_eq!(refused["missingPermission"], "accounts:write", "{refused}");
    assert_eq!(
        string_set(&me(&app, &read).await["scopes"]),
        set_of(&["accounts:read"])
    );

    let (status, issued) = token_with_scope(&app, creds, "accounts:read accounts:write").await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let granted: BTreeSet<String> = issued["scope"]
        .as_str()
        .unwrap()
        .split(' ')
        .map(str::to_owned)
        .collect();
    assert_eq!(
        granted,
        set_of(&["accounts:read", "accounts:write"]),
        "{issued}"
    );
    let both = issued["access_token"].as_str().unwrap().to_owned();
    let (status, body) = app.get(&both, "/v1/api/accounts").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(&both, "/v1/api/accounts", &account_body("narrow", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        string_set(&me(&app, &both).await["scopes"]),
        set_of(&["accounts:read", "accounts:write"])
    );
    // Nothing else: not even what the root's roles would allow.
    let (status, body) = app.get(&both, "/v1/api/clients").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // One permission the roles do not grant spoils the whole request.
    let (status, refused) = token_with_scope(&app, creds, "clients:manage-all bogus:perm").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "invalid_scope", "{refused}");

    // Without a scope the token gets everything the roles allow.
    let all = app.root_token().await;
    let scopes = string_set(&me(&app, &all).await["scopes"]);
    for p in ["accounts:read", "accounts:write", "clients:manage-all"] {
        assert!(scopes.contains(p), "{p} missing from {scopes:?}");
    }
}

#[tokio::test]
async fn an_unapproved_partner_cannot_create_clients_until_an_ancestor_approves() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let root_contact = me(&app, &root).await["contactID"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = app.partner(&root, "pp", None).await;
    let owner = owner_contact(&app, &root, &p.id).await;

    let res = raw(
        &app,
        Method::POST,
        &root,
        "/v1/api/clients",
        Some(&json!({ "contactID": owner, "name": "p api" })),
    )
    .await;
    let refused = problem(res, StatusCode::FORBIDDEN).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("approv"),
        "{refused}"
    );

    let (status, first) = file_api_access(&app, &root, &p.id, &[&owner]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "pending", "{first}");
    assert_eq!(first["customerID"], p.id.as_str(), "{first}");
    assert_eq!(first["contactIDs"], json!([owner]), "{first}");
    assert_eq!(first["requestedBy"], root_contact.as_str(), "{first}");
    let first_id = first["requestID"].as_str().unwrap().to_owned();
    let listed_path = format!("/v1/api/partners/{}/apiAccess", p.id);
    let (status, listed) = app.get(&root, &listed_path).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(
        listed["items"][0]["requestID"],
        first_id.as_str(),
        "{listed}"
    );
    assert_eq!(listed["items"][0]["status"], "pending", "{listed}");
    assert_eq!(listed["total"], 1, "{listed}");

    let (status, approved) = decide(&app, &root, &p.id, &first_id, "approve").await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved", "{approved}");
    assert_eq!(approved["decidedBy"], root_contact.as_str(), "{approved}");
    let (status, made) = create_client(&app, &root, &owner, "p api").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert!(!made["clientSecret"].as_str().unwrap().is_empty());

    // A rejection is final for that request.
    let (status, second) = file_api_access(&app, &root, &p.id, &[&owner]).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second_id = second["requestID"].as_str().unwrap().to_owned();
    let (status, rejected) = decide(&app, &root, &p.id, &second_id, "reject").await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    let (status, body) = decide(&app, &root, &p.id, &second_id, "approve").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // P may ask for itself, but only an ancestor's owner decides.
    let (status, own) = file_api_access(&app, &p.token, &p.id, &[&owner]).await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(own["status"], "pending", "{own}");
    assert_eq!(own["requestedBy"], owner.as_str(), "{own}");
    let own_id = own["requestID"].as_str().unwrap().to_owned();
    let (status, body) = decide(&app, &p.token, &p.id, &own_id, "approve").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Newest first, each as it was decided.
    let (status, listed) = app.get(&p.token, &listed_path).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let statuses: Vec<(String, String)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["requestID"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (own_id, "pending".to_owned()),
            (second_id, "rejected".to_owned()),
            (first_id, "approved".to_owned()),
        ],
        "{listed}"
    );
    assert_eq!(listed["total"], 3, "a new request shows at once: {listed}");
    assert!(listed.get("nextCursor").is_none(), "{listed}");

    // Paged newest first: a cursor while more follow, none on the last page.
    let newest_first: Vec<String> = statuses.into_iter().map(|(id, _)| id).collect();
    let mut walked = Vec::new();
    let mut query = "take=2".to_owned();
    loop {
        let (status, page) = app.get(&p.token, &format!("{listed_path}?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 3, "{page}");
        let got: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["requestID"].as_str().unwrap().to_owned())
            .collect();
        walked.extend(got.iter().cloned());
        let Some(cursor) = page["nextCursor"].as_str() else {
            break;
        };
        assert_eq!(Some(cursor), got.last().map(String::as_str), "{page}");
        query = format!("take=2&after={cursor}");
    }
    assert_eq!(walked, newest_first, "each request once, newest first");
    for (query, field) in [("skip=10001", "skip"), ("after=nope", "after")] {
        let res = raw(
            &app,
            Method::GET,
            &p.token,
            &format!("{listed_path}?{query}"),
            None,
        )
        .await;
        assert_names(&problem(res, StatusCode::BAD_REQUEST).await, &[field]);
    }
}

#[tokio::test]
async fn a_rotated_secret_keeps_working_for_its_grace_period_and_a_deleted_client_stops_at_once() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let root_contact = me(&app, &root).await["contactID"]
        .as_str()
        .unwrap()
        .to_owned();
    let (id, old_secret) = new_client(&app, &root, &root_contact, "rotating").await;
    app.token_for(&id, &old_secret).await;

    let (status, rotated) = app
        .post(
            &root,
            &format!("/v1/api/clients/{id}/secret"),
            &json!({ "gracePeriodSeconds": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_eq!(rotated["clientID"], id.as_str(), "{rotated}");
    let new_secret = rotated["clientSecret"].as_str().unwrap().to_owned();
    assert!(!new_secret.is_empty(), "{rotated}");
    assert_ne!(new_secret, old_secret);
    assert!(
        rotated["previousSecretExpiresAt"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{rotated}"
    );
    // Both work during the grace period.
    app.token_for(&id, &old_secret).await;
    app.token_for(&id, &new_secret).await;

    tokio::time::sleep(Duration::from_secs(3)).await;
    let (status, refused) = token_with_scope(&app, (id.as_str(), old_secret.as_str()), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert_eq!(refused["error"], "invalid_client", "{refused}");
    let token = app.token_for(&id, &new_secret).await;

    // A deleted client's tokens stop at once, even one just used.
    assert_eq!(me(&app, &token).await["clientID"], id.as_str());
    let (status, body) = app.delete(&root, &format!("/v1/api/clients/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.get(&token, "/v1/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = app.get(&root, &format!("/v1/api/clients/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, refused) = token_with_scope(&app, (id.as_str(), new_secret.as_str()), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
}

#[tokio::test]
async fn removing_a_contacts_roles_reaches_its_live_token_within_five_seconds() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let c = create_contact(&app, &app.root_id, "operator-api", &[OPERATORS, PUBLIC_API]).await;
    // The root distributor needs nobody's approval.
    let (client_id, secret) = new_client(&app, &root, &c, "operator").await;
    let token = app.token_for(&client_id, &secret).await;
    let (status, body) = app.get(&token, "/v1/api/accounts").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    set_partner_roles(&app, &c, &app.root_id, &[PUBLIC_API]).await;
    let limit = Duration::from_secs(5);
    let (status, body, took) = poll_until(
        &app,
        &token,
        "/v1/api/accounts",
        StatusCode::FORBIDDEN,
        limit,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "still {status} after {took:?}: {body}"
    );
    assert!(took <= limit, "took {took:?}");
    assert_eq!(body["missingPermission"], "accounts:read", "{body}");
    assert_eq!(
        string_set(&me(&app, &token).await["scopes"]),
        set_of(&["clients:manage-own"])
    );

    set_partner_roles(&app, &c, &app.root_id, &[]).await;
    let (status, body, took) =
        poll_until(&app, &token, "/v1/api/me", StatusCode::UNAUTHORIZED, limit).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "still {status} after {took:?}: {body}"
    );
    assert!(took <= limit, "took {took:?}");
    for path in ["/v1/api/clients", "/v1/api/roles"] {
        let (status, body) = app.get(&token, path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
    // No new tokens either.
    let (status, refused) = token_with_scope(&app, (client_id.as_str(), secret.as_str()), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
}

#[tokio::test]
async fn a_partners_network_allow_list_refuses_its_tokens_from_elsewhere() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "pp", None).await;
    let settings = format!("/v1/api/partners/{}/settings", p.id);

    let (status, set) = put(
        &app,
        &p.token,
        &settings,
        &json!({ "apiAllowedNetworks": ["10.0.0.0/8"] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["apiAllowedNetworks"], json!(["10.0.0.0/8"]), "{set}");

    // The tests call from 127.0.0.1: P's token is refused from the next call.
    let res = raw(&app, Method::GET, &p.token, "/v1/api/me", None).await;
    problem(res, StatusCode::FORBIDDEN).await;
    let (status, body) = put(
        &app,
        &p.token,
        &settings,
        &json!({ "apiAllowedNetworks": [] }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "P cannot lift it itself: {body}"
    );
    // Other partners' tokens are not affected.
    me(&app, &root).await;

    // The root may change a descendant's settings; the list is canonical.
    let (status, set) = put(
        &app,
        &root,
        &settings,
        &json!({ "apiAllowedNetworks": ["127.0.0.0/8", "2001:DB8::/32", " 127.0.0.0/8"] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let canonical = json!(["127.0.0.0/8", "2001:db8::/32"]);
    assert_eq!(set["apiAllowedNetworks"], canonical, "{set}");
    let (status, body, took) = poll_until(
        &app,
        &p.token,
        "/v1/api/me",
        StatusCode::OK,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "still {status} after {took:?}: {body}"
    );

    let (status, got) = app.get(&p.token, &settings).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["customerID"], p.id.as_str(), "{got}");
    assert_eq!(got["apiAllowedNetworks"], canonical, "{got}");
    let features = got["features"]
        .as_object()
        .unwrap_or_else(|| panic!("no features: {got}"));
    assert!(!features.is_empty(), "{got}");
    assert!(features.values().all(Value::is_boolean), "{got}");
}

#[tokio::test]
async fn bad_access_control_input_is_400_naming_the_field() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "pp", None).await;
    let settings = format!("/v1/api/partners/{}/settings", p.id);
    let (status, before) = app.get(&root, &settings).await;
    assert_eq!(status, StatusCode::OK, "{before}");

    for (body, field) in [
        (
            json!({ "apiAllowedNetworks": ["10.0.0.0/33"] }),
            "apiAllowedNetworks[0]",
        ),
        (
            json!({ "apiAllowedNetworks": ["banana"] }),
            "apiAllowedNetworks[0]",
        ),
        (
            json!({ "apiAllowedNetworks": ["10.1.2.3/8"] }),
            "apiAllowedNetworks[0]",
        ),
        (json!({ "defaultCulture": "xx-XX" }), "defaultCulture"),
        (json!({ "supportEmail": "not-an-address" }), "supportEmail"),
    ] {
        let res = raw(&app, Method::PUT, &root, &settings, Some(&body)).await;
        let refused = problem(res, StatusCode::BAD_REQUEST).await;
        assert_names(&refused, &[field]);
    }
    let (_, after) = app.get(&root, &settings).await;
    assert_eq!(after, before, "bad input changed nothing");

    let (status, refused) = token_with_scope(&app, root_credentials(&app), "bogus:perm").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "invalid_scope", "{refused}");

    let root_contact = me(&app, &root).await["contactID"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = raw(
        &app,
        Method::POST,
        &root,
        "/v1/api/clients",
        Some(&json!({ "contactID": root_contact, "name": "n".repeat(101) })),
    )
    .await;
    assert_names(&problem(res, StatusCode::BAD_REQUEST).await, &["name"]);

    let (client_id, secret) =
        new_client(&app, &root, &root_contact, "x".repeat(100).as_str()).await;
    for grace in [-1, 604_801] {
        let res = raw(
            &app,
            Method::POST,
            &root,
            &format!("/v1/api/clients/{client_id}/secret"),
            Some(&json!({ "gracePeriodSeconds": grace })),
        )
        .await;
        let refused = problem(res, StatusCode::BAD_REQUEST).await;
        assert_names(&refused, &["gracePeriodSeconds"]);
    }
    // Not rotated: the secret is still the only one.
    app.token_for(&client_id, &secret).await;
    let (_, client) = app
        .get(&root, &format!("/v1/api/clients/{client_id}"))
        .await;
    assert!(client.get("previousSecretExpiresAt").is_none(), "{client}");

    let access = format!("/v1/api/partners/{}/apiAccess", p.id);
    for (ids, field) in [
        (json!([]), "contactIDs"),
        (json!([random_id()]), "contactIDs[0]"),
    ] {
        let res = raw(
            &app,
            Method::POST,
            &root,
            &access,
            Some(&json!({ "contactIDs": ids })),
        )
        .await;
        assert_names(&problem(res, StatusCode::BAD_REQUEST).await, &[field]);
    }
    let (status, listed) = app.get(&root, &access).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["items"], json!([]), "nothing was filed: {listed}");
}

#[tokio::test]
async fn the_role_catalogue_lists_every_role_with_its_permissions() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let (status, page) = app.get(&root, "/v1/api/roles").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let roles = page["items"].as_array().unwrap();
    assert_eq!(roles.len(), 11, "{page}");
    assert_eq!(page["count"], 11, "{page}");
    assert_eq!(page["total"], 11, "{page}");
    let all = string_set(&page["permissions"]);
    assert!(!all.is_empty(), "{page}");

    let mut by_name: HashMap<&str, &Value> = HashMap::new();
    for role in roles {
        let name = role["name"].as_str().unwrap();
        assert!(
            role["displayName"].as_str().is_some_and(|d| !d.is_empty()),
            "{role}"
        );
        assert!(
            role["kind"] == "partner" || role["kind"] == "account",
            "{role}"
        );
        let permissions = string_set(&role["permissions"]);
        assert!(
            permissions.is_subset(&all),
            "{role} grants unknown permissions"
        );
        assert!(by_name.insert(name, role).is_none(), "{name} listed twice");
    }
    let partner_roles: BTreeSet<&str> = by_name
        .iter()
        .filter(|(_, r)| r["kind"] == "partner")
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        partner_roles,
        BTreeSet::from([
            OWNERS,
            OPERATORS,
            "AG_PRIVATELABELBILLINGADMINS",
            "AG_PRIVATELABELCUSTOMIZATIONADMINS",
            "AG_PRIVATELABELSALES",
            PUBLIC_API,
        ])
    );
    assert_eq!(string_set(&by_name[OWNERS]["permissions"]), all);
    assert_eq!(
        string_set(&by_name[PUBLIC_API]["permissions"]),
        set_of(&["clients:manage-own"])
    );
    // Every permission a route demands is one the catalogue knows.
    for (method, template, permission) in ROUTES {
        if let Some(p) = permission {
            assert!(all.contains(*p), "{method} {template} demands unknown {p}");
        }
    }
}
