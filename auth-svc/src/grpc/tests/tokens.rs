//! Client credentials, IssueToken, Authenticate, Introspect (decided here
//! for the client that asks) and the server key tokens hang on.

use super::*;

#[tokio::test]
async fn a_bad_secret_and_an_unknown_client_get_the_same_answer() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (client, secret) = put_client(
        &api,
        &platform::id::new_id(),
        &platform::id::new_id(),
        "/r/",
    )
    .await;
    let stored = client::find(&api.state.db, &client.client_id)
        .await
        .expect("find")
        .expect("row");
    assert_ne!(
        stored.secret_hmac,
        secret.expose(),
        "the secret itself is never stored"
    );

    let issue = |client_id: &str, secret: &str| {
        api.issue_token(Request::new(pb::IssueTokenRequest {
            client_id: client_id.to_owned(),
            client_secret: secret.to_owned(),
            scope: "anything".into(),
        }))
    };
    let bad_secret = issue(&client.client_id, "not-the-secret")
        .await
        .expect_err("bad secret");
    assert_eq!(bad_secret.code(), Code::Unauthenticated);
    let unknown = issue("nobody", secret.expose())
        .await
        .expect_err("unknown client");
    assert_eq!(
        (unknown.code(), unknown.message()),
        (bad_secret.code(), bad_secret.message())
    );
    // The right secret passes the check and goes on to contact-svc.
    let on = issue(&client.client_id, secret.expose())
        .await
        .expect_err("no contact-svc");
    assert_eq!(on.code(), Code::Unavailable);
}

#[tokio::test]
async fn a_live_token_is_checked_against_current_roles_and_a_dead_one_is_refused() {
    let dir = TempDir::new();
    let api = api(&dir).await;
    let (contact_id, customer_id) = (platform::id::new_id(), platform::id::new_id());
    let (client, _) = put_client(&api, &contact_id, &customer_id, "/root/").await;
    let (first, second) = (
        put_token(&api, &client, "").await,
        put_token(&api, &client, "").await,
    );
    let authenticate = |access_token: &str| {
        api.authenticate(Request::new(pb::AuthenticateRequest {
            access_token: access_token.into(),
        }))
    };

    // Live: roles are asked afresh, and contact-svc down is 503, never
    // the roles the row remembers.
    assert_eq!(
        authenticate(&first)
            .await
            .expect_err("contact-svc down")
            .code(),
        Code::Unavailable
    );
    assert_eq!(
        authenticate("garbage").await.expect_err("garbage").code(),
        Code::Unauthenticated
    );
    assert!(
        client::find(&api.state.db, &client.client_id)
            .await
            .expect("find")
            .expect("row")
            .last_used_at
            .is_some()
    );

    // RFC 7009: another client's revoke succeeds and changes nothing.
    api.revoke_token(Request::new(pb::RevokeTokenRequest {
        token: first.clone(),
        client_id: "another".into(),
    }))
    .await
    .expect("foreign revoke is ok");
    assert_eq!(
        authenticate(&first).await.expect_err("still live").code(),
        Code::Unavailable
    );
    api.revoke_token(Request::new(pb::RevokeTokenRequest {
        token: first.clone(),
        client_id: client.client_id.clone(),
    }))
    .await
    .expect("own revoke");
    assert_eq!(
        authenticate(&first).await.expect_err("revoked").code(),
        Code::Unauthenticated
    );
    api.revoke_token(Request::new(pb::RevokeTokenRequest {
        token: "never-issued".into(),
        client_id: client.client_id.clone(),
    }))
    .await
    .expect("revoking an unknown token succeeds");

    let remove = || {
        api.delete_customer_clients(Request::new(pb::DeleteCustomerClientsRequest {
            customer_id: customer_id.clone(),
        }))
    };
    remove().await.expect("removed");
    remove().await.expect("removing again is fine");
    assert_eq!(
        authenticate(&second)
            .await
            .expect_err("customer gone")
            .code(),
        Code::Unauthenticated
    );
    assert!(
        client::find(&api.state.db, &client.client_id)
            .await
            .expect("find")
            .is_none()
    );
    let now = platform::id::unix_now();
    let late = token_hash(&new_token());
    let t = NewToken {
        token_hash: &late,
        client_id: &client.client_id,
        contact_id: &contact_id,
        customer_id: &customer_id,
        roles: "Owner",
        scopes: "",
        issued_at: now,
        expires_at: now + 60,
    };
    assert!(
        !token::issue(&api.state.db, &t).await.expect("issue"),
        "no token for a removed client"
    );
}

#[tokio::test]
async fn the_generated_server_key_survives_a_restart() {
    let dir = TempDir::new();
    let stored = api(&dir).await.state.key.secret_hmac("some-secret-value");
    let reopened = api(&dir).await;
    assert!(
        reopened
            .state
            .key
            .verify("some-secret-value", Some(&stored))
    );
}

#[tokio::test]
async fn introspection_shows_a_live_token_of_a_partner_account_svc_lets_the_caller_see() {
    let dir = TempDir::new();
    let tree = Tree::new();
    let api = tree.api(&dir).await;
    let partner_path = format!("/{}/{}/", tree.root, tree.partner);
    let (client, _) = put_client(&api, &tree.partner_owner, &tree.partner, &partner_path).await;
    let token = put_token(&api, &client, "accounts:read").await;
    let introspect = |p: &Principal, access_token: &str| {
        api.introspect(acting(
            p,
            pb::IntrospectRequest {
                access_token: access_token.to_owned(),
            },
        ))
    };
    let root = principal(&tree.root_owner, &tree.root, &[]);
    let seen = introspect(&root, &token)
        .await
        .expect("introspect")
        .into_inner();
    assert!(seen.active);
    let principal_seen = seen.token.and_then(|t| t.principal).expect("principal");
    assert_eq!(principal_seen.client_id, client.client_id);
    assert_eq!(principal_seen.roles, ["AG_PRIVATELABELOWNERS"]);
    // An unknown token: only `active: false`. (A partner outside the
    // caller's subtree, which account-svc answers NOT_FOUND, is the
    // end-to-end test's: tests/tests/tokens.rs.)
    let stranger = principal(&platform::id::new_id(), &platform::id::new_id(), &[]);
    let garbage = introspect(&stranger, "not-a-token")
        .await
        .expect("inactive");
    assert_eq!(garbage.into_inner(), pb::Introspection::default());
    // Only for a client that asks: no principal, no answer.
    let err = api
        .introspect(Request::new(pb::IntrospectRequest {
            access_token: token,
        }))
        .await
        .expect_err("no principal");
    assert_eq!(err.code(), Code::PermissionDenied);
}
