//! The contract of record (`/work/shared/reference/000–002`, read with
//! DESIGN §6–§6.2) replayed as a partner integrator would:
//!
//! - `v1_reference_examples_replay`: every request example of 002 verbatim
//!   (only ids, dates and uniqueness changed) and every response example's
//!   field names and value sets: create an account and a partner, get, list
//!   by user name, `HEAD` a user name, billing kept from the payment, delete.
//! - `v2_reference_models_replay`: an AccountCreateV2 built member by member
//!   from 001's tables, in camelCase and in the tables' PascalCase; the same
//!   customer read through v1 and v2; a v2 partner; `validAddress` with an
//!   AddressV2 as the body.
//! - `model_tables_hold_field_by_field`: one row per limit of 001's model
//!   tables (and DESIGN §6.2's v1 general): a value at the limit is accepted,
//!   one past it is a 400 naming the field, a required field left out is a
//!   400 naming it, an optional one left out is accepted; after every
//!   refusal nothing was stored.
//! - `value_sets_hold`: `programs`, the owner password's minimum, card types
//!   in any case and security codes, culture as any `ll-CC` tag.
//!
//! Each test collects every failed check (with the answer's body) and
//! reports them all at the end, so one run lists everything the platform
//! does not do yet; it stops early only when a later step cannot run.

#![allow(clippy::unwrap_used)]

mod common;

use std::fmt::Write as _;
use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use common::{fields, head};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestApp;

// ---------------------------------------------------------------------------
// The reference's examples, verbatim (002_d02bdab804a53bf4.txt).

/// 002, `GET /v1/api/accounts`, "Response example" (filtered by userName).
const V1_LIST_RESPONSE: &str = r#"{ "count": 1, "total": 1, "items": [ { "programs": [ "account" ], "customerID": "78717cfafd164deea943cc53d43c2f35", "userName": "my-test-partner-account", "purchaseDate": "2017-04-13T09:42:59.777+00:00", "parentPartnerID": "b29279dec0744bd689c0e9f786c3d01f", "planName": "Sharepoint" } ] }"#;

/// 002, `POST /v1/api/accounts`, "Request Body example".
const V1_CREATE_REQUEST: &str = r#"{ "programs": [ "account" ], "general": { "userName": "test-partner-account", "login": "test-partner-account", "password": "qwerty123!!!2133333", "parentPartnerID": "b29279dec0744bd689c0e9f786c3d01f", "name": "Test User", "email": "test-user1@test.com" }, "company": { "name": "Company name", "phone": "123456789", "address": { "country": "United States", "state": "California", "city": "Anaheim", "street": "104 South Anaheim Boulevard", "zip": "92805-6010" } }, "payment": { "name": " Company name ", "phone": "12365458789", "address": { "country": "United States", "state": "California", "city": "Anaheim", "street": "104 South Anaheim Boulevard", "zip": "92805-6010" }, "creditCard": { "type": "VISA", "cardNumber": "4111111111111111", "expirationDate": "04/18", "securityCode": "111" }, "type": "creditCard" }, "planName": "Sharepoint" }"#;

/// 002, `POST /v1/api/accounts`, "Response Body example".
const V1_CREATE_RESPONSE: &str = r#"{ "programs": [ "account" ], "customerID": "50b24ca9f75946958de104eb2ee219b7", "userName": "test-partner-account", "purchaseDate": "2017-04-20T09:50:26.203+00:00", "parentPartnerID": "b29279dec0744bd689c0e9f786c3d01f", "planName": "Sharepoint" }"#;

/// 002, `GET /v1/api/accounts/{customerID}`, "Response Body example" (a
/// partner).
const V1_GET_RESPONSE: &str = r#"{ "programs": [ "partner" ], "customerID": "b29279dec0744bd689c0e9f786c3d01f", "userName": "my-test-partner-account", "purchaseDate": "2016-12-13T16:40:32.273+00:00", "parentPartnerID": "a92d86e73033400b9a619d97420600eb" }"#;

/// 001, AccountGetV2Model `purchaseDate`: "YYYY-MM-DD".
const V2_PURCHASE_DATE: &str = "2017-04-20";

/// 001, AddressValidationV2Model: the members of a `validAddress` answer.
const ADDRESS_VALIDATION_MEMBERS: [&str; 4] = ["status", "address", "changes", "errors"];

fn parse(example: &str) -> Value {
    serde_json::from_str(example).unwrap()
}

/// The AccountGetV2Model shape of a v1 response example: 001's
/// `YYYY-MM-DD` purchase date.
fn v2_shape(v1_example: &str) -> Value {
    let mut example = parse(v1_example);
    example["purchaseDate"] = json!(V2_PURCHASE_DATE);
    example
}

// ---------------------------------------------------------------------------
// Collecting checks.

/// Every failed check of a test, reported together at the end.
#[derive(Default)]
struct Checks {
    failed: Vec<String>,
    passed: usize,
}

impl Checks {
    /// Records `what` as failed unless `ok`; returns `ok`.
    #[track_caller]
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) -> bool {
        if ok {
            self.passed += 1;
        } else {
            let at = Location::caller();
            self.failed.push(format!("[line {}] {}", at.line(), what()));
        }
        ok
    }

    /// Records a failure that stops the test here, then reports all.
    #[track_caller]
    fn fatal(&mut self, what: String) -> ! {
        self.check(false, || format!("{what} (cannot go on)"));
        self.finish();
        unreachable!()
    }

    #[track_caller]
    fn finish(&self) {
        if self.failed.is_empty() {
            return;
        }
        let mut report = format!(
            "{} check(s) failed, {} passed:\n",
            self.failed.len(),
            self.passed
        );
        for f in &self.failed {
            let _ = writeln!(report, "- {f}");
        }
        panic!("{report}");
    }
}

// ---------------------------------------------------------------------------
// Values and bodies.

static UNIQUE: AtomicU32 = AtomicU32::new(1);

/// A number no other call of this process gets.
fn uniq() -> u32 {
    UNIQUE.fetch_add(1, Ordering::Relaxed)
}

