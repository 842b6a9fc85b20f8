//! Every partner is confined to its own subtree: what lies outside answers
//! as if it did not exist.

#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_names, head, id_of, ids, list, partner, problem, total};
use reqwest::StatusCode;
use serde_json::json;
use tests::{Partner, TestApp, account_body};

/// The root's token and two sibling partners below the root.
async fn siblings(app: &TestApp) -> (String, Partner, Partner) {
    let root = app.root_token().await;
    // An advisor allowed to create partners, so it can have a sub-partner.
    let a = app.advisor(&root, "pa", None).await;
    let b = partner(app, &root, "pb", None).await;
    (root, a, b)
}

#[tokio::test]
async fn sibling_cannot_read_delete_or_list_anothers_account() {
    let app = TestApp::spawn().await;
    let (root, a, b) = siblings(&app).await;
    let (status, acct) = app
        .post(&a.token, "/v1/api/accounts", &account_body("a-acct", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{acct}");
    assert_eq!(acct["parentPartnerID"], a.id.as_str());
    let id = id_of(&acct);

    for target in [id.as_str(), a.id.as_str()] {
        let res = app
            .http
            .get(app.at(&format!("/v1/api/accounts/{target}")))
            .bearer_auth(&b.token)
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::NOT_FOUND).await;
        let (status, _) = app
            .get(&b.token, &format!("/v1/api/accounts/{target}/plans"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = app
        .delete(&b.token, &format!("/v1/api/accounts/{id}?reason=mine"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .delete(&b.token, &format!("/v1/api/accounts/{}?reason=mine", a.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // B's list holds nothing, whatever the filter asks for.
    for query in [
        String::new(),
        "userName=a-acct".to_owned(),
        "userName=pa".to_owned(),
        format!("parentPartnerID={}", a.id),
        format!("parentPartnerID={}", app.root_id),
        "planName=starter".to_owned(),
    ] {
        let page = list(&app, &b.token, &query).await;
        assert_eq!(page["total"], 0, "?{query}: {page}");
        assert_eq!(page["items"], json!([]), "?{query}");
    }

    // Still there, as its owner and the root see it.
    let (status, got) = app.get(&a.token, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, acct);
    assert_eq!(ids(&list(&app, &a.token, "").await), vec![id.clone()]);
    assert_eq!(total(&app, &root, "").await, 3);
}

#[tokio::test]
async fn partner_cannot_create_under_a_sibling_or_its_parent() {
    let app = TestApp::spawn().await;
    let (root, a, b) = siblings(&app).await;
    for (name, parent) in [
        ("intruder", a.id.as_str()),
        ("climber", app.root_id.as_str()),
    ] {
        let mut body = account_body(name, None);
        body["general"]["parentPartnerID"] = json!(parent);
        let res = app
            .http
            .post(app.at("/v1/api/accounts"))
            .bearer_auth(&b.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = problem(res, StatusCode::BAD_REQUEST).await;
        assert_names(&problem, &["general.parentPartnerID"]);
        assert_eq!(
            head(&app, &root, &format!("/v1/api/accounts/{name}")).await,
            StatusCode::NOT_FOUND,
            "{name}"
        );
    }
    // Nothing was stored anywhere: only the two partners exist.
    assert_eq!(total(&app, &a.token, "").await, 0);
    assert_eq!(total(&app, &b.token, "").await, 0);
    assert_eq!(total(&app, &root, "").await, 2);
    // The same name and login are still free for B's own account.
    let (status, own) = app
        .post(
            &b.token,
            "/v1/api/accounts",
            &account_body("intruder", None),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(own["parentPartnerID"], b.id.as_str());
}

#[tokio::test]
async fn sub_partner_sees_only_its_own_subtree() {
    let app = TestApp::spawn().await;
    let (root, a, b) = siblings(&app).await;
    let a1 = partner(&app, &a.token, "pa1", None).await;
    let (status, a1_row) = app
        .get(&a.token, &format!("/v1/api/accounts/{}", a1.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(a1_row["parentPartnerID"], a.id.as_str());
    assert_eq!(a1_row["kind"], "partner");
    let (status, b_acct) = app
        .post(&b.token, "/v1/api/accounts", &account_body("b-acct", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b_acct}");

    // A1 sees none of its ancestors, nor its parent's sibling or their accounts.
    for other in [&a.id, &b.id, &app.root_id, &id_of(&b_acct)] {
        let (status, _) = app
            .get(&a1.token, &format!("/v1/api/accounts/{other}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{other}");
    }
    assert_eq!(total(&app, &a1.token, "").await, 0);
    for other in [&a.id, &b.id, &app.root_id] {
        let page = list(&app, &a1.token, &format!("parentPartnerID={other}")).await;
        assert_eq!(page["total"], 0, "{page}");
    }

    // A1's own account: A1 and A see it, B does not.
    let (status, a1_acct) = app
        .post(
            &a1.token,
            "/v1/api/accounts",
            &account_body("a1-acct", None),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a1_acct}");
    assert_eq!(a1_acct["parentPartnerID"], a1.id.as_str());
    let a1_acct_id = id_of(&a1_acct);
    assert_eq!(
        ids(&list(&app, &a1.token, "").await),
        vec![a1_acct_id.clone()]
    );
    let a_sees = list(&app, &a.token, "").await;
    assert_eq!(a_sees["total"], 2, "{a_sees}");
    assert_eq!(ids(&a_sees), vec![a1.id.clone(), a1_acct_id.clone()]);
    let (status, got) = app
        .get(&a.token, &format!("/v1/api/accounts/{a1_acct_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, a1_acct);
    let (status, _) = app
        .get(&b.token, &format!("/v1/api/accounts/{a1_acct_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The root sees all of them: A, B, A1, B's account and A1's account.
    assert_eq!(total(&app, &root, "").await, 5);
}

#[tokio::test]
async fn partner_cannot_delete_itself_nor_can_the_root() {
    let app = TestApp::spawn().await;
    let (root, a, _) = siblings(&app).await;
    let res = app
        .http
        .delete(app.at(&format!("/v1/api/accounts/{}?reason=bye", a.id)))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::CONFLICT).await;
    let (status, _) = app.get(&root, &format!("/v1/api/accounts/{}", a.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get(&a.token, "/v1/api/me").await.0, StatusCode::OK);

    let (status, body) = app
        .delete(
            &root,
            &format!("/v1/api/accounts/{}?reason=bye", app.root_id),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(app.get(&root, "/v1/api/me").await.0, StatusCode::OK);
    assert_eq!(total(&app, &root, "").await, 2);
}

#[tokio::test]
async fn deleting_a_partner_ends_its_tokens() {
    let app = TestApp::spawn().await;
    let (root, a, b) = siblings(&app).await;
    assert_eq!(app.get(&b.token, "/v1/api/me").await.0, StatusCode::OK);
    let (status, body) = app
        .delete(&root, &format!("/v1/api/accounts/{}?reason=ended", b.id))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for path in ["/v1/api/me", "/v1/api/accounts"] {
        let (status, body) = app.get(&b.token, path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
    // The sibling is untouched.
    assert_eq!(app.get(&a.token, "/v1/api/me").await.0, StatusCode::OK);
    assert_eq!(ids(&list(&app, &root, "").await), vec![a.id.clone()]);
}
