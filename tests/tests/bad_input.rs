//! Bad requests: each answers a problem document that names the fields at
//! fault, and none of them stores anything.

#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_names, fields, head, problem, total};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, account_body};

/// An app with one valid account already in it, so that "nothing stored"
/// compares against a list that is not trivially empty.
async fn app_with_one_account() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, body) = app
        .post(&token, "/v1/api/accounts", &account_body("base", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (app, token)
}

async fn post_raw(app: &TestApp, token: &str, content_type: &str, body: &str) -> reqwest::Response {
    app.http
        .post(app.at("/v1/api/accounts"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// Posts `body`, expects a 400 naming each of `expected`; returns the problem.
async fn refused(app: &TestApp, token: &str, body: &Value, expected: &[&str]) -> Value {
    let res = post_raw(app, token, "application/json", &body.to_string()).await;
    let problem = problem(res, StatusCode::BAD_REQUEST).await;
    assert_names(&problem, expected);
    problem
}

/// Nothing but the base account exists, and `name` is free.
async fn assert_nothing_stored(app: &TestApp, token: &str, name: &str) {
    assert_eq!(total(app, token, "").await, 1, "only the base account");
    assert_eq!(
        head(app, token, &format!("/v1/api/accounts/{name}")).await,
        StatusCode::NOT_FOUND,
        "{name}"
    );
}

fn body_with(path: &[&str], value: Value) -> Value {
    let mut body = account_body("acme", None);
    let mut at = &mut body;
    for key in &path[..path.len() - 1] {
        at = &mut at[*key];
    }
    at[path[path.len() - 1]] = value;
    body
}

/// One character past v1's user name limit (50, DESIGN §6.2).
const LONG_NAME: &str = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxy";

/// A valid body but for a user name one character too long (its owner's
/// login stays within its own limit).
fn long_named() -> Value {
    let mut body = account_body(LONG_NAME, None);
    body["general"]["login"] = json!("long-owner");
    body["general"]["email"] = json!("long@example.com");
    body
}

fn without(path: &[&str]) -> Value {
    let mut body = account_body("acme", None);
    let mut at = &mut body;
    for key in &path[..path.len() - 1] {
        at = &mut at[*key];
    }
    at.as_object_mut().unwrap().remove(path[path.len() - 1]);
    body
}

#[tokio::test]
async fn malformed_json_is_a_400_problem_with_the_request_id() {
    let (app, token) = app_with_one_account().await;
    for text in [
        "{\"general\": ",
        "{\"programs\": [\"Email\"],}",
        "not json",
        "",
    ] {
        let res = post_raw(&app, &token, "application/json", text).await;
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert!(!fields(&body).is_empty(), "{text:?}: {body}");
    }
    let res = post_raw(&app, &token, "application/json", "null").await;
    let body = problem(res, StatusCode::BAD_REQUEST).await;
    assert_names(&body, &["body"]);
    assert_nothing_stored(&app, &token, "acme").await;
}

#[tokio::test]
async fn wrong_types_name_the_field_path() {
    let (app, token) = app_with_one_account().await;
    for (path, value, field) in [
        (&["programs"][..], json!("Email"), "programs"),
        (&["general"], json!(5), "general"),
        (&["general", "login"], json!(5), "general.login"),
        (
            &["company", "address", "zip"],
            json!(62701),
            "company.address.zip",
        ),
        (
            &["payment", "creditCard", "cardNumber"],
            json!(4111111111111111_u64),
            "payment.creditCard.cardNumber",
        ),
        (&["planName"], json!(["starter"]), "planName"),
    ] {
        let body = refused(&app, &token, &body_with(path, value), &[field]).await;
        assert_eq!(fields(&body), vec![field], "{body}");
    }
    assert_nothing_stored(&app, &token, "acme").await;
}

#[tokio::test]
async fn empty_object_names_every_missing_part() {
    let (app, token) = app_with_one_account().await;
    refused(
        &app,
        &token,
        &json!({}),
        &[
            "general.userName",
            "general.login",
            "general.password",
            "general.name",
            "general.email",
            "company",
            "payment",
            "programs",
        ],
    )
    .await;
    // A general without the owner's login, a company without address.
    let mut body = without(&["general", "login"]);
    body["company"].as_object_mut().unwrap().remove("address");
    let problem = refused(&app, &token, &body, &["general.login"]).await;
    // The missing address is named itself or by its required lines.
    assert!(
        fields(&problem)
            .iter()
            .any(|f| f == "company.address" || f == "company.address.street"),
        "{problem}"
    );
    assert_eq!(total(&app, &token, "").await, 1);
}

#[tokio::test]
async fn over_long_fields_are_each_named() {
    let (app, token) = app_with_one_account().await;
    let mut body = long_named(); // 51
    body["company"]["name"] = json!("c".repeat(256));
    body["company"]["address"]["street"] = json!("s".repeat(101));
    body["general"]["name"] = json!("n".repeat(51));
    body["general"]["email"] = json!(format!("{}@example.com", "e".repeat(39))); // 51
    let problem = refused(
        &app,
        &token,
        &body,
        &[
            "general.userName",
            "company.name",
            "company.address.street",
            "general.name",
            "general.email",
        ],
    )
    .await;
    // v1 spells the first address line `street`, also in errors.
    assert!(
        !fields(&problem).iter().any(|f| f.contains("addressLine1")),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("company.address.street"),
        "{problem}"
    );
    // Each alone is refused too, naming only itself.
    for (path, value, field) in [
        (
            &["company", "name"][..],
            json!("c".repeat(256)),
            "company.name",
        ),
        (
            &["company", "address", "street"],
            json!("s".repeat(101)),
            "company.address.street",
        ),
        (&["general", "name"], json!("n".repeat(51)), "general.name"),
        (
            &["general", "email"],
            json!(format!("{}@example.com", "e".repeat(39))),
            "general.email",
        ),
        (
            &["general", "userName"],
            json!(LONG_NAME),
            "general.userName",
        ),
    ] {
        let problem = refused(&app, &token, &body_with(path, value), &[field]).await;
        assert_eq!(fields(&problem), vec![field], "{problem}");
    }
    assert_nothing_stored(&app, &token, "acme").await;
    assert_nothing_stored(&app, &token, &LONG_NAME[..50]).await;
}

#[tokio::test]
async fn fields_at_their_maximum_length_are_accepted() {
    let (app, token) = app_with_one_account().await;
    let mut body = account_body(&LONG_NAME[..50], None); // 50
    body["general"]["login"] = json!("longest-owner");
    body["general"]["email"] = json!("longest@example.com");
    body["company"]["name"] = json!("c".repeat(255));
    body["company"]["address"]["street"] = json!("s".repeat(100));
    body["general"]["name"] = json!("n".repeat(50));
    body["general"]["email"] = json!(format!("{}@example.com", "e".repeat(38))); // 50
    let (status, created) = app.post(&token, "/v1/api/accounts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(total(&app, &token, "").await, 2);
}

#[tokio::test]
async fn unknown_program_and_plan_are_named() {
    let (app, token) = app_with_one_account().await;
    for programs in [json!(["Fax"]), json!(["Email", "Email"]), json!([])] {
        refused(
            &app,
            &token,
            &body_with(&["programs"], programs),
            &["programs"],
        )
        .await;
    }
    for plan in ["platinum", "partner-standard", "Starter", ""] {
        refused(
            &app,
            &token,
            &body_with(&["planName"], json!(plan)),
            &["planName"],
        )
        .await;
    }
    refused(&app, &token, &without(&["planName"]), &["planName"]).await;
    assert_nothing_stored(&app, &token, "acme").await;
}

#[tokio::test]
async fn bad_card_fields_are_each_named() {
    let (app, token) = app_with_one_account().await;
    let card = ["payment", "creditCard"];
    let all = [
        "payment.creditCard.cardNumber",
        "payment.creditCard.expirationDate",
        "payment.creditCard.securityCode",
    ];
    for (key, value, field) in [
        ("cardNumber", "4111111111111112", all[0]), // fails Luhn
        ("cardNumber", "4111", all[0]),
        ("expirationDate", "01/20", all[1]), // passed
        ("expirationDate", "13/39", all[1]),
        ("securityCode", "12", all[2]),
        ("securityCode", "1234", all[2]), // VISA has three digits
    ] {
        let path = [card[0], card[1], key];
        let problem = refused(&app, &token, &body_with(&path, json!(value)), &[field]).await;
        for other in all.iter().filter(|f| **f != field) {
            assert!(
                !fields(&problem).iter().any(|f| f == other),
                "{key}={value} also blamed {other}: {problem}"
            );
        }
        // Error messages never repeat the card number.
        assert!(!problem.to_string().contains("41111111"), "{problem}");
    }
    refused(
        &app,
        &token,
        &without(&["payment", "creditCard"]),
        &["payment.creditCard"],
    )
    .await;
    refused(
        &app,
        &token,
        &body_with(&["payment", "type"], json!("bitcoin")),
        &["payment.type"],
    )
    .await;
    assert_nothing_stored(&app, &token, "acme").await;
}

#[tokio::test]
async fn address_needs_a_known_country_and_a_us_state() {
    let (app, token) = app_with_one_account().await;
    let address = ["company", "address"];
    refused(
        &app,
        &token,
        &without(&[address[0], address[1], "state"]),
        &["company.address.state"],
    )
    .await;
    refused(
        &app,
        &token,
        &body_with(&[address[0], address[1], "state"], json!("Ontario")),
        &["company.address.state"],
    )
    .await;
    let problem = refused(
        &app,
        &token,
        &body_with(&[address[0], address[1], "country"], json!("Atlantis")),
        &["company.address.country"],
    )
    .await;
    assert_eq!(fields(&problem), vec!["company.address.country"]);
    assert_nothing_stored(&app, &token, "acme").await;
}

#[tokio::test]
async fn weak_password_names_the_owner_password() {
    let (app, token) = app_with_one_account().await;
    for password in ["abcdefgh", "12345678", "abc12", ""] {
        let body = body_with(&["general", "password"], json!(password));
        let problem = refused(&app, &token, &body, &["general.password"]).await;
        assert_eq!(fields(&problem), vec!["general.password"], "{problem}");
        // The password is never echoed.
        if !password.is_empty() {
            assert!(!problem.to_string().contains(password), "{problem}");
        }
    }
    assert_nothing_stored(&app, &token, "acme").await;
}

#[tokio::test]
async fn unknown_option_key_names_general_options() {
    let (app, token) = app_with_one_account().await;
    for (options, field) in [
        (json!({ "Color": "blue" }), "general.options.Color"),
        (
            json!({ "externalpartnerid": "x" }),
            "general.options.externalpartnerid",
        ),
        (
            json!({ "ExternalPartnerID": "x".repeat(256) }),
            "general.options.ExternalPartnerID",
        ),
    ] {
        // Options are v2's (OptionsV2); v1's general has none.
        let mut body = tests::account_body_v2("acme", None);
        body["general"]["options"] = options;
        let res = app
            .http
            .post(app.at("/v2/api/accounts"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = problem(res, StatusCode::BAD_REQUEST).await;
        assert_names(&problem, &[field]);
    }
    assert_nothing_stored(&app, &token, "acme").await;
}

#[tokio::test]
async fn malformed_names_contacts_and_programs_are_named() {
    let (app, token) = app_with_one_account().await;
    for (path, value, field) in [
        (
            &["general", "userName"][..],
            json!("acme/x"),
            "general.userName",
        ),
        (
            &["general", "userName"],
            json!("acme x"),
            "general.userName",
        ),
        (&["general", "userName"], json!("   "), "general.userName"),
        (
            &["general", "email"],
            json!("not-an-email"),
            "general.email",
        ),
        (&["general", "login"], json!("has space"), "general.login"),
        (
            &["general", "login"],
            json!("l".repeat(51)),
            "general.login",
        ),
        (
            &["company", "phone"],
            json!("1".repeat(51)),
            "company.phone",
        ),
        (&["company", "phone"], json!(""), "company.phone"),
        (
            &["company", "address", "city"],
            json!(""),
            "company.address.city",
        ),
        (&["partnerProgram"], json!("distributor"), "partnerProgram"),
        (&["partnerProgram"], json!("reseller"), "partnerProgram"),
    ] {
        refused(&app, &token, &body_with(path, value.clone()), &[field]).await;
    }
    assert_nothing_stored(&app, &token, "acme").await;
}

#[tokio::test]
async fn one_answer_names_every_bad_field_across_services() {
    let (app, token) = app_with_one_account().await;
    let mut body = long_named();
    body["planName"] = json!("platinum");
    body["general"]["password"] = json!("weak");
    body["payment"]["creditCard"]["cardNumber"] = json!("4111111111111112");
    body["company"]["address"]["country"] = json!("Atlantis");
    refused(
        &app,
        &token,
        &body,
        &[
            "general.userName",
            "planName",
            "general.password",
            "payment.creditCard.cardNumber",
            "company.address.country",
        ],
    )
    .await;
    assert_nothing_stored(&app, &token, &LONG_NAME[..50]).await;
}

#[tokio::test]
async fn wrong_content_type_is_a_415_problem() {
    let (app, token) = app_with_one_account().await;
    let json_text = account_body("acme", None).to_string();
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let mut req = app
            .http
            .post(app.at("/v1/api/accounts"))
            .bearer_auth(&token)
            .body(json_text.clone());
        if !content_type.is_empty() {
            req = req.header("content-type", content_type);
        }
        let res = req.send().await.unwrap();
        problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    }
    assert_nothing_stored(&app, &token, "acme").await;
    // The same text as JSON is fine, also with a charset.
    let res = post_raw(&app, &token, "application/json; charset=utf-8", &json_text).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    for path in [
        "/v1/api/nope",
        "/v3/api/accounts",
        "/nope",
        "/v1/api/accounts/x/y/z",
    ] {
        let res = app
            .http
            .get(app.at(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn wrong_method_is_a_405_problem() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    for (method, path) in [
        (reqwest::Method::PUT, "/v1/api/accounts".to_owned()),
        (reqwest::Method::DELETE, "/v1/api/accounts".to_owned()),
        (
            reqwest::Method::PATCH,
            format!("/v1/api/accounts/{}", app.root_id),
        ),
        (reqwest::Method::POST, "/v1/api/plans".to_owned()),
        (reqwest::Method::GET, "/oauth2/token".to_owned()),
    ] {
        let res = app
            .http
            .request(method.clone(), app.at(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let status = res.status();
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        problem(res, StatusCode::METHOD_NOT_ALLOWED).await;
    }
}

#[tokio::test]
async fn problems_carry_the_clients_request_id_when_it_is_sane() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let res = app
        .http
        .get(app.at("/v1/api/accounts?take=0"))
        .bearer_auth(&token)
        .header("x-request-id", "trace-1234.abc")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["x-request-id"].to_str().unwrap(),
        "trace-1234.abc"
    );
    let body = problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["requestId"], "trace-1234.abc");

    // One that is not sane is replaced by a fresh id, used consistently.
    let res = app
        .http
        .get(app.at("/v1/api/nope"))
        .header("x-request-id", "no spaces <allowed>")
        .send()
        .await
        .unwrap();
    let sent_back = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(sent_back, "no spaces <allowed>");
    problem(res, StatusCode::NOT_FOUND).await;
    let long = "a".repeat(200);
    let res = app
        .http
        .get(app.at("/v1/api/me"))
        .header("x-request-id", &long)
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"].to_str().unwrap(), long);
    problem(res, StatusCode::UNAUTHORIZED).await;
}
