//! Contacts end to end (issue 5): create, read, page, update and remove the
//! contacts of accounts and partners on the v1 and v2 paths; assignment of a
//! contact to a second account; the password policy and password changes;
//! unique logins and roles that suit the customer; the last owner; roles
//! changed with PUT (and reaching live tokens); the reference's field limits
//! and any ISO culture; client revocation when a contact goes;
//! `Iam_usersMax`. Every response body a test sees is kept, and none may
//! carry a password it sent or a hash.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{assert_names, client_for_contact, fields};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{Partner, TestApp, account_body, partner_body};

const OWNERS: &str = "AG_PRIVATELABELOWNERS";
const OPERATORS: &str = "AG_PRIVATELABELOPERATORS";
const PUBLIC_API: &str = "AG_PRIVATELABELPUBLICAPI";

/// The fields of a v1 ContactGet, exactly.
const V1_FIELDS: &[&str] = &[
    "accessRoleNames",
    "alternativeEmail",
    "cellularPhone",
    "contactID",
    "email",
    "login",
    "name",
    "phone",
];

/// Request fields whose values are passwords.
const PASSWORD_FIELDS: &[&str] = &["password", "newPassword", "currentPassword"];

/// Every response body the test saw, by request, and every password it sent.
#[derive(Default)]
struct Seen {
    bodies: Vec<(String, String)>,
    secrets: BTreeSet<String>,
}

/// The REST API as one test sees it: each call's body is recorded, and the
/// passwords in each request body are remembered, so that
/// [`Api::assert_no_secrets`] can check that no answer carried one.
struct Api<'a> {
    app: &'a TestApp,
    seen: Mutex<Seen>,
}

fn collect_passwords(body: &Value, into: &mut BTreeSet<String>) {
    match body {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::String(s) if PASSWORD_FIELDS.contains(&key.as_str()) => {
                        if !s.is_empty() {
                            into.insert(s.clone());
                        }
                    }
                    other => collect_passwords(other, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_passwords(v, into)),
        _ => {}
    }
}

impl<'a> Api<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Any call; the status and the JSON body (`Null` when empty). An error
    /// answer must be a problem document of its status.
    async fn call(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .app
            .http
            .request(method.clone(), self.app.at(path))
            .bearer_auth(token);
        if let Some(body) = body {
            collect_passwords(body, &mut self.seen.lock().unwrap().secrets);
            req = req.json(body);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = res.text().await.unwrap();
        self.seen
            .lock()
            .unwrap()
            .bodies
            .push((format!("{method} {path} → {status}"), text.clone()));
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };
        if status.is_client_error() || status.is_server_error() {
            assert!(
                content_type.starts_with("application/problem+json"),
                "{method} {path} → {status} with content-type {content_type:?}: {text}"
            );
            assert_eq!(value["status"], status.as_u16(), "{method} {path}: {text}");
        }
        (status, value)
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, token, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        self.call(Method::POST, token, path, Some(body)).await
    }

    async fn put(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        self.call(Method::PUT, token, path, Some(body)).await
    }

    async fn delete(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, token, path, None).await
    }

    /// A password sent another way (gRPC) that no answer may carry either.
    fn secret(&self, password: &str) {
        self.seen
            .lock()
            .unwrap()
            .secrets
            .insert(password.to_owned());
    }

    /// No recorded body carries a password sent in this test or an Argon2 hash.
    #[track_caller]
    fn assert_no_secrets(&self) {
        let seen = self.seen.lock().unwrap();
        assert!(!seen.bodies.is_empty(), "no response was recorded");
        assert!(!seen.secrets.is_empty(), "no password was recorded");
        for (request, body) in &seen.bodies {
            assert!(
                !body.contains("$argon2"),
                "{request} answered a password hash: {body}"
            );
            for secret in &seen.secrets {
                assert!(
                    !body.contains(secret.as_str()),
                    "{request} answered the password {secret:?}: {body}"
                );
            }
        }
    }

    /// A v1 account below the caller on `plan`; its id and its owner
    /// contact. Billed by paper check to its parent: a partner without
    /// payment processing may bill no other way, and no contact test
    /// depends on the payment.
    async fn account(&self, token: &str, name: &str, plan: &str) -> (String, String) {
        let mut body = account_body(name, Some(plan));
        body["payment"]["type"] = json!("paperCheck");
        if let Some(payment) = body["payment"].as_object_mut() {
            payment.remove("creditCard");
        }
        let (status, created) = self.post(token, "/v1/api/accounts", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["customerID"].as_str().unwrap().to_owned();
        let owner = self.owner_of(token, &id).await;
        (id, owner)
    }

    /// The `ownerContactID` of a customer.
    async fn owner_of(&self, token: &str, customer_id: &str) -> String {
        let (status, got) = self
            .get(token, &format!("/v1/api/accounts/{customer_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{got}");
        let owner = got["ownerContactID"].as_str().unwrap().to_owned();
        assert_eq!(owner.len(), 32, "{got}");
        owner
    }

    /// A partner below the caller's partner (or `parent`) with a token of its owner.
    async fn partner(&self, token: &str, name: &str, parent: Option<&str>) -> Partner {
        let (status, created) = self
            .post(token, "/v1/api/accounts", &partner_body(name, parent))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["customerID"].as_str().unwrap().to_owned();
        let (client_id, secret) = self.app.client_for(&id).await;
        Partner {
            token: self.app.token_for(&client_id, &secret).await,
            id,
        }
    }

    /// Creates a contact of `customer` on `/v{version}` (must answer 201).
    async fn new_contact(&self, token: &str, version: u8, customer: &str, body: &Value) -> Value {
        let (status, created) = self
            .post(
                token,
                &format!("/v{version}/api/accounts/{customer}/contacts"),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body} → {created}");
        created
    }

    /// All contacts of a customer (one page of up to 1000; it must be all).
    async fn all(&self, token: &str, version: u8, customer: &str) -> Value {
        let (status, page) = self
            .get(
                token,
                &format!("/v{version}/api/accounts/{customer}/contacts?take=1000"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["count"], page["total"], "{page}");
        page
    }

    /// `total` of a customer's contact list.
    async fn total(&self, token: &str, customer: &str) -> i64 {
        self.all(token, 1, customer).await["total"]
            .as_i64()
            .unwrap()
    }
}

/// A ContactCreate body; the email is the login's.
fn contact_body(login: &str, password: &str, roles: &[&str]) -> Value {
    json!({
        "login": login,
        "password": password,
        "name": format!("Person {login}"),
        "email": format!("{login}@example.com"),
        "accessRoleNames": roles,
    })
}

fn id_of(contact: &Value) -> String {
    let id = contact["contactID"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "{contact}");
    id
}

/// The contact ids of a page's items, in order.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {page}"))
        .iter()
        .map(id_of)
        .collect()
}

/// The item of a page with the contact id, if any.
fn item<'v>(page: &'v Value, contact_id: &str) -> Option<&'v Value> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contactID"] == contact_id)
}