/// A card expiry five years ahead, in the example's month: `MM/YY`.
fn future_expiry() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let year = 1970 + secs / 31_556_952;
    format!("04/{:02}", (year + 5) % 100)
}

/// Whether `actual` has the shape of the reference's `example`: a digit
/// where it has a digit, the same character everywhere else.
fn same_shape(actual: &str, example: &str) -> bool {
    actual.chars().count() == example.chars().count()
        && actual.chars().zip(example.chars()).all(|(a, e)| {
            if e.is_ascii_digit() {
                a.is_ascii_digit()
            } else {
                a == e
            }
        })
}

/// 32 lowercase hex characters, like the reference's ids.
fn is_id(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The JSON pointer of a dotted path (`company.address.zip`).
fn pointer(path: &str) -> String {
    format!("/{}", path.replace('.', "/"))
}

/// The value at a dotted path, `Null` when absent.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    v.pointer(&pointer(path)).unwrap_or(&Value::Null)
}

/// Sets the value at a dotted path (objects are created on the way).
fn set(body: &mut Value, path: &str, value: Value) {
    let mut here = body;
    for key in path.split('.') {
        here = &mut here[key];
    }
    *here = value;
}

/// Removes the member at a dotted path.
fn remove(body: &mut Value, path: &str) {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (pointer(parent), key),
        None => (String::new(), path),
    };
    if let Some(obj) = body.pointer_mut(&parent).and_then(Value::as_object_mut) {
        obj.remove(key);
    }
}

/// `body` with every member name in the PascalCase of the v2 reference
/// tables (`Programs`, `General`, `AccountName`, `AddressLine1`, …); the
/// `options` dictionary keeps its keys.
fn pascal(v: &Value) -> Value {
    match v {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key: String = chars
                        .next()
                        .map(|c| c.to_ascii_uppercase())
                        .into_iter()
                        .chain(chars)
                        .collect();
                    let value = if k == "options" { v.clone() } else { pascal(v) };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(pascal).collect()),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------
// The app and the integrator's first steps.

struct Ctx {
    app: TestApp,
    token: String,
    /// The root partner, from `GET /v1/api/me` → `customerID`.
    root: String,
    /// The first plan the root sells (`GET /v1/api/accounts/{root}/plans`).
    plan: String,
}

async fn start() -> Ctx {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, me) = app.get(&token, "/v1/api/me").await;
    assert_eq!(status, StatusCode::OK, "GET /v1/api/me: {me}");
    let root = me["customerID"]
        .as_str()
        .unwrap_or_else(|| panic!("GET /v1/api/me has no customerID: {me}"))
        .to_owned();
    let (status, plans) = app
        .get(&token, &format!("/v1/api/accounts/{root}/plans"))
        .await;
    assert_eq!(status, StatusCode::OK, "GET …/{root}/plans: {plans}");
    let plan = plans["items"][0]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("the root sells no plan: {plans}"))
        .to_owned();
    Ctx {
        app,
        token,
        root,
        plan,
    }
}

impl Ctx {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.app.get(&self.token, path).await
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.app.post(&self.token, path, body).await
    }

    async fn head(&self, path: &str) -> StatusCode {
        head(&self.app, &self.token, path).await
    }

    /// `total` of the unfiltered account list, `None` when it does not
    /// answer a page.
    async fn total(&self) -> Option<i64> {
        let (status, page) = self.get("/v1/api/accounts").await;
        (status == StatusCode::OK).then(|| page["total"].as_i64())?
    }

    /// 002's v1 request example with a real parent and plan, a future
    /// expiry and a user name and login of its own (`test-partner-account`
    /// + `suffix`). Everything else is as the reference wrote it.
    fn v1_example(&self, suffix: &str) -> Value {
        let mut body = parse(V1_CREATE_REQUEST);
        let user = format!("test-partner-account{suffix}");
        body["general"]["userName"] = json!(user);
        body["general"]["login"] = json!(user);
        body["general"]["parentPartnerID"] = json!(self.root);
        body["planName"] = json!(self.plan);
        body["payment"]["creditCard"]["expirationDate"] = json!(future_expiry());
        body
    }

    /// An AccountCreateV2Model with every member of 001's tables: a Belgian
    /// company (no state required there, free postal format) with all three
    /// address lines, culture and VAT number; an owner with a cellular
    /// phone; every option key; a VISA the sandbox approves; `name` is the
    /// account name (≤ 15) and the owner's login stem.
    fn v2_body(&self, name: &str) -> Value {
        let address = json!({
            "country": "Belgium",
            "city": "Brussels",
            "addressLine1": "Rue de la Loi 16",
            "addressLine2": "Bâtiment B",
            "addressLine3": "3e étage",
            "zip": "1000"
        });
        json!({
            "programs": ["account"],
            "general": {
                "accountName": name,
                "parentPartnerID": self.root,
                "owner": {
                    "password": "qwerty123",
                    "login": format!("{name}-owner"),
                    "name": "Jan Peeters",
                    "email": format!("{name}@example.be"),
                    "cellularPhone": "+32 470 12 34 56"
                },
                "options": {
                    "ExternalPartnerID": format!("ext-{name}"),
                    "ExternalReferralID": format!("ref-{name}"),
                    "PaymentMethodConfirmationRequired": "false"
                }
            },
            "company": {
                "name": "Peeters Consulting BV",
                "phone": "+32 2 555 01 00",
                "address": address,
                "culture": "EN-GB",
                "vatNumber": "BE0123456789"
            },
            "payment": {
                "name": "Jan Peeters",
                "phone": "+32 2 555 01 01",
                "address": address,
                "creditCard": {
                    "type": "VISA",
                    "cardNumber": "4111111111111111",
                    "expirationDate": future_expiry(),
                    "securityCode": "111"
                },
                "type": "creditCard"
            },
            "planName": self.plan,
            "partnerProgram": "partner"
        })
    }
}

