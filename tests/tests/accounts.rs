//! Accounts and partners through `/accounts`: create, read, check a name,
//! list with filters and paging, delete, plans, conflicts and card outcomes.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::{
    assert_names, create_all, fields, head, id_of, ids, list, partner, problem, put, total,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, account_body};

async fn create(app: &TestApp, token: &str, body: &Value) -> (StatusCode, Value) {
    app.post(token, "/v1/api/accounts", body).await
}

/// Raw POST, for tests that read the headers of the answer.
async fn create_raw(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.http
        .post(app.at("/v1/api/accounts"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn with_login(name: &str, login: &str) -> Value {
    let mut body = account_body(name, None);
    body["general"]["login"] = json!(login);
    body
}

fn with_card(name: &str, number: &str) -> Value {
    let mut body = account_body(name, None);
    body["payment"]["creditCard"]["cardNumber"] = json!(number);
    body
}

#[tokio::test]
async fn created_account_is_visible_by_id_and_in_the_list() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, created) = create(&app, &token, &account_body("acme", Some("business"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = id_of(&created);
    assert_eq!(id.len(), 32, "{created}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{created}");
    assert_eq!(created["userName"], "acme");
    assert_eq!(created["planName"], "business");
    assert_eq!(created["parentPartnerID"], app.root_id.as_str());
    assert_eq!(created["kind"], "account");
    assert_eq!(created["state"], "enabled");
    assert_eq!(created["programs"], json!(["account"]));
    // As the reference's examples write it: `2017-04-20T09:50:26.203+00:00`.
    let purchased = created["purchaseDate"].as_str().unwrap();
    let b = purchased.as_bytes();
    assert!(
        b.len() == 29 && b[10] == b'T' && b[19] == b'.' && purchased.ends_with("+00:00"),
        "{purchased}"
    );

    let (status, got) = app.get(&token, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created);

    let page = list(&app, &token, "").await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["count"], 1, "{page}");
    assert_eq!(page["items"][0], created);
    assert!(page.get("nextCursor").is_none(), "{page}");
}

#[tokio::test]
async fn head_tells_whether_a_user_name_is_taken_regardless_of_case() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    for v in ["v1", "v2"] {
        let path = format!("/{v}/api/accounts/acme");
        assert_eq!(head(&app, &token, &path).await, StatusCode::NOT_FOUND);
    }
    let (status, created) = create(&app, &token, &account_body("acme", None)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    for v in ["v1", "v2"] {
        for name in ["acme", "ACME", "AcMe"] {
            let path = format!("/{v}/api/accounts/{name}");
            assert_eq!(head(&app, &token, &path).await, StatusCode::OK, "{path}");
        }
        let path = format!("/{v}/api/accounts/acme2");
        assert_eq!(head(&app, &token, &path).await, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn v2_paths_answer_like_v1() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, created) = app
        .post(
            &token,
            "/v2/api/accounts",
            &tests::account_body_v2("acme", None),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = id_of(&created);
    let (s1, v1) = app.get(&token, &format!("/v1/api/accounts/{id}")).await;
    let (s2, v2) = app.get(&token, &format!("/v2/api/accounts/{id}")).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    // One customer, two views: v2 answers the day only.
    for field in [
        "customerID",
        "userName",
        "parentPartnerID",
        "planName",
        "programs",
        "state",
    ] {
        assert_eq!(v1[field], v2[field], "{field}");
    }
    assert!(
        v1["purchaseDate"]
            .as_str()
            .unwrap()
            .starts_with(v2["purchaseDate"].as_str().unwrap())
    );
    let (status, page) = app.get(&token, "/v2/api/accounts?userName=acme").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page), vec![id.clone()]);
    let (status, plans) = app
        .get(&token, &format!("/v2/api/accounts/{id}/plans"))
        .await;
    assert_eq!(status, StatusCode::OK, "{plans}");
    let (status, plans) = app.get(&token, "/v2/api/plans").await;
    assert_eq!(status, StatusCode::OK, "{plans}");
    let (status, _) = app
        .delete(&token, &format!("/v2/api/accounts/{id}?reason=test"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(total(&app, &token, "").await, 0);
}

/// 40 accounts under the root and 12 under a sub-partner; every third is on
/// `business`, the rest on `starter`. Returns the sub-partner's id and every
/// created customer (the sub-partner first).
async fn seed(app: &TestApp, token: &str) -> (String, Vec<Value>) {
    let sub = partner(app, token, "sub", None).await;
    let (status, sub_row) = app
        .get(token, &format!("/v1/api/accounts/{}", sub.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    let bodies: Vec<Value> = (0..52)
        .map(|i| {
            let plan = if i % 3 == 0 { "business" } else { "starter" };
            let mut body = account_body(&format!("acct{i:02}"), Some(plan));
            if i >= 40 {
                body["general"]["parentPartnerID"] = json!(sub.id);
            }
            body
        })
        .collect();
    let mut all = vec![sub_row];
    all.extend(create_all(app, token, bodies).await);
    (sub.id, all)
}

#[tokio::test]
async fn filters_give_known_totals_over_fifty_accounts() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (sub, all) = seed(&app, &token).await;
    let business = (0..52).filter(|i| i % 3 == 0).count() as i64; // 18
    let sub_business = (40..52).filter(|i| i % 3 == 0).count() as i64; // 4

    for (query, expected) in [
        ("", 53),
        ("planName=business", business),
        ("planName=starter", 52 - business),
        ("planName=partner-standard", 1),
        ("planName=enterprise", 0),
        (&format!("parentPartnerID={sub}") as &str, 12),
        (&format!("parentPartnerID={}", app.root_id), 41),
        (
            &format!("parentPartnerID={sub}&planName=business"),
            sub_business,
        ),
        ("userName=acct07", 1),
        ("userName=nobody", 0),
    ] {
        let page = list(&app, &token, query).await;
        assert_eq!(page["total"], expected, "?{query}: total");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len() as i64, expected, "?{query}: items");
        assert_eq!(page["count"], expected, "?{query}: count");
        for item in items {
            if let Some(plan) = query.strip_prefix("planName=") {
                assert_eq!(item["planName"], plan, "?{query}");
            }
        }
    }
    let by_parent = list(&app, &token, &format!("parentPartnerID={sub}")).await;
    assert!(
        by_parent["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["parentPartnerID"] == sub.as_str() && c["kind"] == "account")
    );

    // The user name filter ignores case and finds exactly that customer.
    let one = list(&app, &token, "userName=ACCT07").await;
    assert_eq!(one["total"], 1);
    assert_eq!(one["items"][0], all[8], "{one}");

    // The sub-partner's own view: its accounts only.
    let (client_id, secret) = app.client_for(&sub).await;
    let sub_token = app.token_for(&client_id, &secret).await;
    assert_eq!(total(&app, &sub_token, "").await, 12);
    assert_eq!(
        total(&app, &sub_token, "planName=business").await,
        sub_business
    );
}

#[tokio::test]
async fn skip_take_and_cursor_pages_walk_every_account_once() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (_, all) = seed(&app, &token).await;
    let everyone = list(&app, &token, "take=1000").await;
    assert_eq!(everyone["total"], 53);
    assert_eq!(everyone["count"], 53);
    let full = ids(&everyone);
    let expected: HashSet<String> = all.iter().map(id_of).collect();
    assert_eq!(full.iter().cloned().collect::<HashSet<_>>(), expected);
    // The default page holds them all too (default take is 100).
    assert_eq!(ids(&list(&app, &token, "").await), full);

    // skip/take pages of 10 concatenate to the full list.
    let mut paged = Vec::new();
    for skip in (0..60).step_by(10) {
        let page = list(&app, &token, &format!("skip={skip}&take=10")).await;
        let expected_count = (53 - skip).clamp(0, 10);
        assert_eq!(page["total"], 53, "skip={skip}");
        assert_eq!(page["count"], expected_count, "skip={skip}");
        paged.extend(ids(&page));
    }
    assert_eq!(paged, full);
    let beyond = list(&app, &token, "skip=53&take=10").await;
    assert_eq!(
        (beyond["count"].clone(), beyond["total"].clone()),
        (json!(0), json!(53))
    );

    // Cursors: present while more follow, and each leads to the next page.
    let mut walked = Vec::new();
    let mut query = "take=7".to_owned();
    let mut pages = 0;
    loop {
        let page = list(&app, &token, &query).await;
        assert_eq!(page["total"], 53, "{query}");
        let page_ids = ids(&page);
        pages += 1;
        walked.extend(page_ids.clone());
        match page.get("nextCursor").and_then(Value::as_str) {
            Some(cursor) => {
                assert!(walked.len() < 53, "a cursor after the last item: {page}");
                assert_eq!(page["count"], 7);
                assert_eq!(cursor, page_ids.last().unwrap());
                query = format!("take=7&after={cursor}");
            }
            None => {
                assert_eq!(walked.len(), 53, "no cursor though items follow: {page}");
                break;
            }
        }
        assert!(pages <= 8, "cursor paging does not end");
    }
    assert_eq!(pages, 8);
    assert_eq!(walked, full);

    // A cursor page equals the skip page it continues.
    let first = list(&app, &token, "take=10").await;
    let cursor = first["nextCursor"].as_str().unwrap();
    let next = list(&app, &token, &format!("take=10&after={cursor}")).await;
    assert_eq!(ids(&next), full[10..20].to_vec());
    // A page that ends exactly at the last item has no cursor.
    let exact = list(&app, &token, "take=53").await;
    assert!(exact.get("nextCursor").is_none(), "{exact}");
    let last = list(&app, &token, "skip=43&take=10").await;
    assert!(last.get("nextCursor").is_none(), "{last}");
    let almost = list(&app, &token, "take=52").await;
    assert_eq!(almost["nextCursor"], full[51].as_str());
}

#[tokio::test]
async fn paging_parameters_out_of_range_name_the_parameter() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    for (query, field) in [
        ("take=1001", "take"),
        ("take=0", "take"),
        ("take=-5", "take"),
        ("take=abc", "take"),
        ("take=", "take"),
        ("skip=-1", "skip"),
        ("skip=x", "skip"),
        ("after=not-a-cursor", "after"),
        ("parentPartnerID=nope", "parentPartnerID"),
    ] {
        let res = app
            .http
            .get(app.at(&format!("/v1/api/accounts?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert_names(&body, &[field]);
        assert_eq!(fields(&body).len(), 1, "?{query}: {body}");
    }
    // Both limits are inclusive.
    assert_eq!(list(&app, &token, "take=1000").await["count"], 0);
    assert_eq!(list(&app, &token, "take=1&skip=0").await["count"], 0);
}

#[tokio::test]
async fn deleted_account_is_gone_from_get_list_and_head() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (_, keep) = create(&app, &token, &account_body("keep", None)).await;
    let (status, gone) = create(&app, &token, &account_body("gone", None)).await;
    assert_eq!(status, StatusCode::CREATED, "{gone}");
    let id = id_of(&gone);
    let (status, body) = app
        .delete(
            &token,
            &format!("/v1/api/accounts/{id}?reason=closed&comments=by+test"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = app.get(&token, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = list(&app, &token, "").await;
    assert_eq!(ids(&page), vec![id_of(&keep)]);
    assert_eq!(page["total"], 1);
    assert_eq!(total(&app, &token, "userName=gone").await, 0);
    assert_eq!(
        head(&app, &token, "/v1/api/accounts/gone").await,
        StatusCode::NOT_FOUND
    );
    // A second delete finds nothing.
    let (status, _) = app
        .delete(&token, &format!("/v1/api/accounts/{id}?reason=again"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Name and owner login are free again: the same request creates anew.
    let (status, again) = create(&app, &token, &account_body("gone", None)).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_ne!(id_of(&again), id);
}

#[tokio::test]
async fn delete_needs_a_reason_of_at_most_512_characters() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (_, created) = create(&app, &token, &account_body("acme", None)).await;
    let id = id_of(&created);
    let long = "r".repeat(513);
    let max = "r".repeat(512);
    for (query, field) in [
        (String::new(), "reason"),
        ("?reason=".to_owned(), "reason"),
        ("?reason=+++".to_owned(), "reason"),
        ("?comments=why".to_owned(), "reason"),
        (format!("?reason={long}"), "reason"),
        (format!("?reason=ok&comments={long}"), "comments"),
    ] {
        let res = app
            .http
            .delete(app.at(&format!("/v1/api/accounts/{id}{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert_names(&body, &[field]);
        // Nothing was deleted.
        let (status, _) = app.get(&token, &format!("/v1/api/accounts/{id}")).await;
        assert_eq!(status, StatusCode::OK, "after {query:.40}");
    }
    assert_eq!(total(&app, &token, "").await, 1);
    let (status, body) = app
        .delete(
            &token,
            &format!("/v1/api/accounts/{id}?reason={max}&comments={max}"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(total(&app, &token, "").await, 0);
}

#[tokio::test]
async fn partner_with_customers_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let p = partner(&app, &token, "pa", None).await;
    let mut body = account_body("child", None);
    body["general"]["parentPartnerID"] = json!(p.id);
    let (status, child) = create(&app, &token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    assert_eq!(child["parentPartnerID"], p.id.as_str());

    let res = app
        .http
        .delete(app.at(&format!("/v1/api/accounts/{}?reason=test", p.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::CONFLICT).await;
    let (status, still) = app.get(&token, &format!("/v1/api/accounts/{}", p.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(still["kind"], "partner");
    assert_eq!(total(&app, &token, "").await, 2);
    // The partner's own token still works: nothing of it was touched.
    assert_eq!(app.get(&p.token, "/v1/api/me").await.0, StatusCode::OK);

    // Once its customer is gone, it can go.
    let (status, _) = app
        .delete(
            &token,
            &format!("/v1/api/accounts/{}?reason=test", id_of(&child)),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .delete(&token, &format!("/v1/api/accounts/{}?reason=test", p.id))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(total(&app, &token, "").await, 0);
}

#[tokio::test]
async fn taken_user_name_in_another_case_is_409_naming_account_name() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, _) = create(&app, &token, &account_body("acme", None)).await;
    assert_eq!(status, StatusCode::CREATED);
    let res = create_raw(&app, &token, &with_login("ACME", "someone-else")).await;
    let body = problem(res, StatusCode::CONFLICT).await;
    assert_names(&body, &["general.userName"]);
    assert_eq!(total(&app, &token, "").await, 1);
    // The login it would have used is still free.
    let (status, other) = create(&app, &token, &with_login("other", "someone-else")).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
}

#[tokio::test]
async fn taken_owner_login_is_409_naming_owner_login() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, _) = create(&app, &token, &account_body("acme", None)).await;
    assert_eq!(status, StatusCode::CREATED);
    // account_body gave the first owner the login "acme-owner".
    for login in ["acme-owner", "ACME-Owner"] {
        let res = create_raw(&app, &token, &with_login("other", login)).await;
        let body = problem(res, StatusCode::CONFLICT).await;
        assert_names(&body, &["general.login"]);
        assert!(!fields(&body).contains(&"general.userName".to_owned()));
    }
    assert_eq!(total(&app, &token, "").await, 1);
    assert_eq!(
        head(&app, &token, "/v1/api/accounts/other").await,
        StatusCode::NOT_FOUND
    );
}

/// Several creates at once that share an owner login: one wins, and every
/// other is told which field to change, however the race runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_sharing_an_owner_login_keep_one_and_name_the_login() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    // Two rounds of six: the losers are caught either by the validation or,
    // when they pass it together, by the insert; both must name the login.
    for round in 0..2 {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..6 {
            let (http, url, token) = (app.http.clone(), app.at("/v1/api/accounts"), token.clone());
            let body = with_login(&format!("racer{round}{i}"), &format!("shared-login{round}"));
            set.spawn(async move {
                let res = http
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                (status, res.json::<Value>().await.unwrap())
            });
        }
        let answers = set.join_all().await;
        let won = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        assert_eq!(won, 1, "round {round}: {answers:?}");
        assert_eq!(total(&app, &token, "").await, round + 1);
        for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
            assert_eq!(fields(body), vec!["general.login"], "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_sharing_a_user_name_keep_one_and_name_it() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..4 {
        let (http, url, token) = (app.http.clone(), app.at("/v1/api/accounts"), token.clone());
        let body = with_login("same", &format!("owner{i}"));
        set.spawn(async move {
            let res = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        });
    }
    let answers = set.join_all().await;
    let won = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(fields(body), vec!["general.userName"], "{body}");
    }
    assert_eq!(total(&app, &token, "").await, 1);
}

#[tokio::test]
async fn plans_catalogue_lists_every_plan_with_limits() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, page) = app.get(&token, "/v1/api/plans").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(page["count"], items.len());
    assert_eq!(page["total"], items.len());
    let kind = |name: &str| {
        items
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {page}"))["kind"]
            .clone()
    };
    assert_eq!(kind("partner-standard"), "partner");
    for name in ["starter", "business", "enterprise"] {
        assert_eq!(kind(name), "account", "{name}");
    }
    for plan in items {
        let limits = plan["limits"].as_object().unwrap();
        assert!(!limits.is_empty(), "{plan}");
        assert!(limits.values().all(|v| v.as_i64().unwrap() > 0), "{plan}");
        assert!(limits.contains_key("Iam_usersMax"), "{plan}");
        assert!(!plan["prettyName"].as_str().unwrap().is_empty(), "{plan}");
    }
    // Bigger plans allow more.
    let users = |name: &str| {
        items.iter().find(|p| p["name"] == name).unwrap()["limits"]["Iam_usersMax"]
            .as_i64()
            .unwrap()
    };
    assert!(users("starter") < users("business"));
    assert!(users("business") < users("enterprise"));
}

#[tokio::test]
async fn account_plans_mark_the_current_plan_only_for_accounts() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (_, acct) = create(&app, &token, &account_body("acme", Some("business"))).await;
    let p = partner(&app, &token, "pa", None).await;

    let (status, plans) = app
        .get(&token, &format!("/v1/api/accounts/{}/plans", id_of(&acct)))
        .await;
    assert_eq!(status, StatusCode::OK, "{plans}");
    let items = plans["items"].as_array().unwrap();
    let names: HashSet<&str> = items.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, HashSet::from(["starter", "business", "enterprise"]));
    let current: Vec<&str> = items
        .iter()
        .filter(|p| p["isCurrent"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(current, vec!["business"], "{plans}");
    assert_eq!(plans["count"], 3);

    for partner_id in [p.id.as_str(), app.root_id.as_str()] {
        let (status, plans) = app
            .get(&token, &format!("/v1/api/accounts/{partner_id}/plans"))
            .await;
        assert_eq!(status, StatusCode::OK, "{plans}");
        let items = plans["items"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{plans}");
        assert!(items.iter().all(|p| p["isCurrent"] == false), "{plans}");
    }
    let (status, _) = app
        .get(
            &token,
            &format!("/v1/api/accounts/{}/plans", "0".repeat(32)),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_or_malformed_ids_are_404_problems() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    for id in ["0".repeat(32), "not-an-id".to_owned(), "ACME".to_owned()] {
        let res = app
            .http
            .get(app.at(&format!("/v1/api/accounts/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
        let (status, _) = app
            .delete(&token, &format!("/v1/api/accounts/{id}?reason=x"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
    }
}

#[tokio::test]
async fn declined_card_is_409_with_the_processors_code_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let res = create_raw(&app, &token, &with_card("acme", "4000000000000002")).await;
    let body = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "05", "{body}");
    assert_eq!(body["reason"], "Do not honor", "{body}");
    assert_eq!(total(&app, &token, "").await, 0);
    assert_eq!(
        head(&app, &token, "/v1/api/accounts/acme").await,
        StatusCode::NOT_FOUND
    );

    // The other declines the sandbox knows, each with its own code.
    for (number, code) in [
        ("4000000000009995", "51"),
        ("4000000000000069", "54"),
        ("4000000000000127", "N7"),
        ("4100000000000019", "BL"),
        ("4000000000004954", "FR"),
    ] {
        let (status, body) = create(&app, &token, &with_card("acme", number)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{number}: {body}");
        assert_eq!(body["code"], code, "{number}: {body}");
        assert!(!body["reason"].as_str().unwrap().is_empty(), "{body}");
    }
    assert_eq!(total(&app, &token, "").await, 0);
    // Neither the name nor the owner login was kept: the same request with
    // a good card goes through.
    let (status, created) = create(&app, &token, &account_body("acme", None)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(total(&app, &token, "").await, 1);
}

#[tokio::test]
async fn card_processor_outage_is_503_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let res = create_raw(&app, &token, &with_card("acme", "4000000000000119")).await;
    let body = problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(total(&app, &token, "").await, 0);
    assert_eq!(
        head(&app, &token, "/v1/api/accounts/acme").await,
        StatusCode::NOT_FOUND
    );
    let (status, created) = create(&app, &token, &account_body("acme", None)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

#[tokio::test]
async fn partner_gets_its_program_and_the_partner_plan() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let mut advisor = common::partner_body("adv", None);
    advisor["partnerProgram"] = json!("advisor");
    let mut explicit = common::partner_body("explicit", None);
    explicit["planName"] = json!("partner-standard");
    for (body, program) in [
        (common::partner_body("pa", None), "partner"),
        (advisor, "advisor"),
        (explicit, "partner"),
    ] {
        let (status, created) = create(&app, &token, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["kind"], "partner");
        assert_eq!(created["partnerProgram"], program);
        assert_eq!(created["planName"], "partner-standard");
        assert_eq!(created["parentPartnerID"], app.root_id.as_str());
    }
    // An account plan is not a partner plan.
    let mut body = common::partner_body("wrong", None);
    body["planName"] = json!("starter");
    let res = create_raw(&app, &token, &body).await;
    let problem = problem(res, StatusCode::BAD_REQUEST).await;
    assert_names(&problem, &["planName"]);
    assert_eq!(total(&app, &token, "").await, 3);
    assert_eq!(total(&app, &token, "planName=partner-standard").await, 3);
}

#[tokio::test]
async fn parent_must_be_a_partner() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (_, acct) = create(&app, &token, &account_body("acme", None)).await;
    for parent in [id_of(&acct), "0".repeat(32), "bad".to_owned()] {
        let mut body = account_body("child", None);
        body["general"]["parentPartnerID"] = json!(parent);
        let res = create_raw(&app, &token, &body).await;
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert_names(&body, &["general.parentPartnerID"]);
    }
    assert_eq!(total(&app, &token, "").await, 1);
}

/// Reference 000 and DESIGN §6.2: the root distributor creates partners and
/// accounts, a private-label partner accounts only, an advisor partners only
/// where its parent allows it; and (002) cards only where the parent
/// enabled payment processing. Grants come from above, never from the
/// partner itself. Every refusal names its field and stores nothing.
#[tokio::test]
async fn who_may_create_what_follows_the_programme_and_the_parents_grants() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let private_label = app.partner(&root, "pl", None).await;
    let (status, refused) = create(
        &app,
        &private_label.token,
        &common::partner_body("plsub", None),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(&refused, &["programs"]);
    let (status, created) = create(&app, &private_label.token, &account_body("placct", None)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // An advisor without grants: no partners, no cards.
    let mut body = common::partner_body("adv", None);
    body["partnerProgram"] = json!("advisor");
    let (status, advisor) = create(&app, &root, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{advisor}");
    let advisor_id = id_of(&advisor);
    let (client_id, secret) = app.client_for(&advisor_id).await;
    let advisor_token = app.token_for(&client_id, &secret).await;
    let (status, refused) =
        create(&app, &advisor_token, &common::partner_body("advsub", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(&refused, &["programs", "payment.type"]);
    let mut by_check = account_body("advacct", None);
    by_check["payment"]["type"] = json!("paperCheck");
    by_check["payment"]
        .as_object_mut()
        .unwrap()
        .remove("creditCard");
    let (status, created) = create(&app, &advisor_token, &by_check).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // It cannot grant itself; its parent can.
    let settings = format!("/v1/api/partners/{advisor_id}/settings");
    let grant = json!({ "createPartners": true, "paymentProcessing": true });
    let (status, refused) = put(&app, &advisor_token, &settings, &grant).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(&refused, &["createPartners", "paymentProcessing"]);
    let (status, now) = put(&app, &root, &settings, &grant).await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_eq!(now["features"]["createPartners"], true, "{now}");
    assert_eq!(now["features"]["paymentProcessing"], true, "{now}");
    let (status, created) =
        create(&app, &advisor_token, &common::partner_body("advsub", None)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["programs"], json!(["partner"]));
    // A private-label partner never creates partners, whatever it is granted.
    let (status, refused) = put(
        &app,
        &root,
        &format!("/v1/api/partners/{}/settings", private_label.id),
        &json!({ "createPartners": true }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_names(&refused, &["createPartners"]);
    // root, pl, placct, adv, advacct, advsub: the refusals stored nothing.
    assert_eq!(total(&app, &root, "").await, 5);
}

/// HEAD never calls a name "available" that no create would accept.
#[tokio::test]
async fn head_refuses_a_name_no_create_would_accept() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    for name in ["has%20space", "a%2Fb", &"n".repeat(51)] {
        let path = format!("/v1/api/accounts/{name}");
        assert_eq!(
            head(&app, &token, &path).await,
            StatusCode::BAD_REQUEST,
            "{name}"
        );
    }
    // v1's rule holds the shared namespace: 50 characters may be created.
    let path = format!("/v1/api/accounts/{}", "n".repeat(50));
    assert_eq!(head(&app, &token, &path).await, StatusCode::NOT_FOUND);
}
