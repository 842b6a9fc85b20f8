//! Deep lists end to end: a keyset walk (`after` = the previous page's
//! `nextCursor`) visits each of thousands of accounts exactly once while
//! others are being created; `skip` stops at 10,000 and points to `after`;
//! and a list's cached `total` follows every create and delete at once.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::{assert_names, id_of, ids, list, problem, total};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row as _;
use tests::{Svc, TestApp, account_body, account_body_v2};

const SEEDED: usize = 5_000;
const LIVE: usize = 10;
const TAKE: usize = 200;

/// Writes `SEEDED` active accounts below the root straight into
/// account-svc's `customer` table, with the columns a real create writes
/// (`store::customer::insert_provisioning`, then `activate`); a thousand
/// rows a statement. Their ids are UUIDv7 like every other, so they sort
/// before anything created afterwards. Returns the ids.
async fn seed_accounts(app: &TestApp) -> Vec<String> {
    let db = app.stack.db(Svc::Account);
    let root_path: String = sqlx::query("select path from customer where customer_id = $1")
        .bind(&app.root_id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("path")
        .unwrap();
    let now = platform::id::now_rfc3339();
    let ids: Vec<String> = (0..SEEDED).map(|_| platform::id::new_id()).collect();
    for (chunk_no, chunk) in ids.chunks(1000).enumerate() {
        // $1 the time; then per row its id, user name (also the key: it is
        // lower case already), parent, path and owner contact. 5,001
        // parameters: below SQLite's 32,766 and PostgreSQL's 65,535.
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = 1 + i * 5;
                format!(
                    "(${}, 'account', '', ${}, ${}, ${}, 'starter', 'Email', 'active', 'enabled', \
                     'Seeded Inc', '', '1 Main Street', '', '', 'Springfield', 'IL', '62701', 'US', \
                     '{{}}', ${}, $1, '', '', '', $1, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 2,
                )
            })
            .collect();
        let sql = format!(
            "insert into customer (customer_id, kind, partner_program, user_name, parent_id, path, \
             plan_name, programs, status, state, company_name, company_phone, address_line1, \
             address_line2, address_line3, city, address_state, zip, country, options, \
             owner_contact_id, created_at, company_culture, vat_number, msa_accepted_at, updated_at, \
             user_name_key) values {}",
            values.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.clone());
        for (i, id) in chunk.iter().enumerate() {
            query = query
                .bind(id.clone())
                .bind(format!("seed{:05}", chunk_no * 1000 + i))
                .bind(app.root_id.clone())
                .bind(format!("{root_path}{id}/"))
                .bind(platform::id::new_id());
        }
        query.execute(&db.pool).await.unwrap();
    }
    ids
}

#[tokio::test]
async fn a_cursor_walk_visits_every_account_once_while_others_are_created() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let seeded = seed_accounts(&app).await;
    // Written behind account-svc's back, the seeded rows are not in any
    // cached total; a create through the API starts a new generation.
    let (status, created) = app
        .post(&token, "/v1/api/accounts", &account_body("bump", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(total(&app, &token, "take=1").await, SEEDED as i64 + 1);

    let creator = {
        let (http, url, token) = (app.http.clone(), app.at("/v1/api/accounts"), token.clone());
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..LIVE {
                let res = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&account_body(&format!("live{n:02}"), None))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::CREATED);
                ids.push(id_of(&res.json::<Value>().await.unwrap()));
            }
            ids
        })
    };

    let mut seen = Vec::new();
    let mut query = format!("take={TAKE}");
    let mut previous_had_cursor = false;
    loop {
        let page = list(&app, &token, &query).await;
        let page_ids = ids(&page);
        if previous_had_cursor {
            assert!(
                !page_ids.is_empty(),
                "a cursor led to an empty page: ?{query}"
            );
        }
        let total = page["total"].as_i64().unwrap();
        assert!(
            (SEEDED as i64 + 1..=(SEEDED + 1 + LIVE) as i64).contains(&total),
            "total {total}"
        );
        seen.extend(page_ids.iter().cloned());
        match page.get("nextCursor").and_then(Value::as_str) {
            Some(cursor) => {
                assert_eq!(page_ids.len(), TAKE, "a cursor on a short page: ?{query}");
                assert_eq!(Some(cursor), page_ids.last().map(String::as_str));
                query = format!("take={TAKE}&after={cursor}");
                previous_had_cursor = true;
            }
            None => break,
        }
        assert!(seen.len() <= SEEDED + 1 + LIVE, "the walk does not end");
    }
    let live = creator.await.unwrap();

    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an account was visited twice");
    assert!(
        seeded.iter().all(|id| unique.contains(id)),
        "{} seeded accounts were not visited",
        seeded.iter().filter(|id| !unique.contains(id)).count()
    );
    assert!(unique.contains(&id_of(&created)));
    // The walk ended where no more items followed: whatever lies after its
    // last item now was created by the concurrent task after that page.
    let last = seen.last().unwrap();
    let rest = list(&app, &token, &format!("take=1000&after={last}")).await;
    let live: HashSet<&String> = live.iter().collect();
    assert!(
        ids(&rest).iter().all(|id| live.contains(id)),
        "the last page had no cursor but older items follow: {rest}"
    );
    assert!(rest.get("nextCursor").is_none(), "{rest}");
    assert_eq!(
        seen.len() + ids(&rest).len(),
        SEEDED + 1 + LIVE,
        "every account, seeded or live, once"
    );
}