/// Checks that `actual` answers every member of the reference's `example`
/// with the example's value set: `programs` one of `["partner"]` /
/// `["account"]`, ids 32 lowercase hex, `purchaseDate` in the example's
/// shape, the rest strings.
fn check_like_example(c: &mut Checks, what: &str, actual: &Value, example: &Value) {
    let Some(members) = example.as_object() else {
        return;
    };
    for (name, sample) in members {
        let got = &actual[name.as_str()];
        match name.as_str() {
            "programs" => c.check(
                got == &json!(["partner"]) || got == &json!(["account"]),
                || {
                    format!(
                        "{what}: programs {got} is not [\"partner\"] or [\"account\"]: {actual}"
                    )
                },
            ),
            "customerID" | "parentPartnerID" => c.check(is_id(got), || {
                format!("{what}: {name} {got} is not 32 lowercase hex: {actual}")
            }),
            "purchaseDate" => c.check(
                got.as_str()
                    .is_some_and(|d| same_shape(d, sample.as_str().unwrap())),
                || format!("{what}: purchaseDate {got} is not shaped like {sample}: {actual}"),
            ),
            _ => c.check(got.is_string(), || {
                format!("{what}: {name} is {got}, not a string like {sample}: {actual}")
            }),
        };
    }
}

// ---------------------------------------------------------------------------
// 1. The reference's examples.

