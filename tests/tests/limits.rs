//! Account limits end to end (issue 7): the limits of a customer's plan,
//! own values set by a partner above it (400 for a name the plan lacks or a
//! bad value, 409 for an own value that exists or one above the parent
//! partner's), the return to the default, Iam_usersMax enforced on the next
//! contact (402), and a partner's quota summed over its accounts.

#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_names, id_of, put, send};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, account_body};

const GIB: i64 = 1 << 30;

/// Creates an account below the caller; returns its id.
async fn account(app: &TestApp, token: &str, name: &str, plan: Option<&str>) -> String {
    let (status, created) = app
        .post(token, "/v1/api/accounts", &account_body(name, plan))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    id_of(&created)
}

fn limits_path(id: &str) -> String {
    format!("/v1/api/accounts/{id}/limits")
}

/// `GET …/limits`, which must answer 200.
async fn limits(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, page) = app.get(token, &limits_path(id)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

/// The item named `name` of a limits page or a quota.
fn item<'a>(page: &'a Value, name: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
}

/// `PUT …/limits` with `{name, value}`.
async fn set(
    app: &TestApp,
    token: &str,
    id: &str,
    name: &str,
    value: Value,
) -> (StatusCode, Value) {
    put(
        app,
        token,
        &limits_path(id),
        &json!({ "name": name, "value": value }),
    )
    .await
}

/// `PUT …/limits` that must answer 200.
async fn set_ok(app: &TestApp, token: &str, id: &str, name: &str, value: i64) {
    let (status, body) = set(app, token, id, name, json!(value)).await;
    assert_eq!(status, StatusCode::OK, "{name} = {value}: {body}");
}

/// Creates a contact of the account through the REST API.
async fn create_contact(app: &TestApp, token: &str, id: &str, login: &str) -> (StatusCode, Value) {
    app.post(
        token,
        &format!("/v1/api/accounts/{id}/contacts"),
        &json!({
            "login": login,
            "password": "secret12",
            "name": "A User",
            "email": format!("{login}@example.com"),
            "accessRoleNames": ["ContactManager"]
        }),
    )
    .await
}