#[tokio::test]
async fn skip_stops_at_ten_thousand_and_points_to_after() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    for path in [
        "/v1/api/accounts",
        "/v2/api/accounts",
        "/v2/api/accounts/failedSetups",
    ] {
        let res = app
            .http
            .get(app.at(&format!("{path}?skip=10001")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert_names(&body, &["skip"]);
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("after"), "{path}: {body}");

        let (status, page) = app.get(&token, &format!("{path}?skip=10000")).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert_eq!(page["count"], 0, "{path}: {page}");

        for bad in ["not-a-cursor", "ABCDEF0123456789ABCDEF0123456789", "1"] {
            let res = app
                .http
                .get(app.at(&format!("{path}?after={bad}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let body = problem(res, StatusCode::BAD_REQUEST).await;
            assert_names(&body, &["after"]);
        }
    }
}

#[tokio::test]
async fn totals_follow_every_create_and_delete_at_once() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let sub = common::partner(&app, &token, "sub", None).await;
    // Counted (and cached) before the writes.
    let root_before = total(&app, &token, "").await;
    assert_eq!(total(&app, &sub.token, "").await, 0);
    assert_eq!(total(&app, &token, "planName=business").await, 0);

    // A create below the partner changes its total and every ancestor's.
    let mut body = account_body("fresh", Some("business"));
    body["general"]["parentPartnerID"] = json!(sub.id);
    let (status, created) = app.post(&token, "/v1/api/accounts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = id_of(&created);
    assert_eq!(total(&app, &token, "").await, root_before + 1);
    assert_eq!(total(&app, &sub.token, "").await, 1);
    assert_eq!(total(&app, &token, "planName=business").await, 1);

    let (status, _) = app
        .delete(&token, &format!("/v1/api/accounts/{id}?reason=test"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(total(&app, &token, "").await, root_before);
    assert_eq!(total(&app, &sub.token, "").await, 0);
    assert_eq!(total(&app, &token, "planName=business").await, 0);
}

/// `GET /v2/api/accounts/failedSetups?{query}`, which must answer 200.
async fn setups(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, page) = app
        .get(token, &format!("/v2/api/accounts/failedSetups?{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

/// Keeps a failed setup: a v2 create paying with a blacklisted card.
async fn keep_setup(app: &TestApp, token: &str, name: &str) -> String {
    let mut body = account_body_v2(name, None);
    body["payment"]["creditCard"]["cardNumber"] = json!("4100000000000019");
    let (status, doc) = app.post(token, "/v2/api/accounts", &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{doc}");
    doc["failedSetupID"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn failed_setups_walk_newest_first_by_cursor_and_count_a_new_one_at_once() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let mut kept = Vec::new();
    for n in 0..5 {
        kept.push(keep_setup(&app, &token, &format!("refused{n}")).await);
    }
    kept.reverse();

    let mut walked = Vec::new();
    let mut query = "take=2".to_owned();
    loop {
        let page = setups(&app, &token, &query).await;
        assert_eq!(page["total"], 5, "{page}");
        let page_ids: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["failedSetupID"].as_str().unwrap().to_owned())
            .collect();
        walked.extend(page_ids.iter().cloned());
        match page.get("nextCursor").and_then(Value::as_str) {
            Some(cursor) => {
                assert_eq!(Some(cursor), page_ids.last().map(String::as_str));
                query = format!("take=2&after={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(walked, kept, "each once, newest first");

    keep_setup(&app, &token, "refused5").await;
    assert_eq!(setups(&app, &token, "take=1").await["total"], 6);
}

#[tokio::test]
async fn the_api_documents_describe_after_next_cursor_and_the_skip_cap() {
    let app = TestApp::spawn().await;
    for (version, path) in [
        ("v1", "/v1/api/accounts"),
        ("v2", "/v2/api/accounts"),
        ("v2", "/v2/api/accounts/failedSetups"),
    ] {
        let doc: Value = app
            .http
            .get(app.at(&format!("/swagger/{version}/swagger.json")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let get = &doc["paths"][path]["get"];
        let param = |name: &str| {
            get["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name && p["in"] == "query")
                .cloned()
                .unwrap_or_else(|| panic!("{path}: no query parameter {name}"))
        };
        let skip = param("skip");
        assert_eq!(
            (
                skip["schema"]["minimum"].as_f64(),
                skip["schema"]["maximum"].as_f64()
            ),
            (Some(0.0), Some(10_000.0)),
            "{path}: {skip}"
        );
        assert!(
            param("after")["schema"]["type"]
                .to_string()
                .contains("string")
        );
        let page = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let next = &doc["components"]["schemas"][&page]["properties"]["nextCursor"];
        assert!(next.is_object(), "{path}: {page} has no nextCursor");
        let required = doc["components"]["schemas"][&page]["required"].to_string();
        assert!(
            !required.contains("nextCursor"),
            "{path}: absent on the last page"
        );
    }
}