#[tokio::test]
async fn v1_reference_examples_replay() {
    let ctx = start().await;
    let mut c = Checks::default();
    let create_example = parse(V1_CREATE_RESPONSE);
    let get_example = parse(V1_GET_RESPONSE);
    let list_example = parse(V1_LIST_RESPONSE);

    // POST /v1/api/accounts: the request body example.
    let body = ctx.v1_example("-1");
    let user = body["general"]["userName"].as_str().unwrap().to_owned();
    let (status, created) = ctx.post("/v1/api/accounts", &body).await;
    if status != StatusCode::CREATED {
        c.fatal(format!(
            "POST /v1/api/accounts (002 request example): expected 201, got {status}: {created}"
        ));
    }
    check_like_example(&mut c, "POST /v1/api/accounts", &created, &create_example);
    c.check(created["programs"] == json!(["account"]), || {
        format!("created programs: expected [\"account\"]: {created}")
    });
    c.check(created["userName"] == json!(user), || {
        format!("created userName: expected {user:?}: {created}")
    });
    c.check(created["parentPartnerID"] == json!(ctx.root), || {
        format!("created parentPartnerID: expected {}: {created}", ctx.root)
    });
    c.check(created["planName"] == json!(ctx.plan), || {
        format!("created planName: expected {:?}: {created}", ctx.plan)
    });
    let id = created["customerID"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if id.is_empty() {
        c.fatal(format!("the created account has no customerID: {created}"));
    }

    // GET /v1/api/accounts/{id}: the same shape and values.
    let (status, got) = ctx.get(&format!("/v1/api/accounts/{id}")).await;
    c.check(status == StatusCode::OK, || {
        format!("GET /v1/api/accounts/{{id}}: expected 200, got {status}: {got}")
    });
    check_like_example(&mut c, "GET /v1/api/accounts/{id}", &got, &create_example);
    for member in create_example.as_object().unwrap().keys() {
        c.check(got[member] == created[member], || {
            format!(
                "GET /v1/api/accounts/{{id}} {member}: {} ≠ created {}: {got}",
                got[member], created[member]
            )
        });
    }

    // GET /v1/api/accounts?userName=…: the list example's shape.
    let (status, page) = ctx.get(&format!("/v1/api/accounts?userName={user}")).await;
    c.check(status == StatusCode::OK, || {
        format!("GET /v1/api/accounts?userName=: expected 200, got {status}: {page}")
    });
    for member in list_example.as_object().unwrap().keys() {
        c.check(page.get(member).is_some(), || {
            format!("list answer lacks {member}: {page}")
        });
    }
    c.check(page["count"] == 1 && page["total"] == 1, || {
        format!("list by userName: expected count 1, total 1: {page}")
    });
    let item = &page["items"][0];
    check_like_example(&mut c, "list item", item, &list_example["items"][0]);
    c.check(
        item["customerID"] == json!(id) && item["userName"] == json!(user),
        || format!("list by userName: expected the created account: {page}"),
    );

    // HEAD /v1/api/accounts/{userName}: 200 taken, 404 free.
    let taken = ctx.head(&format!("/v1/api/accounts/{user}")).await;
    c.check(taken == StatusCode::OK, || {
        format!("HEAD of the taken {user}: expected 200, got {taken}")
    });
    let free = format!("free-name-{}", uniq());
    let free_status = ctx.head(&format!("/v1/api/accounts/{free}")).await;
    c.check(free_status == StatusCode::NOT_FOUND, || {
        format!("HEAD of the free {free}: expected 404, got {free_status}")
    });

    // The payment's name, phone and address are the billing information.
    let (status, billing) = ctx.get(&format!("/v1/api/accounts/{id}/billing")).await;
    c.check(status == StatusCode::OK, || {
        format!("GET …/billing: expected 200, got {status}: {billing}")
    });
    c.check(billing["name"] == "Company name", || {
        format!("billing name: expected the payment's \"Company name\" (trimmed): {billing}")
    });
    c.check(billing["phone"] == "12365458789", || {
        format!("billing phone: expected the payment's \"12365458789\": {billing}")
    });
    c.check(
        billing["address"].is_object() && billing["address"]["city"] == "Anaheim",
        || format!("billing address: expected the payment's address (city Anaheim): {billing}"),
    );

    // DELETE with reason and comments: 204, and then it is gone.
    let (status, deleted) = ctx
        .app
        .delete(
            &ctx.token,
            &format!(
                "/v1/api/accounts/{id}?reason=non-payment&comments=business%20ceased%20operations"
            ),
        )
        .await;
    c.check(status == StatusCode::NO_CONTENT, || {
        format!(
            "DELETE /v1/api/accounts/{{id}}?reason&comments: expected 204, got {status}: {deleted}"
        )
    });
    let (status, gone) = ctx.get(&format!("/v1/api/accounts/{id}")).await;
    c.check(status == StatusCode::NOT_FOUND, || {
        format!("GET of a deleted account: expected 404, got {status}: {gone}")
    });

    // The partner flavour: the same example with programs ["partner"].
    let mut body = ctx.v1_example("-p1");
    body["programs"] = json!(["partner"]);
    remove(&mut body, "planName");
    let partner_user = body["general"]["userName"].as_str().unwrap().to_owned();
    let (status, partner) = ctx.post("/v1/api/accounts", &body).await;
    if c.check(status == StatusCode::CREATED, || {
        format!("POST /v1/api/accounts with programs [\"partner\"]: expected 201, got {status}: {partner}")
    }) {
        check_like_example(&mut c, "POST partner", &partner, &get_example);
        c.check(partner["programs"] == json!(["partner"]), || {
            format!("created partner programs: expected [\"partner\"]: {partner}")
        });
        c.check(partner["userName"] == json!(partner_user), || {
            format!("created partner userName: expected {partner_user:?}: {partner}")
        });
        let pid = partner["customerID"].as_str().unwrap_or_default();
        let (status, got) = ctx.get(&format!("/v1/api/accounts/{pid}")).await;
        c.check(status == StatusCode::OK, || {
            format!("GET of the partner: expected 200, got {status}: {got}")
        });
        check_like_example(&mut c, "GET partner (002 GET example)", &got, &get_example);
        c.check(got["programs"] == json!(["partner"]), || {
            format!("GET partner programs: expected [\"partner\"]: {got}")
        });
        c.check(got["parentPartnerID"] == json!(ctx.root), || {
            format!("GET partner parentPartnerID: expected {}: {got}", ctx.root)
        });
    }
    c.finish();
}

#[tokio::test]
async fn v2_reference_models_replay() {
    let ctx = start().await;
    let mut c = Checks::default();
    let v1_example = parse(V1_CREATE_RESPONSE);
    let v2_example = v2_shape(V1_CREATE_RESPONSE);
    let v2_partner_example = v2_shape(V1_GET_RESPONSE);

    // AccountCreateV2Model, every member, camelCase.
    let name = "peeters1";
    let mut body = ctx.v2_body(name);
    let (mut status, mut created) = ctx.post("/v2/api/accounts", &body).await;
    if status == StatusCode::BAD_REQUEST && fields(&created).iter().any(|f| f == "partnerProgram") {
        // partnerProgram is in the table as optional; go on without it to
        // learn the rest.
        c.check(false, || {
            format!("POST /v2/api/accounts: the table's optional partnerProgram refused on an account: {created}")
        });
        remove(&mut body, "partnerProgram");
        (status, created) = ctx.post("/v2/api/accounts", &body).await;
    }
    if status != StatusCode::CREATED {
        c.fatal(format!(
            "POST /v2/api/accounts (AccountCreateV2Model, camelCase): expected 201, got {status}: {created}"
        ));
    }
    check_like_example(&mut c, "POST /v2/api/accounts", &created, &v2_example);
    c.check(created["programs"] == json!(["account"]), || {
        format!("v2 created programs: expected [\"account\"]: {created}")
    });
    c.check(created["userName"] == name, || {
        format!("v2 created userName: expected the accountName {name:?}: {created}")
    });
    c.check(created["planName"] == json!(ctx.plan), || {
        format!("v2 created planName: expected {:?}: {created}", ctx.plan)
    });
    c.check(created["parentPartnerID"] == json!(ctx.root), || {
        format!(
            "v2 created parentPartnerID: expected {}: {created}",
            ctx.root
        )
    });
    let id = created["customerID"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // One customer, read through both versions.
    let (status, v2) = ctx.get(&format!("/v2/api/accounts/{id}")).await;
    c.check(status == StatusCode::OK, || {
        format!("GET /v2/api/accounts/{{id}}: expected 200, got {status}: {v2}")
    });
    check_like_example(&mut c, "GET /v2/api/accounts/{id}", &v2, &v2_example);
    let (status, v1) = ctx.get(&format!("/v1/api/accounts/{id}")).await;
    c.check(status == StatusCode::OK, || {
        format!("GET /v1/api/accounts/{{id}} of a v2 create: expected 200, got {status}: {v1}")
    });
    check_like_example(
        &mut c,
        "GET /v1/api/accounts/{id} (v2 create)",
        &v1,
        &v1_example,
    );
    for member in [
        "programs",
        "customerID",
        "userName",
        "parentPartnerID",
        "planName",
    ] {
        c.check(
            v1[member] == created[member] && v2[member] == created[member],
            || {
                format!(
                    "{member}: v1 {} / v2 {} / created {}",
                    v1[member], v2[member], created[member]
                )
            },
        );
    }
    let day = created["purchaseDate"].as_str().unwrap_or("?");
    c.check(
        v1["purchaseDate"]
            .as_str()
            .is_some_and(|d| d.starts_with(day)),
        || {
            format!(
                "v1 purchaseDate {} is not on the v2 day {day}",
                v1["purchaseDate"]
            )
        },
    );

    // The company and billing as sent.
    check_company(&mut c, &ctx, &id, &body, "camelCase").await;

    // The same body in the tables' PascalCase.
    let name = "peeters2";
    let mut camel = ctx.v2_body(name);
    if body.get("partnerProgram").is_none() {
        remove(&mut camel, "partnerProgram");
    }
    let body = pascal(&camel);
    let (status, created) = ctx.post("/v2/api/accounts", &body).await;
    if c.check(status == StatusCode::CREATED, || {
        format!("POST /v2/api/accounts in PascalCase (Programs, General, AccountName, …): expected 201, got {status}: {created}")
    }) {
        check_like_example(&mut c, "POST /v2/api/accounts (PascalCase)", &created, &v2_example);
        c.check(created["programs"] == json!(["account"]), || {
            format!("PascalCase programs: expected [\"account\"]: {created}")
        });
        c.check(created["userName"] == name, || {
            format!("PascalCase userName: expected {name:?}: {created}")
        });
        let id = created["customerID"].as_str().unwrap_or_default().to_owned();
        check_company(&mut c, &ctx, &id, &camel, "PascalCase").await;
    }

    // A v2 partner: programs ["partner"], no plan, partnerProgram partner.
    let mut body = ctx.v2_body("peetersp1");
    body["programs"] = json!(["partner"]);
    remove(&mut body, "planName");
    let (status, partner) = ctx.post("/v2/api/accounts", &body).await;
    if c.check(status == StatusCode::CREATED, || {
        format!(
            "POST /v2/api/accounts programs [\"partner\"]: expected 201, got {status}: {partner}"
        )
    }) {
        check_like_example(
            &mut c,
            "POST /v2/api/accounts (partner)",
            &partner,
            &v2_partner_example,
        );
        c.check(partner["programs"] == json!(["partner"]), || {
            format!("v2 partner programs: expected [\"partner\"]: {partner}")
        });
        let pid = partner["customerID"].as_str().unwrap_or_default();
        let (status, got) = ctx.get(&format!("/v1/api/accounts/{pid}")).await;
        c.check(status == StatusCode::OK && got["programs"] == json!(["partner"]), || {
            format!("GET /v1/api/accounts/{{partner}}: expected 200 programs [\"partner\"], got {status}: {got}")
        });
    }

    // validAddress: the AddressV2Model itself is the body.
    let address = json!({
        "country": "United States",
        "state": "California",
        "city": "Anaheim",
        "addressLine1": "104 South Anaheim Boulevard",
        "addressLine2": "",
        "addressLine3": "",
        "zip": "92805-6010"
    });
    for (style, body) in [
        ("camelCase", address.clone()),
        ("PascalCase", pascal(&address)),
    ] {
        let (status, answer) = ctx
            .post("/v2/api/accounts/company/validAddress", &body)
            .await;
        c.check(status == StatusCode::OK, || {
            format!("POST validAddress with an AddressV2Model body ({style}): expected 200, got {status}: {answer}")
        });
        for member in ADDRESS_VALIDATION_MEMBERS {
            c.check(answer.get(member).is_some(), || {
                format!("validAddress ({style}) answer lacks {member}: {answer}")
            });
        }
        c.check(
            answer["status"] == 1
                && answer["address"]["country"] == "US"
                && answer["address"]["state"] == "CA"
                && answer["address"]["city"] == "Anaheim"
                && answer["changes"].is_array()
                && answer["errors"].as_array().is_some_and(Vec::is_empty),
            || {
                format!(
                    "validAddress ({style}): expected status 1, US/CA refined, no errors: {answer}"
                )
            },
        );
    }
    c.finish();
}

/// Checks that `GET /v2/api/accounts/{id}/company` and `…/billing` answer
/// what the v2 `body` sent (`body` in camelCase).
async fn check_company(c: &mut Checks, ctx: &Ctx, id: &str, body: &Value, style: &str) {
    let (status, company) = ctx.get(&format!("/v2/api/accounts/{id}/company")).await;
    c.check(status == StatusCode::OK, || {
        format!(
            "GET /v2/api/accounts/{{id}}/company ({style}): expected 200, got {status}: {company}"
        )
    });
    for member in [
        "name",
        "phone",
        "culture",
        "vatNumber",
        "address.city",
        "address.addressLine1",
        "address.addressLine2",
        "address.addressLine3",
        "address.zip",
    ] {
        let sent = at(&body["company"], member);
        let got = at(&company, member);
        c.check(got == sent, || {
            format!("company {member} ({style}): sent {sent}, answered {got}: {company}")
        });
    }
    let country = at(&company, "address.country");
    c.check(country == "BE" || country == "Belgium", || {
        format!("company address.country ({style}): expected Belgium or BE: {company}")
    });
    let (status, billing) = ctx.get(&format!("/v1/api/accounts/{id}/billing")).await;
    c.check(
        status == StatusCode::OK
            && billing["name"] == body["payment"]["name"]
            && billing["phone"] == body["payment"]["phone"]
            && billing["address"]["city"] == "Brussels",
        || format!("billing ({style}): expected the payment's name, phone and address, got {status}: {billing}"),
    );
}

// ---------------------------------------------------------------------------
// 2. The model tables, field by field.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    V1,
    V2,
}

/// How a row makes a valid value of a given length (in characters).
#[derive(Clone, Copy, Debug)]
enum Gen {
    /// Letters with accents and hyphens (`Société-Zoë-Liège-…`): lengths
    /// are in characters, not bytes.
    Text,
    Digits,
    /// `+`, digits and spaces.
    Phone,
    /// `e{n}.xxx@example.com`.
    Email,
    /// `l{n}-xxx`: unique, no spaces.
    Login,
    /// `n{n}-xxx`: a unique user or account name.
    Name,
    /// The card expiry (`MM/YY`); one past is `0MM/YY`.
    Expiry,
    /// `01/20`; one past is `001/20`.
    StartDate,
    /// No length rule: only required or not.
    None,
}

fn value(g: Gen, len: usize) -> Value {
    let pad = |stem: String, fill: char| -> String {
        let mut s = stem;
        while s.chars().count() < len {
            s.push(fill);
        }
        s
    };
    let s = match g {
        Gen::Text => "Société-Zoë-Liège-".chars().cycle().take(len).collect(),
        Gen::Digits => "1234567890".chars().cycle().take(len).collect(),
        Gen::Phone => {
            let mut s: String = (0..len)
                .map(|i| match i {
                    0 => '+',
                    i if i % 4 == 0 => ' ',
                    i => char::from(b'0' + (i % 10) as u8),
                })
                .collect();
            if s.ends_with(' ') {
                s.pop();
                s.push('9');
            }
            s
        }
        Gen::Email => {
            let domain = "@example.com";
            let local = pad(format!("e{}.", uniq()), 'x');
            let local: String = local.chars().take(len - domain.len()).collect();
            format!("{local}{domain}")
        }
        Gen::Login => pad(format!("l{}-", uniq()), 'x'),
        Gen::Name => pad(format!("n{}-", uniq()), 'x'),
        Gen::Expiry => {
            let e = future_expiry();
            if len > 5 { format!("0{e}") } else { e }
        }
        Gen::StartDate => {
            if len > 5 {
                "001/20".into()
            } else {
                "01/20".into()
            }
        }
        Gen::None => String::new(),
    };
    json!(s)
}

/// The card a row's base body pays with.
#[derive(Clone, Copy, Debug)]
enum Card {
    Visa,
    /// 4-digit security code.
    Amex,
    /// Start date (and issue number) apply.
    Maestro,
}

fn card(kind: Card) -> Value {
    match kind {
        Card::Visa => json!({"type": "VISA", "cardNumber": "4111111111111111",
                             "expirationDate": future_expiry(), "securityCode": "123"}),
        Card::Amex => json!({"type": "AMEX", "cardNumber": "378282246310005",
                             "expirationDate": future_expiry(), "securityCode": "1234"}),
        Card::Maestro => {
            json!({"type": "Maestro", "cardNumber": "6759649826438453", "startDate": "01/20",
                                "expirationDate": future_expiry(), "securityCode": "123"})
        }
    }
}

/// One limit of a reference table.
#[derive(Clone, Copy, Debug)]
struct Row {
    api: Api,
    /// The member's path in the create body, as the body spells it; also
    /// what the problem's `errors[].field` must say.
    path: &'static str,
    max: Option<usize>,
    required: bool,
    make: Gen,
    card: Card,
    /// Whether a value of exactly `max` characters can be valid (no
    /// 10-character card type or 50-character country exists).
    at_limit: bool,
}

const fn row(api: Api, path: &'static str, max: usize, required: bool, make: Gen) -> Row {
    Row {
        api,
        path,
        max: Some(max),
        required,
        make,
        card: Card::Visa,
        at_limit: true,
    }
}

/// A member with no length rule, required or optional.
const fn presence(api: Api, path: &'static str, required: bool) -> Row {
    Row {
        api,
        path,
        max: None,
        required,
        make: Gen::None,
        card: Card::Visa,
        at_limit: false,
    }
}

impl Row {
    const fn card(mut self, card: Card) -> Self {
        self.card = card;
        self
    }
    const fn over_only(mut self) -> Self {
        self.at_limit = false;
        self
    }
}

/// 001's AddressV2Model, under `prefix`.
fn address_rows(prefix: &'static str) -> Vec<Row> {
    let p =
        |f: &'static str| -> &'static str { Box::leak(format!("{prefix}.{f}").into_boxed_str()) };
    use Api::V2;
    vec![
        // A valid country: no country name has 50 characters.
        row(V2, p("country"), 50, true, Gen::Text).over_only(),
        // Not required in Belgium; free there.
        row(V2, p("state"), 50, false, Gen::Text),
        row(V2, p("city"), 50, true, Gen::Text),
        row(V2, p("addressLine1"), 100, true, Gen::Text),
        row(V2, p("addressLine2"), 100, false, Gen::Text),
        row(V2, p("addressLine3"), 100, false, Gen::Text),
        // Belgium has no postal-code format check: any 50 characters.
        row(V2, p("zip"), 50, true, Gen::Digits),
    ]
}

fn table_rows() -> Vec<Row> {
    use Api::{V1, V2};
    let mut rows = vec![
        // AccountCreateV2Model
        presence(V2, "programs", true),
        presence(V2, "general", true),
        presence(V2, "company", true),
        presence(V2, "payment", true),
        // Required for programs ["account"].
        presence(V2, "planName", true),
        // AccountGeneralV2Model
        row(V2, "general.accountName", 15, true, Gen::Name),
        presence(V2, "general.parentPartnerID", false),
        presence(V2, "general.owner", true),
        presence(V2, "general.options", false),
        // OptionsV2Model: values ≤ 255.
        row(
            V2,
            "general.options.ExternalPartnerID",
            255,
            false,
            Gen::Text,
        ),
        row(
            V2,
            "general.options.ExternalReferralID",
            255,
            false,
            Gen::Text,
        ),
        // AccountOwnerCreateV2Model (password: at least 6, DESIGN §6.2).
        presence(V2, "general.owner.password", true),
        row(V2, "general.owner.login", 50, true, Gen::Login),
        row(V2, "general.owner.name", 50, true, Gen::Text),
        row(V2, "general.owner.email", 50, true, Gen::Email),
        row(V2, "general.owner.cellularPhone", 50, false, Gen::Phone),
        // CompanyV2Model
        row(V2, "company.name", 255, true, Gen::Text),
        row(V2, "company.phone", 50, true, Gen::Phone),
        presence(V2, "company.address", true),
        presence(V2, "company.culture", false),
        row(V2, "company.vatNumber", 50, false, Gen::Digits),
        // PaymentV2Model
        row(V2, "payment.name", 50, true, Gen::Text),
        row(V2, "payment.phone", 100, true, Gen::Phone),
        presence(V2, "payment.address", true),
        presence(V2, "payment.type", true),
        // Required for type creditCard.
        presence(V2, "payment.creditCard", true),
        // PaymentCreditCardV2Model: no card type has 10 characters, no
        // card number 20.
        row(V2, "payment.creditCard.type", 10, true, Gen::Text).over_only(),
        row(V2, "payment.creditCard.cardNumber", 20, true, Gen::Digits).over_only(),
        row(V2, "payment.creditCard.issueNumber", 2, false, Gen::Digits).card(Card::Maestro),
        row(V2, "payment.creditCard.startDate", 5, true, Gen::StartDate).card(Card::Maestro),
        row(
            V2,
            "payment.creditCard.expirationDate",
            5,
            true,
            Gen::Expiry,
        ),
        row(V2, "payment.creditCard.securityCode", 4, true, Gen::Digits).card(Card::Amex),
    ];
    rows.extend(address_rows("company.address"));
    rows.extend(address_rows("payment.address"));
    rows.extend([
        // v1 general, DESIGN §6.2: the flat owner of 002's example.
        row(V1, "general.userName", 50, true, Gen::Name),
        row(V1, "general.login", 50, true, Gen::Login),
        row(V1, "general.name", 50, true, Gen::Text),
        row(V1, "general.email", 50, true, Gen::Email),
        presence(V1, "general.password", true),
        presence(V1, "general.parentPartnerID", false),
        presence(V1, "programs", true),
        // v1's street is v2's addressLine1 (DESIGN §6.1).
        row(V1, "company.address.street", 100, true, Gen::Text),
        row(V1, "company.name", 255, true, Gen::Text),
    ]);
    rows
}

impl Ctx {
    /// A valid base body for `row`, with names of its own; the account or
    /// user name it creates.
    fn base(&self, api: Api, kind: Card) -> (Value, String) {
        let n = uniq();
        match api {
            Api::V1 => {
                let mut body = self.v1_example(&format!("-t{n}"));
                body["general"]["email"] = json!(format!("t{n}@example.com"));
                if !matches!(kind, Card::Visa) {
                    body["payment"]["creditCard"] = card(kind);
                }
                let name = body["general"]["userName"].as_str().unwrap().to_owned();
                (body, name)
            }
            Api::V2 => {
                let name = format!("t{n}");
                let mut body = self.v2_body(&name);
                // Only what the table rows need: the optional partnerProgram
                // and PaymentMethodConfirmationRequired are the examples'
                // test's to check, not every row's.
                remove(&mut body, "partnerProgram");
                remove(
                    &mut body,
                    "general.options.PaymentMethodConfirmationRequired",
                );
                body["company"]["address"]["country"] = json!("BE");
                body["payment"]["address"]["country"] = json!("BE");
                body["payment"]["creditCard"] = card(kind);
                (body, name)
            }
        }
    }

    /// The name a body would create: its v1 `userName` or v2 `accountName`.
    fn name_of(api: Api, body: &Value) -> Option<String> {
        let path = match api {
            Api::V1 => "general.userName",
            Api::V2 => "general.accountName",
        };
        at(body, path).as_str().map(str::to_owned)
    }

    fn create_path(api: Api) -> &'static str {
        match api {
            Api::V1 => "/v1/api/accounts",
            Api::V2 => "/v2/api/accounts",
        }
    }

    /// Posts `body`, expecting 201; on success checks the list total grew
    /// by one and, for company and payment members, that `GET` answers
    /// `sent` at `path` as it was sent. `before` is updated.
    async fn accepted(
        &self,
        c: &mut Checks,
        api: Api,
        what: &str,
        body: &Value,
        check: Option<(&str, &Value)>,
        before: &mut Option<i64>,
    ) {
        let (status, created) = self.post(Self::create_path(api), body).await;
        if !c.check(status == StatusCode::CREATED, || {
            format!("{api:?} {what}: expected 201, got {status}: {created}")
        }) {
            *before = self.total().await;
            return;
        }
        let id = created["customerID"].as_str().unwrap_or_default();
        if let Some((path, sent)) = check {
            let read = if let Some(member) = path.strip_prefix("company.") {
                let v = if api == Api::V1 { "v1" } else { "v2" };
                let (_, company) = self.get(&format!("/{v}/api/accounts/{id}/company")).await;
                Some((member, company))
            } else if let Some(member) = path
                .strip_prefix("payment.")
                .filter(|m| ["name", "phone"].contains(m) || m.starts_with("address."))
            {
                let (_, billing) = self.get(&format!("/v1/api/accounts/{id}/billing")).await;
                Some((member, billing))
            } else {
                None
            };
            if let Some((member, doc)) = read {
                c.check(at(&doc, member) == sent, || {
                    format!(
                        "{api:?} {what}: sent {sent}, read back {} at {member}: {doc}",
                        at(&doc, member)
                    )
                });
            }
        }
        let now = self.total().await;
        c.check(now.is_some() && now == before.map(|b| b + 1), || {
            format!(
                "{api:?} {what}: the list total went from {before:?} to {now:?}, expected one more"
            )
        });
        *before = now;
    }

    /// Posts `body`, expecting 400 naming `field`, and nothing stored: the
    /// list total as `before`, the name (if any) still free.
    async fn refused(
        &self,
        c: &mut Checks,
        api: Api,
        what: &str,
        body: &Value,
        field: &str,
        before: &mut Option<i64>,
    ) {
        self.refused_naming(c, api, what, body, field, false, before)
            .await;
    }

    /// [`Ctx::refused`]; with `or_members`, naming required members of
    /// `field` (an object left out) instead of `field` itself also counts.
    #[allow(clippy::too_many_arguments)]
    async fn refused_naming(
        &self,
        c: &mut Checks,
        api: Api,
        what: &str,
        body: &Value,
        field: &str,
        or_members: bool,
        before: &mut Option<i64>,
    ) {
        let (status, problem) = self.post(Self::create_path(api), body).await;
        if c.check(status == StatusCode::BAD_REQUEST, || {
            format!("{api:?} {what}: expected 400 naming {field}, got {status}: {problem}")
        }) {
            let named = fields(&problem);
            let member = format!("{field}.");
            c.check(
                named
                    .iter()
                    .any(|n| n == field || (or_members && n.starts_with(&member))),
                || {
                    format!(
                        "{api:?} {what}: expected errors[].field {field:?}, named {named:?}: {problem}"
                    )
                },
            );
        }
        let now = self.total().await;
        c.check(now.is_some() && now == *before, || {
            format!(
                "{api:?} {what}: something was stored (list total {before:?} → {now:?}): {problem}"
            )
        });
        *before = now;
        if let Some(name) = Self::name_of(api, body).filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        }) {
            // 404 (free) or 400 (a name that could never be taken).
            let free = self.head(&format!("/v1/api/accounts/{name}")).await;
            c.check(free != StatusCode::OK, || {
                format!("{api:?} {what}: the name {name} is taken (HEAD {free}) though the create was to be refused")
            });
        }
    }
}

