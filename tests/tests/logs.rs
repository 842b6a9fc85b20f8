//! What the platform logs while it handles passwords: never a password, a
//! password hash, a client secret or a card number. Every log line of this
//! test binary goes to a buffer (the subscriber is process-wide, which is why
//! this is a file of its own), at debug level for the platform's crates.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::StatusCode;
use serde_json::json;
use tests::{TestApp, account_body};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> &'static Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_env_filter("debug,h2=info,hyper=info,hyper_util=info,tower=info,tonic=info,reqwest=info,sqlx=debug")
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        buffer
    })
}

#[tokio::test]
async fn no_password_secret_or_card_number_reaches_the_logs() {
    let logs = captured();
    let app = TestApp::spawn().await;
    let token = app.root_token().await;
    let owner_password = "Ow9nerPassw0rdZq";
    let mut body = account_body("logcheck", Some("enterprise"));
    body["general"]["owner"]["password"] = json!(owner_password);
    let (status, created) = app.post(&token, "/v1/api/accounts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let account = created["customerID"].as_str().unwrap().to_owned();
    let contact_password = "C0ntactPassw0rdXq";
    let (status, contact) = app
        .post(
            &token,
            &format!("/v1/api/accounts/{account}/contacts"),
            &json!({"login": "logged", "password": contact_password, "name": "L", "email": "l@example.com",
                    "accessRoleNames": ["ContactManager"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    // A refused password goes through validation, and its message, too.
    let refused = "weakpasswordonly";
    let (status, _) = app
        .post(
            &token,
            &format!("/v1/api/accounts/{account}/contacts"),
            &json!({"login": "logged2", "password": refused, "name": "L", "email": "l2@example.com",
                    "accessRoleNames": ["ContactManager"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        text.contains("customer created"),
        "the capture must hold the platform's own lines"
    );
    for secret in [
        owner_password,
        contact_password,
        refused,
        &app.root_client.1,
        &token,
        "4111111111111111",
        "$argon2",
    ] {
        assert!(
            !text.contains(secret),
            "the logs contain a secret ({} characters)",
            secret.len()
        );
    }
}
