//! v2's account model end to end: AccountCreateV2 and AccountGetV2, one
//! internal model read through both versions, the company in both models,
//! every field rule of a create (each a 400 naming the field, nothing
//! stored) and address validation.

#![allow(clippy::unwrap_used)]

mod common;

use common::{fields, head, id_of, put, total};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, account_body, account_body_v2};

async fn create_v2(app: &TestApp, token: &str, body: &Value) -> (StatusCode, Value) {
    app.post(token, "/v2/api/accounts", body).await
}

/// Creates `body` through v2, which must answer 201; returns the customer.
async fn created_v2(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, created) = create_v2(app, token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// `body` with `value` set at `path` (objects are created on the way).
fn with(mut body: Value, path: &[&str], value: Value) -> Value {
    let mut at = &mut body;
    for key in path {
        at = &mut at[*key];
    }
    *at = value;
    body
}

/// The v2 body of `name` with its company address replaced by `address`.
fn with_address(name: &str, address: Value) -> Value {
    with(
        account_body_v2(name, None),
        &["company", "address"],
        address,
    )
}

/// The v2 body of `name` with its card replaced by `card`.
fn with_card(name: &str, card: Value) -> Value {
    with(
        account_body_v2(name, None),
        &["payment", "creditCard"],
        card,
    )
}

/// Checks on a fresh app that the v2 create of `body` is refused with 400
/// naming exactly `field`, and that nothing was stored: the list total is
/// unchanged and the account name is still free.
async fn refused(body: Value, field: &str) {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    refused_on(&app, &token, &body, field).await;
}

async fn refused_on(app: &TestApp, token: &str, body: &Value, field: &str) {
    let name = body["general"]["accountName"].as_str().unwrap();
    let before = total(app, token, "").await;
    let (status, problem) = create_v2(app, token, body).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{name}, {field}: {problem}"
    );
    assert_eq!(fields(&problem), [field], "{name}: {problem}");
    assert_eq!(
        total(app, token, "").await,
        before,
        "{name}: something was stored"
    );
    let path = format!("/v2/api/accounts/{name}");
    assert_eq!(
        head(app, token, &path).await,
        StatusCode::NOT_FOUND,
        "{field}: {name} taken"
    );
}