#[tokio::test]
async fn model_tables_hold_field_by_field() {
    let ctx = start().await;
    let mut c = Checks::default();
    let mut before = ctx.total().await;
    for r in table_rows() {
        let path = r.path;
        if let Some(max) = r.max {
            if r.at_limit {
                let (mut body, _) = ctx.base(r.api, r.card);
                let v = value(r.make, max);
                assert_eq!(v.as_str().unwrap().chars().count(), max, "{r:?}");
                set(&mut body, path, v.clone());
                let what = format!("{path} of {max} characters (the limit)");
                ctx.accepted(&mut c, r.api, &what, &body, Some((path, &v)), &mut before)
                    .await;
            }
            let (mut body, _) = ctx.base(r.api, r.card);
            let v = value(r.make, max + 1);
            assert_eq!(v.as_str().unwrap().chars().count(), max + 1, "{r:?}");
            set(&mut body, path, v);
            let what = format!("{path} of {} characters (one past {max})", max + 1);
            ctx.refused(&mut c, r.api, &what, &body, path, &mut before)
                .await;
        }
        let (mut body, _) = ctx.base(r.api, r.card);
        let object = at(&body, path).is_object();
        remove(&mut body, path);
        if r.required {
            let what = format!("{path} left out (required)");
            ctx.refused_naming(&mut c, r.api, &what, &body, path, object, &mut before)
                .await;
        } else {
            let what = format!("{path} left out (optional)");
            ctx.accepted(&mut c, r.api, &what, &body, None, &mut before)
                .await;
        }
    }
    c.finish();
}

