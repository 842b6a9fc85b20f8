//! Safe retries: an `Idempotency-Key` on a creating POST makes a retry
//! answer the first answer instead of creating again, whatever the timing.

#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_names, total};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, account_body};

/// POSTs `body` with `key`; status, `Idempotent-Replayed`, body.
async fn post_keyed(
    app: &TestApp,
    token: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, bool, Value) {
    let res = app
        .http
        .post(app.at(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let replayed = res
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    (status, replayed, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_hundred_concurrent_retries_create_one_account_and_answer_it_alike() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let body = account_body("onceco", Some("starter"));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (http, url, token, body) = (
            app.http.clone(),
            app.at("/v1/api/accounts"),
            root.clone(),
            body.clone(),
        );
        set.spawn(async move {
            let res = http
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", "create-onceco")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let replayed = res
                .headers()
                .get("idempotent-replayed")
                .is_some_and(|v| v == "true");
            (status, replayed, res.json::<Value>().await.unwrap())
        });
    }
    let answers = set.join_all().await;
    let ids: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|(status, _, body)| {
            assert_eq!(
                *status,
                StatusCode::CREATED,
                "every answer is the first one: {body}"
            );
            body["customerID"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one customerID in every answer, got {ids:?}");
    let fresh = answers.iter().filter(|(_, replayed, _)| !replayed).count();
    assert_eq!(fresh, 1, "exactly one answer is not a replay");
    assert_eq!(
        total(&app, &root, "userName=onceco").await,
        1,
        "exactly one account"
    );
    // Replays are the first answer, byte for byte in meaning.
    let first = &answers.iter().find(|(_, r, _)| !r).unwrap().2;
    assert!(
        answers.iter().all(|(_, _, b)| b == first),
        "every answer equals the first"
    );
}

#[tokio::test]
async fn a_key_answers_its_own_request_only_and_belongs_to_one_client() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let (status, replayed, first) = post_keyed(
        &app,
        &root,
        "/v1/api/accounts",
        "k-1",
        &account_body("keyone", Some("starter")),
    )
    .await;
    assert_eq!((status, replayed), (StatusCode::CREATED, false), "{first}");

    // The same key with another document is refused, and creates nothing.
    let (status, _, problem) = post_keyed(
        &app,
        &root,
        "/v1/api/accounts",
        "k-1",
        &account_body("keytwo", Some("starter")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["type"], "urn:partner:problem:idempotency-key-reused",
        "{problem}"
    );
    assert_eq!(total(&app, &root, "userName=keytwo").await, 0);

    // The same document spelled differently is the same request.
    let mut pascal = json!({});
    for (k, v) in account_body("keyone", Some("starter")).as_object().unwrap() {
        let mut c = k.chars();
        pascal[c.next().unwrap().to_ascii_uppercase().to_string() + c.as_str()] = v.clone();
    }
    let (status, replayed, again) =
        post_keyed(&app, &root, "/v1/api/accounts", "k-1", &pascal).await;
    assert_eq!((status, replayed), (StatusCode::CREATED, true), "{again}");
    assert_eq!(again, first);

    // Another client's key of the same text is its own.
    let p = app.partner(&root, "keyholder", None).await;
    let (status, replayed, other) = post_keyed(
        &app,
        &p.token,
        "/v1/api/accounts",
        "k-1",
        &account_body("keythree", Some("starter")),
    )
    .await;
    assert_eq!((status, replayed), (StatusCode::CREATED, false), "{other}");
    assert_ne!(other["customerID"], first["customerID"]);

    // Without a key nothing changes: two posts, two accounts.
    for name in ["nokey1", "nokey2"] {
        let (status, made) = app
            .post(
                &root,
                "/v1/api/accounts",
                &account_body(name, Some("starter")),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
    }

    // A key must be 1..=255 visible ASCII characters.
    for bad in ["x".repeat(256), "has space".to_owned()] {
        let (status, _, problem) = post_keyed(
            &app,
            &root,
            "/v1/api/accounts",
            &bad,
            &account_body("badkey", Some("starter")),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert_names(&problem, &["Idempotency-Key"]);
    }
    assert_eq!(total(&app, &root, "userName=badkey").await, 0);
}

#[tokio::test]
async fn a_failed_create_leaves_the_key_free_for_the_corrected_retry() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let mut bad = account_body("fixme", Some("starter"));
    bad["planName"] = json!("no-such-plan");
    let (status, _, problem) = post_keyed(&app, &root, "/v1/api/accounts", "fix-1", &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, replayed, made) = post_keyed(
        &app,
        &root,
        "/v1/api/accounts",
        "fix-1",
        &account_body("fixme", Some("starter")),
    )
    .await;
    assert_eq!((status, replayed), (StatusCode::CREATED, false), "{made}");
}

#[tokio::test]
async fn contacts_clients_credits_and_access_requests_replay_too() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let p = app.partner(&root, "replayer", None).await;
    let (_, acct) = app
        .post(
            &root,
            "/v1/api/accounts",
            &account_body("replayacct", Some("business")),
        )
        .await;
    let acct = acct["customerID"].as_str().unwrap().to_owned();

    // A contact.
    let contact = json!({"login": "rp-contact", "password": "Secret-12345", "name": "R P",
                         "email": "rp@example.com", "accessRoleNames": ["TechnicalAdministrator"]});
    let path = format!("/v1/api/accounts/{acct}/contacts");
    let (s1, r1, c1) = post_keyed(&app, &root, &path, "c-1", &contact).await;
    let (s2, r2, c2) = post_keyed(&app, &root, &path, "c-1", &contact).await;
    assert_eq!(
        (s1, r1, s2, r2),
        (StatusCode::CREATED, false, StatusCode::CREATED, true),
        "{c1} / {c2}"
    );
    assert_eq!(c1, c2);
    let (_, page) = app.get(&root, &path).await;
    assert_eq!(page["total"], 2, "the owner and one contact: {page}");

    // Credit: allocated once.
    let path = format!("/v1/api/accounts/{}/credits", p.id);
    let credit = json!({"amount": 500, "currency": "USD", "note": "once"});
    let (s1, r1, a1) = post_keyed(&app, &root, &path, "cr-1", &credit).await;
    let (s2, r2, a2) = post_keyed(&app, &root, &path, "cr-1", &credit).await;
    assert_eq!(
        (s1, r1, s2, r2),
        (StatusCode::CREATED, false, StatusCode::CREATED, true),
        "{a1} / {a2}"
    );
    assert_eq!(a1, a2);
    let (_, credits) = app.get(&root, &path).await;
    assert_eq!(credits["balance"], 500, "{credits}");

    // An API client: the replay is the same client, without the secret,
    // which is shown once and never kept.
    let (_, me) = app.get(&root, "/v1/api/me").await;
    let owner = me["contactID"].as_str().unwrap();
    let body = json!({"contactID": owner, "name": "ci"});
    let (s1, r1, k1) = post_keyed(&app, &root, "/v1/api/clients", "cl-1", &body).await;
    let (s2, r2, k2) = post_keyed(&app, &root, "/v1/api/clients", "cl-1", &body).await;
    assert_eq!(
        (s1, r1, s2, r2),
        (StatusCode::CREATED, false, StatusCode::CREATED, true),
        "{k1} / {k2}"
    );
    assert_eq!(k1["clientID"], k2["clientID"]);
    assert!(
        k1["clientSecret"].as_str().is_some_and(|s| !s.is_empty()),
        "{k1}"
    );
    let secret = k1["clientSecret"].as_str().unwrap();
    assert!(
        !k2.to_string().contains(secret),
        "a replay never repeats the secret: {k2}"
    );
}
