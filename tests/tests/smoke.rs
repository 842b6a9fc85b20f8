//! The shortest path through the house: token, create, read, list, delete.

use reqwest::StatusCode;
use tests::{TestApp, account_body};

#[tokio::test]
async fn a_partner_creates_lists_and_deletes_an_account() {
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let (status, created) = app
        .post(&token, "/v1/api/accounts", &account_body("acme", None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["customerID"].as_str().unwrap();
    let (status, got) = app.get(&token, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["userName"], "acme");
    let (_, list) = app.get(&token, "/v1/api/accounts").await;
    assert_eq!(list["total"], 1);
    let (status, _) = app
        .delete(&token, &format!("/v1/api/accounts/{id}?reason=test"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&token, &format!("/v1/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