// ---------------------------------------------------------------------------
// Value sets.

#[tokio::test]
async fn value_sets_hold() {
    let ctx = start().await;
    let mut c = Checks::default();
    let mut before = ctx.total().await;

    // programs: ["partner"] or ["account"], nothing else (DESIGN §6.2).
    for api in [Api::V1, Api::V2] {
        for programs in [
            json!(["Email"]),
            json!([]),
            json!(["partner", "account"]),
            json!(["advisor"]),
            json!(["distributor"]),
        ] {
            let (mut body, _) = ctx.base(api, Card::Visa);
            body["programs"] = programs.clone();
            let what = format!("programs {programs}");
            ctx.refused(&mut c, api, &what, &body, "programs", &mut before)
                .await;
        }
    }

    // The owner password: at least 6, letters and digits (DESIGN §6.2).
    for (api, path) in [
        (Api::V1, "general.password"),
        (Api::V2, "general.owner.password"),
    ] {
        for bad in ["abc12", "abcdefgh", "12345678"] {
            let (mut body, _) = ctx.base(api, Card::Visa);
            set(&mut body, path, json!(bad));
            let what = format!("{path} {bad:?}");
            ctx.refused(&mut c, api, &what, &body, path, &mut before)
                .await;
        }
        let (mut body, _) = ctx.base(api, Card::Visa);
        set(&mut body, path, json!("abc123"));
        let what = format!("{path} \"abc123\" (6, letters and digits)");
        ctx.accepted(&mut c, api, &what, &body, None, &mut before)
            .await;
    }

    // Card types in any case; security code 3 or 4 digits (DESIGN §6.2).
    for (kind, number, code) in [
        ("visa", "4111111111111111", "123"),
        ("Visa", "4111111111111111", "123"),
        ("mc", "5555555555554444", "123"),
        ("amex", "378282246310005", "1234"),
        ("Maestro", "6759649826438453", "123"),
        ("MAESTRO", "6759649826438453", "123"),
    ] {
        let (mut body, _) = ctx.base(Api::V2, Card::Maestro);
        body["payment"]["creditCard"]["type"] = json!(kind);
        body["payment"]["creditCard"]["cardNumber"] = json!(number);
        body["payment"]["creditCard"]["securityCode"] = json!(code);
        if !kind.eq_ignore_ascii_case("maestro") {
            remove(&mut body, "payment.creditCard.startDate");
        }
        let what = format!("card type {kind:?} with security code {code:?}");
        ctx.accepted(&mut c, Api::V2, &what, &body, None, &mut before)
            .await;
    }
    for code in ["12", "12a", "12345"] {
        let (mut body, _) = ctx.base(Api::V2, Card::Visa);
        body["payment"]["creditCard"]["securityCode"] = json!(code);
        let what = format!("security code {code:?}");
        ctx.refused(
            &mut c,
            Api::V2,
            &what,
            &body,
            "payment.creditCard.securityCode",
            &mut before,
        )
        .await;
    }
    let (mut body, _) = ctx.base(Api::V2, Card::Visa);
    body["payment"]["creditCard"]["type"] = json!("BITCOIN");
    ctx.refused(
        &mut c,
        Api::V2,
        "card type \"BITCOIN\"",
        &body,
        "payment.creditCard.type",
        &mut before,
    )
    .await;

    // Culture: any ll-CC tag, answered upper case (DESIGN §6.2).
    for (sent, answered) in [("fr-be", "FR-BE"), ("pt-br", "PT-BR"), ("es-ES", "ES-ES")] {
        let (mut body, _) = ctx.base(Api::V2, Card::Visa);
        body["company"]["culture"] = json!(sent);
        let (status, created) = ctx.post("/v2/api/accounts", &body).await;
        if c.check(status == StatusCode::CREATED, || {
            format!("company culture {sent:?}: expected 201, got {status}: {created}")
        }) {
            let id = created["customerID"].as_str().unwrap_or_default();
            let (status, company) = ctx.get(&format!("/v2/api/accounts/{id}/company")).await;
            c.check(status == StatusCode::OK && company["culture"] == answered, || {
                format!("company culture {sent:?}: expected {answered:?} on GET …/company, got {status}: {company}")
            });
        }
        before = ctx.total().await;
    }
    for bad in ["xx-YY", "english"] {
        let (mut body, _) = ctx.base(Api::V2, Card::Visa);
        body["company"]["culture"] = json!(bad);
        let what = format!("company culture {bad:?}");
        ctx.refused(
            &mut c,
            Api::V2,
            &what,
            &body,
            "company.culture",
            &mut before,
        )
        .await;
    }
    c.finish();
}