fn roles(contact: &Value) -> BTreeSet<String> {
    contact["accessRoleNames"]
        .as_array()
        .unwrap_or_else(|| panic!("no accessRoleNames: {contact}"))
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn v1_fields() -> BTreeSet<String> {
    set_of(V1_FIELDS)
}

fn v2_fields() -> BTreeSet<String> {
    let mut f = v1_fields();
    f.insert("culture".into());
    f
}

/// The v2 view without `culture`: what v1 shows of the same contact.
fn as_v1(v2: &Value) -> Value {
    let mut v = v2.clone();
    v.as_object_mut().unwrap().remove("culture");
    v
}

fn random_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Calls `GET path` every 200 ms until it answers `want` or `limit` passed;
/// the last status and the time it took.
async fn poll_until(
    app: &TestApp,
    token: &str,
    path: &str,
    want: StatusCode,
    limit: Duration,
) -> (StatusCode, Duration) {
    let start = Instant::now();
    loop {
        let (status, _) = app.get(token, path).await;
        if status == want || start.elapsed() >= limit {
            return (status, start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn contacts_are_created_read_paged_updated_and_removed_on_v1_and_v2() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (acct, owner) = api.account(&root, "big", "enterprise").await;
    let v1 = format!("/v1/api/accounts/{acct}/contacts");
    let v2 = format!("/v2/api/accounts/{acct}/contacts");
    let role_sets: [&[&str]; 3] = [
        &["ContactManager"],
        &["AccountBillingManager", "SecurityManager"],
        &["TechnicalAdministrator"],
    ];

    // 30 contacts: half on v1 (every optional field given), half on v2
    // with a culture. Each answer is the contact as created.
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    expected.insert(owner.clone(), set_of(&["Owner"]));
    let mut made_v1 = Vec::new();
    let mut made_v2 = Vec::new();
    for i in 0..15 {
        let login = format!("one-{i:02}");
        let wanted = role_sets[i % 3];
        let mut body = contact_body(&login, &format!("pw-{i:02}-one"), wanted);
        body["alternativeEmail"] = json!(format!("alt-{login}@example.org"));
        body["phone"] = json!("+1 555 0100");
        body["cellularPhone"] = json!("+1 555 0199");
        let created = api.new_contact(&root, 1, &acct, &body).await;
        assert_eq!(
            keys(&created),
            v1_fields(),
            "v1 answers no culture: {created}"
        );
        assert_eq!(created["login"], login.as_str(), "{created}");
        assert_eq!(created["name"], body["name"], "{created}");
        assert_eq!(created["email"], body["email"], "{created}");
        assert_eq!(
            created["alternativeEmail"], body["alternativeEmail"],
            "{created}"
        );
        assert_eq!(created["phone"], "+1 555 0100", "{created}");
        assert_eq!(created["cellularPhone"], "+1 555 0199", "{created}");
        assert_eq!(roles(&created), set_of(wanted), "{created}");
        expected.insert(id_of(&created), set_of(wanted));
        made_v1.push(created);
    }
    for i in 0..15 {
        let login = format!("two-{i:02}");
        let wanted = role_sets[i % 3];
        let mut body = contact_body(&login, &format!("pw-{i:02}-two"), wanted);
        body["culture"] = json!("DE-DE");
        let created = api.new_contact(&root, 2, &acct, &body).await;
        assert_eq!(keys(&created), v2_fields(), "{created}");
        assert_eq!(created["culture"], "DE-DE", "{created}");
        assert_eq!(created["login"], login.as_str(), "{created}");
        // Optional fields not given are empty.
        assert_eq!(created["alternativeEmail"], "", "{created}");
        assert_eq!(created["phone"], "", "{created}");
        assert_eq!(created["cellularPhone"], "", "{created}");
        assert_eq!(roles(&created), set_of(wanted), "{created}");
        expected.insert(id_of(&created), set_of(wanted));
        made_v2.push(created);
    }
    assert_eq!(expected.len(), 31, "every contact has its own id");

    // Get: v1 shows no culture, v2 shows it (empty when not given).
    let one = id_of(&made_v1[0]);
    let two = id_of(&made_v2[0]);
    let (status, got) = api.get(&root, &format!("{v1}/{one}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, made_v1[0]);
    let (status, got) = api.get(&root, &format!("{v2}/{one}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(keys(&got), v2_fields(), "{got}");
    assert_eq!(got["culture"], "", "{got}");
    assert_eq!(as_v1(&got), made_v1[0]);
    let (status, got) = api.get(&root, &format!("{v2}/{two}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, made_v2[0]);
    let (status, got) = api.get(&root, &format!("{v1}/{two}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, as_v1(&made_v2[0]));
    let (status, got) = api.get(&root, &format!("{v1}/{owner}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(roles(&got), set_of(&["Owner"]), "{got}");
    assert_eq!(got["login"], "big-owner", "{got}");
    for missing in [random_id(), "not-an-id".to_owned()] {
        let (status, body) = api.get(&root, &format!("{v1}/{missing}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {body}");
    }

    // List: everyone, each with its roles here, in id order.
    let full = api.all(&root, 1, &acct).await;
    assert_eq!(full["total"], 31, "{full}");
    assert_eq!(full["count"], 31, "{full}");
    let all_ids = ids(&full);
    assert_eq!(
        all_ids.iter().cloned().collect::<BTreeSet<_>>(),
        expected.keys().cloned().collect::<BTreeSet<_>>()
    );
    let mut sorted = all_ids.clone();
    sorted.sort();
    assert_eq!(all_ids, sorted, "in id order");
    for listed in full["items"].as_array().unwrap() {
        assert_eq!(keys(listed), v1_fields(), "{listed}");
        assert_eq!(roles(listed), expected[&id_of(listed)], "{listed}");
    }
    let (status, default) = api.get(&root, &v1).await;
    assert_eq!(status, StatusCode::OK, "{default}");
    assert_eq!(default, full, "take defaults to 100");

    // Paging edges.
    let page = |query: &str| {
        let path = format!("{v1}?{query}");
        let api = &api;
        let root = &root;
        async move {
            let (status, page) = api.get(root, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {page}");
            assert_eq!(page["total"], 31, "{path}: {page}");
            assert_eq!(
                page["count"].as_u64().unwrap() as usize,
                page["items"].as_array().unwrap().len(),
                "{path}: {page}"
            );
            page
        }
    };
    assert_eq!(ids(&page("take=1").await), all_ids[..1]);
    assert_eq!(ids(&page("skip=0&take=1").await), all_ids[..1]);
    assert_eq!(ids(&page("skip=30&take=1").await), all_ids[30..]);
    assert_eq!(ids(&page("skip=29&take=5").await), all_ids[29..]);
    assert_eq!(ids(&page("skip=10&take=5").await), all_ids[10..15]);
    assert_eq!(ids(&page("take=1000").await), all_ids);
    for query in [
        "skip=31",
        "skip=31&take=1",
        "skip=500",
        "skip=10000&take=1000",
    ] {
        let empty = page(query).await;
        assert_eq!(empty["count"], 0, "{query}: {empty}");
        assert_eq!(empty["items"], json!([]), "{query}: {empty}");
        assert!(empty.get("nextCursor").is_none(), "{query}: {empty}");
    }
    // nextCursor is there exactly when more follow: the first page too,
    // not a page that reaches the end, however it is reached.
    for (query, follows) in [
        ("take=1", true),
        ("skip=29&take=1", true),
        ("skip=30&take=1", false),
        ("skip=29&take=2", false),
        ("take=31", false),
        ("take=30", true),
    ] {
        let p = page(query).await;
        assert_eq!(p.get("nextCursor").is_some(), follows, "{query}: {p}");
    }
    // Walking the pages meets everyone once.
    let mut walked = Vec::new();
    let mut skip = 0;
    loop {
        let p = page(&format!("skip={skip}&take=7")).await;
        let got = ids(&p);
        if got.is_empty() {
            break;
        }
        assert!(got.len() <= 7, "{p}");
        skip += got.len();
        walked.extend(got);
    }
    assert_eq!(walked, all_ids);
    // Walking by cursor meets everyone once too, each page's cursor its
    // last id; `skip` counts past the cursor.
    let mut walked: Vec<String> = Vec::new();
    let mut query = "take=7".to_owned();
    loop {
        let p = page(&query).await;
        let got = ids(&p);
        walked.extend(got.iter().cloned());
        let Some(cursor) = p["nextCursor"].as_str() else {
            assert!(got.len() <= 7, "{p}");
            break;
        };
        assert_eq!(got.len(), 7, "a page with more to follow is full: {p}");
        assert_eq!(Some(cursor), got.last().map(String::as_str), "{p}");
        query = format!("take=7&after={cursor}");
    }
    assert_eq!(walked, all_ids, "each contact once, in id order");
    let p = page(&format!("after={}&skip=2&take=3", all_ids[4])).await;
    assert_eq!(ids(&p), all_ids[7..10], "{p}");
    assert_eq!(p["nextCursor"], all_ids[9].as_str(), "{p}");
    for (query, field) in [
        ("take=1001", "take"),
        ("take=0", "take"),
        ("take=-1", "take"),
        ("take=many", "take"),
        ("skip=-1", "skip"),
        ("skip=x", "skip"),
        // Deeper than 10,000 costs the database every row it skips: the
        // answer points to `after`.
        ("skip=10001", "skip"),
        ("skip=10001&take=1000", "skip"),
        ("after=not-a-cursor", "after"),
        ("after=ABCDEF0123456789ABCDEF0123456789", "after"),
    ] {
        for base in [&v1, &v2] {
            let (status, refused) = api.get(&root, &format!("{base}?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{base}?{query}: {refused}");
            assert_names(&refused, &[field]);
        }
    }

    // The v2 list: the same contacts, with culture.
    let full2 = api.all(&root, 2, &acct).await;
    assert_eq!(full2["total"], 31, "{full2}");
    assert_eq!(ids(&full2), all_ids);
    for listed in full2["items"].as_array().unwrap() {
        assert_eq!(keys(listed), v2_fields(), "{listed}");
        let v1_view = item(&full, listed["contactID"].as_str().unwrap()).unwrap();
        assert_eq!(&as_v1(listed), v1_view);
    }
    assert_eq!(item(&full2, &two).unwrap(), &made_v2[0]);
    let (status, p) = api.get(&root, &format!("{v2}?skip=3&take=4")).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(
        (p["count"].clone(), p["total"].clone()),
        (json!(4), json!(31))
    );
    assert_eq!(ids(&p), all_ids[3..7]);

    // Update one field on v1; the rest stays, culture included.
    let (_, before) = api.get(&root, &format!("{v2}/{one}")).await;
    let (status, updated) = api
        .put(
            &root,
            &format!("{v1}/{one}"),
            &json!({ "phone": "+44 20 7946 0000" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let mut want = before.clone();
    want["phone"] = json!("+44 20 7946 0000");
    assert_eq!(updated, as_v1(&want));
    let (status, after) = api.get(&root, &format!("{v2}/{one}")).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after, want);

    // Update one field on v2.
    let (status, updated) = api
        .put(
            &root,
            &format!("{v2}/{two}"),
            &json!({ "name": "Renamed Person" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let mut want = made_v2[0].clone();
    want["name"] = json!("Renamed Person");
    assert_eq!(updated, want);
    let (_, after) = api.get(&root, &format!("{v2}/{two}")).await;
    assert_eq!(after, want);
    let (_, after) = api.get(&root, &format!("{v1}/{two}")).await;
    assert_eq!(after, as_v1(&want));
    let (status, updated) = api
        .put(
            &root,
            &format!("{v2}/{two}"),
            &json!({ "culture": "NL-NL" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    want["culture"] = json!("NL-NL");
    assert_eq!(updated, want);
    // Bad input changes nothing.
    let (status, refused) = api
        .put(&root, &format!("{v2}/{two}"), &json!({ "email": "nope" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(&refused, &["email"]);
    let (_, after) = api.get(&root, &format!("{v2}/{two}")).await;
    assert_eq!(after, want);

    // Remove the assignment on v1, then on v2: gone from get, put, list.
    for (base, contact) in [(&v1, &one), (&v2, &two)] {
        let path = format!("{base}/{contact}");
        let (status, body) = api.delete(&root, &path).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "DELETE {path}: {body}");
        assert_eq!(body, Value::Null, "204 has no body");
        for read in [format!("{v1}/{contact}"), format!("{v2}/{contact}")] {
            let (status, body) = api.get(&root, &read).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "GET {read}: {body}");
        }
        let (status, body) = api.put(&root, &path, &json!({ "name": "Ghost" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "PUT {path}: {body}");
        let (status, body) = api.delete(&root, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "DELETE {path} again: {body}");
    }
    let after = api.all(&root, 1, &acct).await;
    assert_eq!(after["total"], 29, "{after}");
    let left = ids(&after);
    assert!(!left.contains(&one) && !left.contains(&two), "{after}");

    api.assert_no_secrets();
}

#[tokio::test]
async fn a_contact_assigned_to_a_second_account_holds_different_roles_on_each() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (a, _) = api.account(&root, "acct-a", "business").await;
    let (b, _) = api.account(&root, "acct-b", "business").await;
    let c = id_of(
        &api.new_contact(
            &root,
            1,
            &a,
            &contact_body("shared", "shared-pw1", &["AccountBillingManager"]),
        )
        .await,
    );
    let assign = format!("/v2/api/accounts/{a}/contacts/{c}");

    let (status, assigned_to_b) = api
        .post(
            &root,
            &assign,
            &json!({ "targetAccountID": b, "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    let assigned = &assigned_to_b;
    assert_eq!(status, StatusCode::CREATED, "{assigned}");
    assert_eq!(keys(assigned), v2_fields(), "{assigned}");
    assert_eq!(assigned["contactID"], c.as_str(), "{assigned}");
    assert_eq!(assigned["login"], "shared", "{assigned}");
    assert_eq!(roles(assigned), set_of(&["ContactManager"]), "{assigned}");

    // Each list shows the contact with its roles there.
    let on_a = api.all(&root, 1, &a).await;
    assert_eq!(on_a["total"], 2, "{on_a}");
    assert_eq!(
        roles(item(&on_a, &c).unwrap()),
        set_of(&["AccountBillingManager"])
    );
    let on_b = api.all(&root, 2, &b).await;
    assert_eq!(on_b["total"], 2, "{on_b}");
    assert_eq!(item(&on_b, &c).unwrap(), assigned);
    let (_, got) = api
        .get(&root, &format!("/v1/api/accounts/{b}/contacts/{c}"))
        .await;
    assert_eq!(roles(&got), set_of(&["ContactManager"]), "{got}");
    let (_, got) = api
        .get(&root, &format!("/v1/api/accounts/{a}/contacts/{c}"))
        .await;
    assert_eq!(roles(&got), set_of(&["AccountBillingManager"]), "{got}");

    // Once per target.
    let (status, body) = api
        .post(
            &root,
            &assign,
            &json!({ "targetAccountID": b, "accessRoleNames": ["SecurityManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, got) = api
        .get(&root, &format!("/v1/api/accounts/{b}/contacts/{c}"))
        .await;
    assert_eq!(roles(&got), set_of(&["ContactManager"]), "unchanged: {got}");
    // From the other side too: B's contact is A's already.
    let (status, body) = api
        .post(
            &root,
            &format!("/v2/api/accounts/{b}/contacts/{c}"),
            &json!({ "targetAccountID": a, "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Roles must suit the target.
    let (t, _) = api.account(&root, "acct-t", "business").await;
    for bad in [json!([OWNERS]), json!(["NoSuchRole"]), json!([])] {
        let (status, refused) = api
            .post(
                &root,
                &assign,
                &json!({ "targetAccountID": t, "accessRoleNames": bad }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {refused}");
        assert_names(&refused, &["accessRoleNames"]);
    }
    let p = api.partner(&root, "pp", None).await;
    let (status, refused) = api
        .post(
            &root,
            &assign,
            &json!({ "targetAccountID": p.id, "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "account role on a partner: {refused}"
    );
    assert_names(&refused, &["accessRoleNames"]);
    let (status, refused) = api
        .post(
            &root,
            &assign,
            &json!({ "targetAccountID": "not-an-id", "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(&refused, &["targetAccountID"]);
    assert_eq!(api.total(&root, &t).await, 1, "nothing assigned to T");
    assert!(
        item(&api.all(&root, 1, &p.id).await, &c).is_none(),
        "nothing assigned to P"
    );

    // Unknown target or contact: 404.
    let (status, body) = api
        .post(
            &root,
            &assign,
            &json!({ "targetAccountID": random_id(), "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = api
        .post(
            &root,
            &format!("/v2/api/accounts/{a}/contacts/{}", random_id()),
            &json!({ "targetAccountID": t, "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Outside the caller's subtree: 404. P and Q are siblings; each has an
    // account; R is the root's own account.
    let q = api.partner(&root, "pq", None).await;
    let (pa, _) = api.account(&p.token, "p-acct", "business").await;
    let (qa, _) = api.account(&q.token, "q-acct", "business").await;
    let (ra, _) = api.account(&root, "r-acct", "business").await;
    let x = id_of(
        &api.new_contact(
            &p.token,
            2,
            &pa,
            &contact_body("p-user", "p-user-pw1", &["ContactManager"]),
        )
        .await,
    );
    let from_pa = format!("/v2/api/accounts/{pa}/contacts/{x}");
    let to =
        |target: &str| json!({ "targetAccountID": target, "accessRoleNames": ["ContactManager"] });
    let (status, body) = api.post(&p.token, &from_pa, &to(&qa)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "P to its sibling's account: {body}"
    );
    let (status, body) = api.post(&p.token, &from_pa, &to(&ra)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "P to the root's account: {body}"
    );
    let (status, body) = api.post(&q.token, &from_pa, &to(&qa)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "Q from P's account: {body}");
    let (status, body) = api
        .get(&p.token, &format!("/v1/api/accounts/{qa}/contacts"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(api.total(&root, &qa).await, 1, "nothing assigned to QA");
    assert_eq!(api.total(&root, &ra).await, 1, "nothing assigned to RA");
    // The root reaches both.
    let (status, assigned_x) = api.post(&root, &from_pa, &to(&qa)).await;
    assert_eq!(status, StatusCode::CREATED, "{assigned_x}");
    assert_eq!(assigned_x["contactID"], x.as_str(), "{assigned_x}");
    assert!(item(&api.all(&q.token, 1, &qa).await, &x).is_some());

    // Ending one assignment leaves the other.
    let (status, body) = api
        .delete(&root, &format!("/v1/api/accounts/{a}/contacts/{c}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = api
        .get(&root, &format!("/v1/api/accounts/{a}/contacts/{c}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, got) = api
        .get(&root, &format!("/v2/api/accounts/{b}/contacts/{c}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, assigned_to_b);

    api.assert_no_secrets();
}

#[tokio::test]
async fn passwords_follow_the_default_policy_and_a_partners_stricter_one_below_it() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (ra, _) = api.account(&root, "root-acct", "business").await;
    let p = api.partner(&root, "pp", None).await;
    // P's account is made before P tightens its policy (its owner's
    // password would not meet it).
    let (pa, _) = api.account(&p.token, "p-acct", "business").await;

    // The default: at least 6 characters, letters and digits.
    for (i, weak) in ["abx12", "abcdefgh", "12345678", ""].iter().enumerate() {
        let (status, refused) = api
            .post(
                &root,
                &format!("/v1/api/accounts/{ra}/contacts"),
                &contact_body(&format!("weak-{i}"), weak, &["ContactManager"]),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{weak:?}: {refused}");
        assert_names(&refused, &["password"]);
    }
    assert_eq!(api.total(&root, &ra).await, 1, "nothing stored");
    api.new_contact(
        &root,
        1,
        &ra,
        &contact_body("fine-0", "xyz123", &["ContactManager"]),
    )
    .await;

    // P's settings: longer, with a symbol.
    let settings = format!("/v1/api/partners/{}/settings", p.id);
    let (status, set) = api
        .put(
            &p.token,
            &settings,
            &json!({ "passwordMinLength": 10, "passwordRequireSymbols": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["passwordMinLength"], 10, "{set}");
    assert_eq!(set["passwordRequireSymbols"], true, "{set}");
    assert_eq!(set["passwordRequireMixedCase"], false, "{set}");
    let (status, got) = api.get(&p.token, &settings).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["passwordMinLength"], 10, "{got}");
    assert_eq!(got["passwordRequireSymbols"], true, "{got}");
    for (min, field) in [(5, "passwordMinLength"), (129, "passwordMinLength")] {
        let (status, refused) = api
            .put(&p.token, &settings, &json!({ "passwordMinLength": min }))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{min}: {refused}");
        assert_names(&refused, &[field]);
    }

    // Below P: the stricter rule, on P's account and on P itself.
    for (customer, role, version) in [(&pa, "ContactManager", 1), (&p.id, OPERATORS, 2)] {
        for (i, weak) in ["abc12345", "xyz123", "abcdefghij!", "a!b!c!d!e!"]
            .iter()
            .enumerate()
        {
            let (status, refused) = api
                .post(
                    &p.token,
                    &format!("/v{version}/api/accounts/{customer}/contacts"),
                    &contact_body(&format!("strict-{version}-{i}"), weak, &[role]),
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{weak:?}: {refused}");
            assert_names(&refused, &["password"]);
        }
        api.new_contact(
            &p.token,
            version,
            customer,
            &contact_body(&format!("strict-{version}-ok"), "abc12345!xyz", &[role]),
        )
        .await;
    }
    // The root creating below P meets P's rule too.
    let (status, refused) = api
        .post(
            &root,
            &format!("/v1/api/accounts/{pa}/contacts"),
            &contact_body("strict-root", "abc12345", &["ContactManager"]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(&refused, &["password"]);
    assert_eq!(api.total(&root, &pa).await, 2, "owner and strict-1-ok");

    // Outside P the default still applies.
    api.new_contact(
        &root,
        2,
        &ra,
        &contact_body("fine-1", "xyz123", &["ContactManager"]),
    )
    .await;

    api.assert_no_secrets();
}

#[tokio::test]
async fn logins_are_unique_ignoring_case_and_roles_must_suit_the_customer() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (a, _) = api.account(&root, "acct-a", "business").await;
    let (b, _) = api.account(&root, "acct-b", "business").await;
    let p = api.partner(&root, "pp", None).await;
    api.new_contact(
        &root,
        1,
        &a,
        &contact_body("Dup-User", "dup-pw-1", &["ContactManager"]),
    )
    .await;

    for (customer, login, role, version) in [
        (&a, "Dup-User", "ContactManager", 1),
        (&a, "dup-user", "ContactManager", 2),
        (&b, "DUP-USER", "ContactManager", 1),
        (&p.id, "dUP-uSER", OPERATORS, 2),
        // An account owner's login is taken as well.
        (&b, "ACCT-A-OWNER", "ContactManager", 1),
    ] {
        let (status, body) = api
            .post(
                &root,
                &format!("/v{version}/api/accounts/{customer}/contacts"),
                &contact_body(login, "dup-pw-2", &[role]),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{login}: {body}");
    }
    assert_eq!(api.total(&root, &a).await, 2);
    assert_eq!(api.total(&root, &b).await, 1);
    assert_eq!(api.total(&root, &p.id).await, 1);

    // Roles: known, and of the customer's kind.
    for (customer, bad) in [
        (&a, json!(["NoSuchRole"])),
        (&a, json!([OWNERS])),
        (&a, json!([PUBLIC_API])),
        (&a, json!(["ContactManager", OPERATORS])),
        (&a, json!([])),
        (&p.id, json!(["Owner"])),
        (&p.id, json!(["ContactManager"])),
        (&p.id, json!(["NoSuchRole"])),
    ] {
        for version in [1, 2] {
            let mut body = contact_body(&format!("role-{}", &random_id()[..8]), "role-pw-1", &[]);
            body["accessRoleNames"] = bad.clone();
            let (status, refused) = api
                .post(
                    &root,
                    &format!("/v{version}/api/accounts/{customer}/contacts"),
                    &body,
                )
                .await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{bad} on {customer}: {refused}"
            );
            assert_names(&refused, &["accessRoleNames"]);
        }
    }
    let mut no_roles = contact_body("role-none", "role-pw-1", &[]);
    no_roles.as_object_mut().unwrap().remove("accessRoleNames");
    let (status, refused) = api
        .post(&root, &format!("/v1/api/accounts/{a}/contacts"), &no_roles)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(&refused, &["accessRoleNames"]);
    assert_eq!(api.total(&root, &a).await, 2, "nothing stored");
    assert_eq!(api.total(&root, &p.id).await, 1, "nothing stored");

    // Each field of a bad body is named.
    let (status, refused) = api
        .post(
            &root,
            &format!("/v1/api/accounts/{a}/contacts"),
            &json!({
                "login": "x".repeat(51),
                "password": "qz!",
                "name": "",
                "email": "not-an-address",
                "accessRoleNames": ["NoSuchRole"],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(
        &refused,
        &["login", "password", "name", "email", "accessRoleNames"],
    );
    assert_eq!(api.total(&root, &a).await, 2, "nothing stored");

    api.assert_no_secrets();
}

#[tokio::test]
async fn the_last_owner_cannot_be_removed_but_one_of_two_can() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (a, first) = api.account(&root, "acct-a", "business").await;
    let first_path = format!("/v1/api/accounts/{a}/contacts/{first}");

    let (status, body) = api.delete(&root, &first_path).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, got) = api.get(&root, &first_path).await;
    assert_eq!(status, StatusCode::OK, "still there: {got}");
    assert_eq!(roles(&got), set_of(&["Owner"]), "{got}");

    let second = id_of(
        &api.new_contact(
            &root,
            2,
            &a,
            &contact_body("second-owner", "owner-pw-2", &["Owner", "ContactManager"]),
        )
        .await,
    );
    let (status, body) = api.delete(&root, &first_path).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = api.get(&root, &first_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let page = api.all(&root, 1, &a).await;
    assert_eq!(ids(&page), vec![second.clone()], "{page}");

    // Now the second is the last.
    let second_path = format!("/v2/api/accounts/{a}/contacts/{second}");
    let (status, body) = api.delete(&root, &second_path).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = api.get(&root, &second_path).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A partner's last owner too.
    let p = api.partner(&root, "pp", None).await;
    let p_owner = api.owner_of(&root, &p.id).await;
    let (status, body) = api
        .delete(
            &root,
            &format!("/v1/api/accounts/{}/contacts/{p_owner}", p.id),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = api.get(&p.token, "/v1/api/me").await;
    assert_eq!(status, StatusCode::OK, "P's owner still works: {body}");

    api.assert_no_secrets();
}

/// The problem names `field` and nothing else.
#[track_caller]
fn assert_only(problem: &Value, field: &str) {
    assert_eq!(fields(problem), [field], "{problem}");
}

#[tokio::test]
async fn put_with_access_role_names_replaces_the_contacts_roles_on_that_customer() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (a, _) = api.account(&root, "acct-a", "business").await;
    let (b, _) = api.account(&root, "acct-b", "business").await;
    let c = id_of(
        &api.new_contact(
            &root,
            2,
            &a,
            &contact_body("roles-c", "roles-pw-1", &["ContactManager"]),
        )
        .await,
    );
    let (status, body) = api
        .post(
            &root,
            &format!("/v2/api/accounts/{a}/contacts/{c}"),
            &json!({ "targetAccountID": b, "accessRoleNames": ["SecurityManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let v1 = format!("/v1/api/accounts/{a}/contacts/{c}");
    let v2 = format!("/v2/api/accounts/{a}/contacts/{c}");
    let on_b = format!("/v1/api/accounts/{b}/contacts/{c}");

    // v2, roles only: replaced on A, answered, listed; B's stay.
    let (_, before) = api.get(&root, &v2).await;
    let (status, updated) = api
        .put(
            &root,
            &v2,
            &json!({ "accessRoleNames": ["AccountBillingManager", "SecurityManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let mut want = before.clone();
    want["accessRoleNames"] = json!(["AccountBillingManager", "SecurityManager"]);
    assert_eq!(updated, want);
    let (_, got) = api.get(&root, &v1).await;
    assert_eq!(got, as_v1(&want));
    let listed = api.all(&root, 1, &a).await;
    assert_eq!(
        roles(item(&listed, &c).unwrap()),
        set_of(&["AccountBillingManager", "SecurityManager"])
    );
    let (_, got) = api.get(&root, &on_b).await;
    assert_eq!(
        roles(&got),
        set_of(&["SecurityManager"]),
        "B's roles stay: {got}"
    );

    // v1, with information in the same body and the v2 table's PascalCase name.
    let (status, updated) = api
        .put(
            &root,
            &v1,
            &json!({ "name": "Renamed Person", "AccessRoleNames": ["TechnicalAdministrator"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(keys(&updated), v1_fields(), "{updated}");
    assert_eq!(updated["name"], "Renamed Person", "{updated}");
    assert_eq!(roles(&updated), set_of(&["TechnicalAdministrator"]));

    // Absent: the roles stay.
    let (status, updated) = api
        .put(&root, &v2, &json!({ "phone": "+1 555 0100" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(roles(&updated), set_of(&["TechnicalAdministrator"]));
    let (_, kept) = api.get(&root, &v2).await;

    // Roles as create takes them, or 400 naming accessRoleNames; a refused
    // PUT changes nothing, its information included.
    for bad in [
        json!([]),
        json!(["NoSuchRole"]),
        json!([OWNERS]),
        json!(["ContactManager", "ContactManager"]),
    ] {
        for path in [&v1, &v2] {
            let (status, refused) = api
                .put(
                    &root,
                    path,
                    &json!({ "name": "Not Kept", "accessRoleNames": bad }),
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {refused}");
            assert_only(&refused, "accessRoleNames");
        }
    }
    // Good roles with bad information: the roles do not change either.
    let (status, refused) = api
        .put(
            &root,
            &v2,
            &json!({ "email": "nope", "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_only(&refused, "email");
    let (_, after) = api.get(&root, &v2).await;
    assert_eq!(after, kept, "nothing changed");

    // Only a contact of the customer: nothing is assigned by a PUT.
    let (t, _) = api.account(&root, "acct-t", "business").await;
    for path in [
        format!("/v2/api/accounts/{t}/contacts/{c}"),
        format!("/v1/api/accounts/{a}/contacts/{}", random_id()),
    ] {
        let (status, body) = api
            .put(
                &root,
                &path,
                &json!({ "accessRoleNames": ["ContactManager"] }),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    assert_eq!(api.total(&root, &t).await, 1, "nothing assigned to T");

    // A partner's contact takes partner roles only.
    let p = api.partner(&root, "pp", None).await;
    let pc = id_of(
        &api.new_contact(
            &root,
            2,
            &p.id,
            &contact_body("roles-p", "roles-pw-2", &[OPERATORS]),
        )
        .await,
    );
    let on_p = format!("/v2/api/accounts/{}/contacts/{pc}", p.id);
    let (status, refused) = api
        .put(
            &root,
            &on_p,
            &json!({ "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_only(&refused, "accessRoleNames");
    let (status, updated) = api
        .put(
            &p.token,
            &on_p,
            &json!({ "accessRoleNames": [OPERATORS, "AG_PRIVATELABELSALES"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        roles(&updated),
        set_of(&[OPERATORS, "AG_PRIVATELABELSALES"])
    );

    // The OpenAPI documents name the field on both versions' PUT model.
    for version in ["v1", "v2"] {
        let doc: Value = app
            .http
            .get(app.at(&format!("/swagger/{version}/swagger.json")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let property = &doc["components"]["schemas"]["ContactInfoUpdateV2Model"]["properties"]["accessRoleNames"];
        assert_eq!(property["minItems"], 1, "{version}: {property}");
    }

    api.assert_no_secrets();
}

#[tokio::test]
async fn a_role_change_that_would_leave_the_customer_without_an_owner_is_refused() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (a, first) = api.account(&root, "acct-a", "business").await;
    let first_path = format!("/v2/api/accounts/{a}/contacts/{first}");

    for path in [
        &first_path,
        &format!("/v1/api/accounts/{a}/contacts/{first}"),
    ] {
        let (status, body) = api
            .put(
                &root,
                path,
                &json!({ "accessRoleNames": ["ContactManager"] }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {body}");
    }
    let (_, got) = api.get(&root, &first_path).await;
    assert_eq!(roles(&got), set_of(&["Owner"]), "{got}");
    // Adding to the last owner's roles keeps the owner.
    let (status, got) = api
        .put(
            &root,
            &first_path,
            &json!({ "accessRoleNames": ["Owner", "ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(roles(&got), set_of(&["Owner", "ContactManager"]));

    // With a second owner the first may step down; then the second is the last.
    let second = id_of(
        &api.new_contact(
            &root,
            1,
            &a,
            &contact_body("second", "second-pw1", &["SecurityManager"]),
        )
        .await,
    );
    let second_path = format!("/v1/api/accounts/{a}/contacts/{second}");
    let (status, got) = api
        .put(
            &root,
            &second_path,
            &json!({ "accessRoleNames": ["Owner"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let (status, got) = api
        .put(
            &root,
            &first_path,
            &json!({ "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(roles(&got), set_of(&["ContactManager"]));
    let (status, body) = api
        .put(
            &root,
            &second_path,
            &json!({ "accessRoleNames": ["SecurityManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "now the last: {body}");
    let (_, got) = api.get(&root, &second_path).await;
    assert_eq!(roles(&got), set_of(&["Owner"]), "{got}");

    // A partner's last Private Label Owner too; its token keeps working.
    let p = api.partner(&root, "pp", None).await;
    let p_owner = api.owner_of(&root, &p.id).await;
    let (status, body) = api
        .put(
            &root,
            &format!("/v2/api/accounts/{}/contacts/{p_owner}", p.id),
            &json!({ "accessRoleNames": [OPERATORS] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = api.get(&p.token, "/v1/api/accounts").await;
    assert_eq!(status, StatusCode::OK, "P's owner still owns: {body}");

    api.assert_no_secrets();
}

#[tokio::test]
async fn a_role_change_with_put_reaches_the_contacts_live_token_within_seconds() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let p = api.partner(&root, "pp", None).await;
    let c = id_of(
        &api.new_contact(
            &root,
            2,
            &p.id,
            &contact_body("p-live", "p-live-pw1", &[OPERATORS, PUBLIC_API]),
        )
        .await,
    );
    let (client_id, secret) = client_for_contact(&app, &c, &p.id).await;
    let token = app.token_for(&client_id, &secret).await;
    let (status, body) = api.get(&token, "/v1/api/accounts").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let path = format!("/v2/api/accounts/{}/contacts/{c}", p.id);
    let limit = Duration::from_secs(5);

    let (status, body) = api
        .put(&root, &path, &json!({ "accessRoleNames": [PUBLIC_API] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, took) = poll_until(
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
        "still {status} after {took:?}"
    );

    let (status, body) = api
        .put(
            &root,
            &path,
            &json!({ "accessRoleNames": [OPERATORS, PUBLIC_API] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, took) = poll_until(&app, &token, "/v1/api/accounts", StatusCode::OK, limit).await;
    assert_eq!(status, StatusCode::OK, "still {status} after {took:?}");

    api.assert_no_secrets();
}

/// `n` characters of e-mail address.
fn email_of(n: usize) -> String {
    format!("{}@example.com", "e".repeat(n - "@example.com".len()))
}

#[tokio::test]
async fn contact_fields_take_the_reference_limits_exactly() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (a, _) = api.account(&root, "acct-a", "business").await;

    // ContactCreateV2 (and v1's twin): each field at its limit is taken
    // as given; one character more is 400 naming that field alone.
    for version in [1u8, 2] {
        let base = format!("/v{version}/api/accounts/{a}/contacts");
        let limits = [
            (
                "login",
                format!("{version}{}", "l".repeat(49)),
                format!("{version}{}", "l".repeat(50)),
            ),
            ("name", "n".repeat(50), "n".repeat(51)),
            ("email", email_of(50), email_of(51)),
            ("alternativeEmail", email_of(50), email_of(51)),
            ("phone", "1".repeat(100), "1".repeat(101)),
            ("cellularPhone", "2".repeat(255), "2".repeat(256)),
        ];
        for (i, (field, longest, past)) in limits.into_iter().enumerate() {
            let mut body = contact_body(
                &format!("lim-{version}-{i}"),
                "limit-pw-1",
                &["ContactManager"],
            );
            body[field] = json!(longest);
            let created = api.new_contact(&root, version, &a, &body).await;
            assert_eq!(created[field], longest.as_str(), "{field}: {created}");
            let mut body = contact_body(
                &format!("past-{version}-{i}"),
                "limit-pw-1",
                &["ContactManager"],
            );
            body[field] = json!(past);
            let (status, refused) = api.post(&root, &base, &body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {refused}");
            assert_only(&refused, field);
        }
    }
    // Required: password, login, name, email (and roles, tested elsewhere).
    let (status, refused) = api
        .post(
            &root,
            &format!("/v2/api/accounts/{a}/contacts"),
            &json!({ "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let mut named = fields(&refused);
    named.sort();
    assert_eq!(named, ["email", "login", "name", "password"], "{refused}");
    // Password: at least 6 with letters and digits; no longest.
    let (status, refused) = api
        .post(
            &root,
            &format!("/v2/api/accounts/{a}/contacts"),
            &contact_body("pw-short", "abc12", &["ContactManager"]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_only(&refused, "password");
    for (login, password) in [
        ("pw-six", "abc123".to_owned()),
        ("pw-long", format!("a1{}", "b".repeat(298))),
    ] {
        api.new_contact(
            &root,
            2,
            &a,
            &contact_body(login, &password, &["ContactManager"]),
        )
        .await;
    }

    // ContactInfoUpdateV2 (and v1's twin): the cellular phone takes 50 here.
    let c = id_of(
        &api.new_contact(
            &root,
            2,
            &a,
            &contact_body("upd", "update-pw-1", &["ContactManager"]),
        )
        .await,
    );
    for version in [1u8, 2] {
        let path = format!("/v{version}/api/accounts/{a}/contacts/{c}");
        for (field, longest, past) in [
            ("name", "n".repeat(50), "n".repeat(51)),
            ("email", email_of(50), email_of(51)),
            ("alternativeEmail", email_of(50), email_of(51)),
            ("phone", "1".repeat(100), "1".repeat(101)),
            ("cellularPhone", "2".repeat(50), "2".repeat(51)),
        ] {
            let (status, updated) = api.put(&root, &path, &json!({ field: longest })).await;
            assert_eq!(status, StatusCode::OK, "{field}: {updated}");
            assert_eq!(updated[field], longest.as_str(), "{field}: {updated}");
            let (status, refused) = api.put(&root, &path, &json!({ field: past })).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {refused}");
            assert_only(&refused, field);
        }
    }

    // ContactAssignV2: both fields required.
    let (b, _) = api.account(&root, "acct-b", "business").await;
    let assign = format!("/v2/api/accounts/{a}/contacts/{c}");
    for (body, field) in [
        (
            json!({ "accessRoleNames": ["ContactManager"] }),
            "targetAccountID",
        ),
        (json!({ "targetAccountID": b }), "accessRoleNames"),
    ] {
        let (status, refused) = api.post(&root, &assign, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {refused}");
        assert_only(&refused, field);
    }
    assert_eq!(api.total(&root, &b).await, 1, "nothing assigned to B");

    api.assert_no_secrets();
}

#[tokio::test]
async fn any_iso_language_and_country_is_a_culture_answered_upper_case() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (a, _) = api.account(&root, "acct-a", "business").await;
    let base = format!("/v2/api/accounts/{a}/contacts");

    let mut body = contact_body("culture-c", "culture-pw1", &["ContactManager"]);
    body["culture"] = json!("es-mx");
    let created = api.new_contact(&root, 2, &a, &body).await;
    assert_eq!(created["culture"], "ES-MX", "{created}");
    let path = format!("{base}/{}", id_of(&created));
    let (_, got) = api.get(&root, &path).await;
    assert_eq!(got["culture"], "ES-MX", "{got}");
    let (status, updated) = api.put(&root, &path, &json!({ "culture": "pt-br" })).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["culture"], "PT-BR", "{updated}");

    // Not an ISO 639-1 language, not an ISO 3166-1 country (the United
    // Kingdom is GB), or not ll-CC: 400 naming culture, nothing stored.
    for (i, bad) in ["xx-XX", "en-UK", "en_US", "english", "EN-USA"]
        .iter()
        .enumerate()
    {
        let mut body = contact_body(
            &format!("culture-bad-{i}"),
            "culture-pw1",
            &["ContactManager"],
        );
        body["culture"] = json!(bad);
        let (status, refused) = api.post(&root, &base, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {refused}");
        assert_only(&refused, "culture");
        let (status, refused) = api.put(&root, &path, &json!({ "culture": bad })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {refused}");
        assert_only(&refused, "culture");
    }
    let (_, got) = api.get(&root, &path).await;
    assert_eq!(got["culture"], "PT-BR", "{got}");
    assert_eq!(api.total(&root, &a).await, 2, "owner and culture-c");

    // The OpenAPI document says the same: a string of that shape, the
    // reference's list as examples, no closed set.
    let doc: Value = app
        .http
        .get(app.at("/swagger/v2/swagger.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schema = &doc["components"]["schemas"]["Culture"];
    assert_eq!(schema["type"], "string", "{schema}");
    assert_eq!(schema["pattern"], "^[A-Za-z]{2}-[A-Za-z]{2}$", "{schema}");
    assert!(schema.get("enum").is_none(), "{schema}");
    assert!(
        schema["examples"]
            .as_array()
            .is_some_and(|e| e.contains(&json!("NL-NL"))),
        "{schema}"
    );

    api.assert_no_secrets();
}

#[tokio::test]
async fn removing_a_contacts_only_assignment_revokes_its_api_clients() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let p = api.partner(&root, "pp", None).await;
    let c = id_of(
        &api.new_contact(
            &root,
            1,
            &p.id,
            &contact_body("p-api", "p-api-pw1", &[PUBLIC_API]),
        )
        .await,
    );
    let (client_id, secret) = client_for_contact(&app, &c, &p.id).await;
    let token = app.token_for(&client_id, &secret).await;
    let (status, who) = api.get(&token, "/v1/api/me").await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["contactID"], c.as_str(), "{who}");

    let (status, body) = api
        .delete(&root, &format!("/v1/api/accounts/{}/contacts/{c}", p.id))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let limit = Duration::from_secs(3);
    let (status, took) =
        poll_until(&app, &token, "/v1/api/me", StatusCode::UNAUTHORIZED, limit).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "still {status} after {took:?}"
    );
    // No new token either: the client is gone.
    let res = app
        .http
        .post(app.at("/oauth2/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = api
        .get(&root, &format!("/v1/api/accounts/{}/contacts/{c}", p.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = api
        .get(&root, &format!("/v1/api/clients/{client_id}"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the client is deleted: {body}"
    );
    // The partner's owner is untouched.
    let (status, body) = api.get(&p.token, "/v1/api/me").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    api.assert_no_secrets();
}

#[tokio::test]
async fn a_starter_account_takes_five_users_and_answers_402_for_the_sixth() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (a, _) = api.account(&root, "small", "starter").await;
    let path = format!("/v1/api/accounts/{a}/contacts");

    // The owner is the first of five.
    let mut made = Vec::new();
    for i in 1..5 {
        let created = api
            .new_contact(
                &root,
                1,
                &a,
                &contact_body(&format!("user-{i}"), "user-pw-1", &["ContactManager"]),
            )
            .await;
        made.push(id_of(&created));
    }
    assert_eq!(api.total(&root, &a).await, 5);
    for version in [1, 2] {
        let (status, refused) = api
            .post(
                &root,
                &format!("/v{version}/api/accounts/{a}/contacts"),
                &contact_body("user-6", "user-pw-1", &["ContactManager"]),
            )
            .await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{refused}");
        assert_eq!(refused["title"], "Payment Required", "{refused}");
        assert!(
            refused["type"]
                .as_str()
                .is_some_and(|t| t.contains("limit-exceeded")),
            "{refused}"
        );
    }
    let page = api.all(&root, 1, &a).await;
    assert_eq!(
        page["total"], 5,
        "nothing stored for the refused one: {page}"
    );
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["login"] != "user-6"),
        "{page}"
    );

    // Assigning a contact from elsewhere counts as well.
    let (b, _) = api.account(&root, "other", "business").await;
    let x = id_of(
        &api.new_contact(
            &root,
            1,
            &b,
            &contact_body("outsider", "user-pw-1", &["ContactManager"]),
        )
        .await,
    );
    let (status, refused) = api
        .post(
            &root,
            &format!("/v2/api/accounts/{b}/contacts/{x}"),
            &json!({ "targetAccountID": a, "accessRoleNames": ["ContactManager"] }),
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{refused}");
    assert_eq!(api.total(&root, &a).await, 5);

    // The refused login was not kept: once there is room it is free.
    let (status, body) = api.delete(&root, &format!("{path}/{}", made[0])).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    api.new_contact(
        &root,
        2,
        &a,
        &contact_body("user-6", "user-pw-1", &["ContactManager"]),
    )
    .await;
    assert_eq!(api.total(&root, &a).await, 5);

    api.assert_no_secrets();
}

#[tokio::test]
async fn a_contact_changes_its_password_with_the_current_one_and_an_owner_above_resets_it() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let p = api.partner(&root, "pp", None).await;
    // PUBLICAPI lets the contact hold a client; OPERATORS grants the
    // contacts:write the password route demands.
    let c = id_of(
        &api.new_contact(
            &root,
            1,
            &p.id,
            &contact_body("p-self", "first-pw1", &[PUBLIC_API, OPERATORS]),
        )
        .await,
    );
    let (client_id, secret) = client_for_contact(&app, &c, &p.id).await;
    let own = app.token_for(&client_id, &secret).await;
    let path = format!("/v1/api/contacts/{c}/password");

    // With the right current password.
    let (status, body) = api
        .post(
            &own,
            &path,
            &json!({ "currentPassword": "first-pw1", "newPassword": "second-pw2" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // The old one no longer counts; the new one does.
    for (current, field) in [
        (json!("first-pw1"), "currentPassword"),
        (json!("wrong-pw9"), "currentPassword"),
    ] {
        let (status, refused) = api
            .post(
                &own,
                &path,
                &json!({ "currentPassword": current, "newPassword": "third-pw3" }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{current}: {refused}");
        assert_names(&refused, &[field]);
    }
    for missing in [
        json!({ "newPassword": "third-pw3" }),
        json!({ "currentPassword": "", "newPassword": "third-pw3" }),
    ] {
        let (status, refused) = api.post(&own, &path, &missing).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{missing}: {refused}");
        assert_names(&refused, &["currentPassword"]);
    }
    // A new password must meet the policy.
    for weak in ["sh0rt", "lettersonly", "12345678"] {
        let (status, refused) = api
            .post(
                &own,
                &path,
                &json!({ "currentPassword": "second-pw2", "newPassword": weak }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{weak}: {refused}");
        assert_names(&refused, &["newPassword"]);
    }
    let (status, body) = api
        .post(
            &own,
            &format!("/v2/api/contacts/{c}/password"),
            &json!({ "currentPassword": "second-pw2", "newPassword": "third-pw3" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "v2 path: {body}");

    // The root, an owner above P, resets it without the current one.
    let (status, body) = api
        .post(&root, &path, &json!({ "newPassword": "reset-pw4" }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = api
        .post(
            &own,
            &path,
            &json!({ "currentPassword": "reset-pw4", "newPassword": "fifth-pw5" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "the reset took: {body}");

    // P's own owner is not above P: it proves the current password.
    let d = id_of(
        &api.new_contact(
            &p.token,
            2,
            &p.id,
            &contact_body("p-other", "other-pw1", &[OPERATORS]),
        )
        .await,
    );
    let d_path = format!("/v1/api/contacts/{d}/password");
    let (status, refused) = api
        .post(&p.token, &d_path, &json!({ "newPassword": "other-pw2" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(&refused, &["currentPassword"]);
    let (status, body) = api
        .post(
            &p.token,
            &d_path,
            &json!({ "currentPassword": "other-pw1", "newPassword": "other-pw2" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Unknown or foreign contacts: 404.
    let (status, body) = api
        .post(
            &root,
            &format!("/v1/api/contacts/{}/password", random_id()),
            &json!({ "newPassword": "ghost-pw1" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let q = api.partner(&root, "pq", None).await;
    let (status, body) = api
        .post(&q.token, &d_path, &json!({ "newPassword": "other-pw3" }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a sibling's contact: {body}");

    api.assert_no_secrets();
}

#[tokio::test]
async fn no_response_body_carries_a_password_or_a_hash() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let root = app.root_token().await;
    let (a, owner) = api.account(&root, "acct-a", "business").await;
    let (b, _) = api.account(&root, "acct-b", "business").await;
    let p = api.partner(&root, "pp", None).await;
    api.secret("secret12"); // every account owner's, sent in the account body

    // Every contact route, on both paths, successes and refusals.
    let mut made = Vec::new();
    for version in [1, 2] {
        let created = api
            .new_contact(
                &root,
                version,
                &a,
                &contact_body(
                    &format!("leak-{version}"),
                    &format!("Leak-Pw-{version}x"),
                    &["ContactManager"],
                ),
            )
            .await;
        made.push(id_of(&created));
        let base = format!("/v{version}/api/accounts/{a}/contacts");
        api.get(&root, &base).await;
        api.get(&root, &format!("{base}?skip=1&take=1")).await;
        api.get(&root, &format!("{base}/{owner}")).await;
        api.get(&root, &format!("{base}/{}", made[0])).await;
        api.put(
            &root,
            &format!("{base}/{}", made[0]),
            &json!({ "name": "Still Secret" }),
        )
        .await;
        // Refusals that carry the password back if anything would.
        api.post(
            &root,
            &base,
            &contact_body("leak-dup", "weakpass", &["ContactManager"]),
        )
        .await;
        api.post(
            &root,
            &base,
            &contact_body(
                &format!("leak-{version}"),
                "Dup-Pw-77x",
                &["ContactManager"],
            ),
        )
        .await;
        api.post(
            &root,
            &base,
            &contact_body("leak-role", "Role-Pw-77x", &["NoSuchRole"]),
        )
        .await;
    }
    api.post(
        &root,
        &format!("/v2/api/accounts/{a}/contacts/{}", made[1]),
        &json!({ "targetAccountID": b, "accessRoleNames": ["SecurityManager"] }),
    )
    .await;
    api.get(&root, &format!("/v2/api/accounts/{b}/contacts"))
        .await;
    api.get(&root, &format!("/v1/api/accounts/{a}")).await;
    api.get(&root, &format!("/v2/api/accounts/{a}")).await;
    api.get(&root, "/v1/api/accounts").await;
    let pc = id_of(
        &api.new_contact(
            &root,
            2,
            &p.id,
            &contact_body("leak-partner", "Partner-Pw-1x", &[OPERATORS]),
        )
        .await,
    );
    api.get(&root, &format!("/v2/api/accounts/{}/contacts", p.id))
        .await;
    let pw = format!("/v1/api/contacts/{pc}/password");
    api.post(
        &p.token,
        &pw,
        &json!({ "currentPassword": "Wrong-Pw-1x", "newPassword": "Next-Pw-1x" }),
    )
    .await;
    api.post(
        &p.token,
        &pw,
        &json!({ "currentPassword": "Partner-Pw-1x", "newPassword": "weakweak" }),
    )
    .await;
    api.post(
        &p.token,
        &pw,
        &json!({ "currentPassword": "Partner-Pw-1x", "newPassword": "Next-Pw-1x" }),
    )
    .await;
    api.post(&root, &pw, &json!({ "newPassword": "Reset-Pw-1x" }))
        .await;
    api.get(&root, &format!("/v1/api/accounts/{}/contacts/{pc}", p.id))
        .await;
    api.delete(&root, &format!("/v1/api/accounts/{a}/contacts/{}", made[0]))
        .await;

    let seen = api.seen.lock().unwrap().bodies.len();
    assert!(seen >= 30, "only {seen} answers were recorded");
    api.assert_no_secrets();
}