#[tokio::test]
async fn limits_are_listed_created_changed_and_returned_to_their_defaults() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let id = account(&app, &root, "acme", None).await;

    let page = limits(&app, &root, &id).await;
    assert_eq!(page["customerID"], id.as_str(), "{page}");
    assert_eq!(page["planName"], "starter", "{page}");
    assert_eq!(
        (page["count"].as_i64(), page["total"].as_i64()),
        (Some(4), Some(4))
    );
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Iam_usersMax",
            "Storage_bytesMax",
            "Api_requestsPerMinute",
            "Api_burst"
        ]
    );
    // The owner is a user of its own; storage use is not known here.
    assert_eq!(
        *item(&page, "Iam_usersMax"),
        json!({"name": "Iam_usersMax", "value": 5, "default": 5, "overridden": false, "used": 1})
    );
    assert_eq!(
        *item(&page, "Storage_bytesMax"),
        json!({"name": "Storage_bytesMax", "value": 10 * GIB, "default": 10 * GIB, "overridden": false, "used": null})
    );

    let (status, made) = app
        .post(
            &root,
            &limits_path(&id),
            &json!({"name": "Api_burst", "value": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(
        made,
        json!({"name": "Api_burst", "value": 10, "default": 20, "overridden": true, "used": null})
    );
    let (status, problem) = app
        .post(
            &root,
            &limits_path(&id),
            &json!({"name": "Api_burst", "value": 12}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_names(&problem, &["name"]);
    assert_eq!(
        item(&limits(&app, &root, &id).await, "Api_burst")["value"],
        10
    );

    let (status, changed) = set(&app, &root, &id, "Api_burst", json!(12)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["value"].as_i64(), changed["overridden"].as_bool()),
        (Some(12), Some(true))
    );
    // The path may name the limit; `15.0` is an integer as JSON Schema counts.
    let (status, changed) = put(
        &app,
        &root,
        &format!("{}/Api_burst", limits_path(&id)),
        &json!({"value": 15.0}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["value"], 15, "{changed}");
    // v2 serves the same.
    let (status, page) = app
        .get(&root, &format!("/v2/api/accounts/{id}/limits"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        *item(&page, "Api_burst"),
        json!({"name": "Api_burst", "value": 15, "default": 20, "overridden": true, "used": null})
    );
    // PUT also creates what does not exist yet.
    set_ok(&app, &root, &id, "Api_requestsPerMinute", 30).await;

    let reset_path = format!("{}/Api_burst", limits_path(&id));
    let (status, reset) = app.delete(&root, &reset_path).await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    assert_eq!(
        reset,
        json!({"name": "Api_burst", "value": 20, "default": 20, "overridden": false, "used": null})
    );
    // At its default already: answered as it is.
    let (status, again) = app.delete(&root, &reset_path).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, reset);
    let page = limits(&app, &root, &id).await;
    assert_eq!(item(&page, "Api_burst")["overridden"], false, "{page}");
    assert_eq!(item(&page, "Api_requestsPerMinute")["value"], 30, "{page}");
}

#[tokio::test]
async fn bad_limit_input_is_400_naming_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let id = account(&app, &root, "acme", None).await;
    let partner = app.partner(&root, "reseller", None).await;

    for (customer, body, field) in [
        (&id, json!({"name": "Nothing_max", "value": 1}), "name"),
        (&id, json!({"name": "iam_usersmax", "value": 1}), "name"),
        (&id, json!({"value": 1}), "name"),
        (&id, json!({"name": "Api_burst", "value": -1}), "value"),
        (&id, json!({"name": "Api_burst", "value": "ten"}), "value"),
        (&id, json!({"name": "Api_burst", "value": 1.5}), "value"),
        (&id, json!({"name": "Api_burst", "value": null}), "value"),
        (&id, json!({"name": "Api_burst"}), "value"),
        (
            &id,
            json!({"name": "Api_burst", "value": 1_000_000_000_000_001_i64}),
            "value",
        ),
        // The owner counts: no account has fewer than one user.
        (&id, json!({"name": "Iam_usersMax", "value": 0}), "value"),
        // Partner plans have no storage limit.
        (
            &partner.id,
            json!({"name": "Storage_bytesMax", "value": 1}),
            "name",
        ),
    ] {
        for method in [Method::POST, Method::PUT] {
            let (status, problem) = send(
                &app,
                method.clone(),
                &root,
                &limits_path(customer),
                Some(&body),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{method} {body}: {problem}"
            );
            assert_names(&problem, &[field]);
        }
    }
    let (status, problem) = put(
        &app,
        &root,
        &format!("{}/Nothing_max", limits_path(&id)),
        &json!({"value": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_names(&problem, &["name"]);
    let (status, problem) = app
        .delete(&root, &format!("{}/Nothing_max", limits_path(&id)))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_names(&problem, &["name"]);

    let page = limits(&app, &root, &id).await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["overridden"] == false),
        "{page}"
    );
}

#[tokio::test]
async fn no_limit_goes_above_the_parent_partners_and_no_partner_sets_its_own() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "reseller", None).await;
    set_ok(&app, &root, &p.id, "Iam_usersMax", 10).await;
    let a = account(&app, &p.token, "acme", None).await;

    let (status, problem) = set(&app, &p.token, &a, "Iam_usersMax", json!(11)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("Iam_usersMax") && detail.contains("10"),
        "{problem}"
    );
    let (status, problem) = app
        .post(
            &p.token,
            &limits_path(&a),
            &json!({"name": "Iam_usersMax", "value": 11}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        item(&limits(&app, &p.token, &a).await, "Iam_usersMax")["value"],
        5
    );

    set_ok(&app, &p.token, &a, "Iam_usersMax", 10).await;
    assert_eq!(
        item(&limits(&app, &p.token, &a).await, "Iam_usersMax")["value"],
        10
    );
    // Without an own value the parent's default caps: 600 a minute.
    let (status, problem) = set(&app, &p.token, &a, "Api_requestsPerMinute", json!(601)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    // What the partner plan lacks is not capped by it.
    set_ok(&app, &p.token, &a, "Storage_bytesMax", 1024 * GIB).await;

    // A partner reads its own limits but its parent sets them.
    let page = limits(&app, &p.token, &p.id).await;
    assert_eq!(item(&page, "Iam_usersMax")["value"], 10, "{page}");
    let (status, problem) = set(&app, &p.token, &p.id, "Iam_usersMax", json!(5)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = app
        .delete(&p.token, &format!("{}/Iam_usersMax", limits_path(&p.id)))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        item(&limits(&app, &root, &p.id).await, "Iam_usersMax")["value"],
        10
    );
}

#[tokio::test]
async fn a_changed_users_max_applies_to_the_next_contact() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    // Starter: 5 users, the owner one of them.
    let id = account(&app, &root, "acme", None).await;
    set_ok(&app, &root, &id, "Iam_usersMax", 2).await;

    let (status, made) = create_contact(&app, &root, &id, "second").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (status, problem) = create_contact(&app, &root, &id, "third").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{problem}");
    assert_eq!(
        problem["type"], "urn:partner:problem:limit-exceeded",
        "{problem}"
    );
    assert_eq!(problem["limit"], "Iam_usersMax", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("Iam_usersMax"),
        "the problem names the limit: {problem}"
    );

    set_ok(&app, &root, &id, "Iam_usersMax", 3).await;
    let (status, made) = create_contact(&app, &root, &id, "third").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let users = item(&limits(&app, &root, &id).await, "Iam_usersMax").clone();
    assert_eq!(
        users,
        json!({"name": "Iam_usersMax", "value": 3, "default": 5, "overridden": true, "used": 3})
    );
    let (status, problem) = create_contact(&app, &root, &id, "fourth").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{problem}");

    // Back at the default of 5, the fourth fits.
    let (status, reset) = app
        .delete(&root, &format!("{}/Iam_usersMax", limits_path(&id)))
        .await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    assert_eq!(
        (reset["value"].as_i64(), reset["used"].as_i64()),
        (Some(5), Some(3))
    );
    let (status, made) = create_contact(&app, &root, &id, "fourth").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
}

#[tokio::test]
async fn a_partners_usage_sums_the_accounts_at_every_depth_below_it() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    // An advisor allowed to create partners, so the tree has two levels.
    let p = app.advisor(&root, "reseller", None).await;
    let a1 = account(&app, &p.token, "acme1", None).await;
    let a2 = account(&app, &p.token, "acme2", Some("business")).await;
    let q = app.partner(&p.token, "subreseller", None).await;
    let a3 = account(&app, &q.token, "acme3", None).await;
    set_ok(&app, &p.token, &a1, "Iam_usersMax", 3).await;
    let (status, made) = create_contact(&app, &p.token, &a2, "a2-second").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");

    let (status, usage) = app
        .get(&root, &format!("/v1/api/partners/{}/usage", p.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    assert_eq!(usage["customerID"], p.id.as_str(), "{usage}");
    // a1 (own 3) + a2 (business 50) + a3 (starter 5); owners plus a2's second.
    assert_eq!(
        *item(&usage, "Iam_usersMax"),
        json!({"name": "Iam_usersMax", "allocated": 58, "used": 4, "accounts": 3})
    );
    assert_eq!(
        *item(&usage, "Storage_bytesMax"),
        json!({"name": "Storage_bytesMax", "allocated": 120 * GIB, "used": null, "accounts": 3})
    );
    assert_eq!(
        *item(&usage, "Api_requestsPerMinute"),
        json!({"name": "Api_requestsPerMinute", "allocated": 60 + 300 + 60, "used": null, "accounts": 3})
    );
    assert_eq!(usage["items"].as_array().unwrap().len(), 4, "{usage}");

    // The partner reads its own; the sub-partner sees only its account.
    let (status, own) = app
        .get(&p.token, &format!("/v2/api/partners/{}/usage", p.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own, usage);
    let (status, sub) = app
        .get(&q.token, &format!("/v1/api/partners/{}/usage", q.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{sub}");
    assert_eq!(
        *item(&sub, "Iam_usersMax"),
        json!({"name": "Iam_usersMax", "allocated": 5, "used": 1, "accounts": 1})
    );
    // A partner without accounts has nothing allocated.
    let empty = app.partner(&root, "empty", None).await;
    let (status, none) = app
        .get(&root, &format!("/v1/api/partners/{}/usage", empty.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert_eq!(
        *item(&none, "Iam_usersMax"),
        json!({"name": "Iam_usersMax", "allocated": 0, "used": 0, "accounts": 0})
    );
    // An account has limits, not a quota.
    let (status, problem) = app
        .get(&root, &format!("/v1/api/partners/{a3}/usage"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

#[tokio::test]
async fn another_partners_customers_have_no_limits_for_the_caller() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "reseller", None).await;
    let other = app.partner(&root, "rival", None).await;
    let a = account(&app, &p.token, "acme", None).await;

    let named = format!("{}/Iam_usersMax", limits_path(&a));
    let good = json!({"name": "Iam_usersMax", "value": 3});
    // Bad input too: the outsider learns nothing, not even that.
    let bad = json!({"name": "Nothing_max", "value": -1});
    for (method, path, body) in [
        (Method::GET, limits_path(&a), None),
        (Method::POST, limits_path(&a), Some(&good)),
        (Method::POST, limits_path(&a), Some(&bad)),
        (Method::PUT, limits_path(&a), Some(&good)),
        (Method::PUT, named.clone(), Some(&json!({"value": 3}))),
        (Method::DELETE, named.clone(), None),
        (
            Method::GET,
            format!("/v1/api/partners/{}/usage", p.id),
            None,
        ),
    ] {
        let (status, problem) = send(&app, method.clone(), &other.token, &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {problem}");
    }
    let users = item(&limits(&app, &p.token, &a).await, "Iam_usersMax").clone();
    assert_eq!(users["overridden"], false, "{users}");
}

#[tokio::test]
async fn the_root_distributor_alone_runs_on_the_distributor_plan() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let page = limits(&app, &root, &app.root_id).await;
    assert_eq!(page["planName"], "distributor", "{page}");
    assert_eq!(
        item(&page, "Api_requestsPerMinute")["value"],
        12_000,
        "{page}"
    );
    assert_eq!(item(&page, "Api_burst")["value"], 2000, "{page}");

    // No partner below it may choose that plan.
    let mut body = tests::partner_body("wouldbe", None);
    body["planName"] = json!("distributor");
    let (status, problem) = app.post(&root, "/v1/api/accounts", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_names(&problem, &["planName"]);
}