#[tokio::test]
async fn v2_create_reads_back_through_v2_and_v1() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let created = created_v2(&app, &token, &account_body_v2("euro1", Some("business"))).await;
    let id = id_of(&created);
    assert_eq!(created["userName"], "euro1", "{created}");
    assert_eq!(created["planName"], "business", "{created}");
    assert_eq!(created["kind"], "account", "{created}");
    assert_eq!(created["state"], "enabled", "{created}");
    assert_eq!(
        created["parentPartnerID"],
        app.root_id.as_str(),
        "{created}"
    );
    assert_eq!(created["msaAccepted"], false, "{created}");
    let day = created["purchaseDate"].as_str().unwrap().to_owned();
    let b = day.as_bytes();
    assert!(
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()),
        "purchaseDate {day:?} is not YYYY-MM-DD"
    );

    let (status, v2) = app.get(&token, &format!("/v2/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(v2, created);

    let (status, v1) = app.get(&token, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{v1}");
    assert_eq!(v1["customerID"], id.as_str());
    assert_eq!(v1["userName"], "euro1");
    assert_eq!(v1["planName"], "business");
    assert_eq!(v1["state"], "enabled");
    let purchased = v1["purchaseDate"].as_str().unwrap();
    assert!(
        purchased.len() >= 20
            && purchased.starts_with(&day)
            && purchased.as_bytes()[10] == b'T'
            && (purchased.ends_with('Z') || purchased.contains('+')),
        "v1 purchaseDate {purchased:?} is not RFC 3339 of {day}"
    );

    let (status, company) = app
        .get(&token, &format!("/v2/api/accounts/{id}/company"))
        .await;
    assert_eq!(status, StatusCode::OK, "{company}");
    assert_eq!(company["name"], "euro1 BV", "{company}");
    assert_eq!(company["phone"], "+31 20 555 0100", "{company}");
    assert_eq!(
        company["culture"], "NL-NL",
        "culture is canonical: {company}"
    );
    assert_eq!(company["vatNumber"], "NL123456789B01", "{company}");
    let a = &company["address"];
    assert_eq!(a["addressLine1"], "Damrak 1", "{company}");
    assert_eq!(a["addressLine2"], "2nd floor", "{company}");
    assert_eq!(a["addressLine3"], "Suite 4", "{company}");
    assert_eq!(a["city"], "Amsterdam", "{company}");
    assert_eq!(a["state"], "NH", "{company}");
    assert_eq!(a["zip"], "1012 AB", "{company}");
    assert_eq!(a["country"], "NL", "{company}");

    let (status, v1_company) = app
        .get(&token, &format!("/v1/api/accounts/{id}/company"))
        .await;
    assert_eq!(status, StatusCode::OK, "{v1_company}");
    assert_eq!(v1_company["name"], "euro1 BV", "{v1_company}");
    let a = &v1_company["address"];
    assert_eq!(a["street"], "Damrak 1", "{v1_company}");
    assert_eq!(a["city"], "Amsterdam", "{v1_company}");
    assert_eq!(a["country"], "NL", "{v1_company}");
    for v2_only in ["addressLine1", "addressLine2", "addressLine3"] {
        assert!(a.get(v2_only).is_none(), "v1 shows {v2_only}: {v1_company}");
    }

    // The owner was created in v2's shape too: its culture is kept, canonical.
    let owner = created["ownerContactID"].as_str().unwrap().to_owned();
    let contact = common::contacts(&app)
        .await
        .get_contact(proto::contact::v1::GetContactRequest {
            contact_id: owner,
            customer_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(contact.culture, "NL-NL");
}

#[tokio::test]
async fn v1_create_reads_back_through_v2_with_street_as_address_line1() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, created) = app
        .post(&token, "/v1/api/accounts", &account_body("yankee1", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = id_of(&created);

    let (status, v2) = app.get(&token, &format!("/v2/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(v2["userName"], "yankee1");
    assert_eq!(
        v2["purchaseDate"].as_str().unwrap(),
        &created["purchaseDate"].as_str().unwrap()[..10]
    );

    let (status, company) = app
        .get(&token, &format!("/v2/api/accounts/{id}/company"))
        .await;
    assert_eq!(status, StatusCode::OK, "{company}");
    let a = &company["address"];
    assert_eq!(a["addressLine1"], "1 Main Street", "{company}");
    assert_eq!(a["addressLine2"], "", "{company}");
    assert_eq!(a["addressLine3"], "", "{company}");
    assert_eq!(a["city"], "Springfield", "{company}");
    assert_eq!(a["state"], "IL", "{company}");
    assert_eq!(a["zip"], "62701", "{company}");
    assert_eq!(a["country"], "US", "{company}");
    assert_eq!(company["culture"], "", "{company}");
    assert_eq!(company["vatNumber"], "", "{company}");
}

/// A French account (no state needed there); returns its id.
async fn french_account(app: &TestApp, token: &str, name: &str) -> String {
    let body = with_address(
        name,
        json!({"addressLine1": "1 Rue de Rivoli", "city": "Paris", "zip": "75001", "country": "FR"}),
    );
    id_of(&created_v2(app, token, &body).await)
}

#[tokio::test]
async fn company_update_v2_changes_only_what_it_names() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = id_of(&created_v2(&app, &token, &account_body_v2("euro1", None)).await);
    let path = format!("/v2/api/accounts/{id}/company");
    let (_, before) = app.get(&token, &path).await;

    let (status, updated) = put(&app, &token, &path, &json!({"phone": "+31 20 555 0199"})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let mut expected = before.clone();
    expected["phone"] = json!("+31 20 555 0199");
    assert_eq!(updated, expected);
    let (status, after) = app.get(&token, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after, expected);
}

#[tokio::test]
async fn company_update_to_germany_without_state_names_address_state_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = french_account(&app, &token, "paris1").await;
    let path = format!("/v2/api/accounts/{id}/company");
    let (_, before) = app.get(&token, &path).await;
    assert_eq!(before["address"]["country"], "FR", "{before}");

    let (status, problem) = put(&app, &token, &path, &json!({"address": {"country": "DE"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(fields(&problem), ["address.state"], "{problem}");
    let (_, after) = app.get(&token, &path).await;
    assert_eq!(after, before);
}

#[tokio::test]
async fn company_update_v1_street_is_address_line1_in_v2() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = id_of(&created_v2(&app, &token, &account_body_v2("euro1", None)).await);
    let (status, v1) = put(
        &app,
        &token,
        &format!("/v1/api/accounts/{id}/company"),
        &json!({"address": {"street": "Rokin 9"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v1}");
    assert_eq!(v1["address"]["street"], "Rokin 9", "{v1}");
    let (status, v2) = app
        .get(&token, &format!("/v2/api/accounts/{id}/company"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v2["address"]["addressLine1"], "Rokin 9", "{v2}");
    // What v1 cannot name stays as it was.
    assert_eq!(v2["address"]["addressLine2"], "2nd floor", "{v2}");
    assert_eq!(v2["address"]["addressLine3"], "Suite 4", "{v2}");
    assert_eq!(v2["culture"], "NL-NL", "{v2}");
    assert_eq!(v2["vatNumber"], "NL123456789B01", "{v2}");
}

#[tokio::test]
async fn company_update_v1_too_long_street_names_address_street() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = id_of(&created_v2(&app, &token, &account_body_v2("euro1", None)).await);
    let path = format!("/v1/api/accounts/{id}/company");
    let (_, before) = app.get(&token, &path).await;
    let (status, problem) = put(
        &app,
        &token,
        &path,
        &json!({"address": {"street": "s".repeat(101)}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(fields(&problem), ["address.street"], "{problem}");
    let (_, after) = app.get(&token, &path).await;
    assert_eq!(after, before);
}

// One test per field rule of a create.

#[tokio::test]
async fn account_name_of_16_characters_is_refused() {
    let body = account_body_v2("a234567890123456", None);
    refused(body, "general.accountName").await;
}

#[tokio::test]
async fn company_name_of_256_characters_is_refused() {
    let body = with(
        account_body_v2("longco", None),
        &["company", "name"],
        json!("c".repeat(256)),
    );
    refused(body, "company.name").await;
}

#[tokio::test]
async fn state_is_required_in_us_ca_nl_it_and_de() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    for (country, zip) in [
        ("US", "94105"),
        ("CA", "K1A 0B1"),
        ("NL", "1012 AB"),
        ("IT", "00184"),
        ("DE", "10115"),
    ] {
        let body = with_address(
            &format!("nostate{country}"),
            json!({"addressLine1": "1 Main Street", "city": "Town", "zip": zip, "country": country}),
        );
        refused_on(&app, &token, &body, "company.address.state").await;
    }
}

#[tokio::test]
async fn state_of_canada_must_be_a_canadian_province() {
    let body = with_address(
        "canada1",
        json!({"addressLine1": "24 Sussex Drive", "city": "Ottawa", "state": "Texas", "zip": "K1M 1M4", "country": "CA"}),
    );
    refused(body, "company.address.state").await;
}

#[tokio::test]
async fn state_is_not_required_in_france() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let id = french_account(&app, &token, "paris1").await;
    let (status, company) = app
        .get(&token, &format!("/v2/api/accounts/{id}/company"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(company["address"]["country"], "FR", "{company}");
    assert_eq!(company["address"]["state"], "", "{company}");
    assert_eq!(total(&app, &token, "").await, 1);
}

#[tokio::test]
async fn unknown_country_is_refused() {
    let body = with_address(
        "atlantis1",
        json!({"addressLine1": "1 Main Street", "city": "Poseidonia", "zip": "12345", "country": "Atlantis"}),
    );
    refused(body, "company.address.country").await;
}

#[tokio::test]
async fn company_culture_that_is_no_language_country_tag_is_refused() {
    let body = with(
        account_body_v2("culture1", None),
        &["company", "culture"],
        json!("xx-YY"),
    );
    refused(body, "company.culture").await;
}

#[tokio::test]
async fn owner_culture_that_is_no_language_country_tag_is_refused() {
    // Any `ll-CC` tag is a culture (DESIGN §6.2); `es-ES` is one, `es-XX` not.
    let body = with(
        account_body_v2("culture2", None),
        &["general", "owner", "culture"],
        json!("es-XX"),
    );
    refused(body, "general.owner.culture").await;
}

#[tokio::test]
async fn expiration_date_must_be_mm_yy() {
    let body = with_card(
        "mmyy1",
        json!({"type": "VISA", "cardNumber": "4111111111111111", "expirationDate": "13/30", "securityCode": "123"}),
    );
    refused(body, "payment.creditCard.expirationDate").await;
}

#[tokio::test]
async fn expired_card_is_refused() {
    let body = with_card(
        "expired1",
        json!({"type": "VISA", "cardNumber": "4111111111111111", "expirationDate": "01/20", "securityCode": "123"}),
    );
    refused(body, "payment.creditCard.expirationDate").await;
}

#[tokio::test]
async fn card_number_must_pass_luhn() {
    let body = with_card(
        "luhn1",
        json!({"type": "VISA", "cardNumber": "4111111111111112", "expirationDate": "12/39", "securityCode": "123"}),
    );
    refused(body, "payment.creditCard.cardNumber").await;
}

#[tokio::test]
async fn security_code_of_5_digits_is_refused() {
    let body = with_card(
        "cvv1",
        json!({"type": "VISA", "cardNumber": "4111111111111111", "expirationDate": "12/39", "securityCode": "12345"}),
    );
    refused(body, "payment.creditCard.securityCode").await;
}

#[tokio::test]
async fn maestro_needs_a_start_date() {
    let body = with_card(
        "maestro1",
        json!({"type": "MAESTRO", "cardNumber": "6759649826438453", "expirationDate": "12/39", "securityCode": "123"}),
    );
    refused(body, "payment.creditCard.startDate").await;
}

#[tokio::test]
async fn maestro_with_a_start_date_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let body = with_card(
        "maestro2",
        json!({"type": "MAESTRO", "cardNumber": "6759649826438453", "startDate": "01/20",
               "expirationDate": "12/39", "securityCode": "123"}),
    );
    created_v2(&app, &token, &body).await;
    assert_eq!(total(&app, &token, "").await, 1);
}

#[tokio::test]
async fn unknown_option_key_is_refused() {
    let body = with(
        account_body_v2("options1", None),
        &["general", "options"],
        json!({"Foo": "x"}),
    );
    refused(body, "general.options.Foo").await;
}

#[tokio::test]
async fn vat_number_with_an_eu_prefix_must_fit_that_states_format() {
    let body = with(
        account_body_v2("vat1", None),
        &["company", "vatNumber"],
        json!("DE12345"),
    );
    refused(body, "company.vatNumber").await;
}

#[tokio::test]
async fn dutch_postal_code_must_be_four_digits_and_two_letters() {
    let body = with_address(
        "zip1",
        json!({"addressLine1": "Damrak 1", "city": "Amsterdam", "state": "NH", "zip": "12345", "country": "NL"}),
    );
    refused(body, "company.address.zip").await;
}

// Address validation.

async fn validate(app: &TestApp, token: &str, address: Value) -> Value {
    let (status, answer) = app
        .post(
            token,
            "/v2/api/accounts/company/validAddress",
            &json!({ "address": address }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

fn changes(answer: &Value) -> Vec<&str> {
    answer["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn valid_address_refines_country_and_state_names_to_codes() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let answer = validate(
        &app,
        &token,
        json!({"addressLine1": "1 Infinite Loop", "city": "Cupertino", "state": "california",
               "zip": "95014", "country": "united states"}),
    )
    .await;
    assert_eq!(answer["status"], 1, "{answer}");
    assert_eq!(answer["address"]["country"], "US", "{answer}");
    assert_eq!(answer["address"]["state"], "CA", "{answer}");
    assert_eq!(
        answer["address"]["addressLine1"], "1 Infinite Loop",
        "{answer}"
    );
    assert_eq!(answer["address"]["zip"], "95014", "{answer}");
    let changed = changes(&answer);
    assert!(
        changed.contains(&"country") && changed.contains(&"state"),
        "{answer}"
    );
    assert!(answer["errors"].as_array().unwrap().is_empty(), "{answer}");
    assert_eq!(
        total(&app, &token, "").await,
        0,
        "validation stored something"
    );
}

#[tokio::test]
async fn valid_address_in_canonical_form_has_status_0_and_no_changes() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let address = json!({"addressLine1": "1 Infinite Loop", "addressLine2": "", "addressLine3": "",
                         "city": "Cupertino", "state": "CA", "zip": "95014", "country": "US"});
    let answer = validate(&app, &token, address.clone()).await;
    assert_eq!(answer["status"], 0, "{answer}");
    assert!(changes(&answer).is_empty(), "{answer}");
    assert!(answer["errors"].as_array().unwrap().is_empty(), "{answer}");
    assert_eq!(answer["address"], address, "{answer}");
    assert_eq!(
        total(&app, &token, "").await,
        0,
        "validation stored something"
    );
}

#[tokio::test]
async fn valid_address_without_a_us_state_has_status_2_naming_address_state() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let answer = validate(
        &app,
        &token,
        json!({"addressLine1": "1 Infinite Loop", "city": "Cupertino", "zip": "95014", "country": "US"}),
    )
    .await;
    assert_eq!(answer["status"], 2, "{answer}");
    let named: Vec<&str> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["address.state"], "{answer}");
    assert_eq!(
        total(&app, &token, "").await,
        0,
        "validation stored something"
    );
}
