//! Calls on a partner's behalf: the rules the gateway used to apply.

use super::*;

fn principal(customer_id: &str, roles: &[&str], scopes: &[&str]) -> proto::common::v1::Principal {
    proto::common::v1::Principal {
        client_id: "client".into(),
        contact_id: platform::id::new_id(),
        customer_id: customer_id.to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// `message` carrying `p`, as the gateway forwards a partner's call.
fn as_principal<T>(p: &proto::common::v1::Principal, message: T) -> Request<T> {
    CallContext::new(Some(p.clone()), None, None).request(message)
}

fn rules(kind: &str, users_max: i64, min_length: i32) -> proto::account::v1::ContactRules {
    proto::account::v1::ContactRules {
        kind: kind.into(),
        password_min_length: min_length,
        users_max,
        ..Default::default()
    }
}

const RW: &[&str] = &["contacts:read", "contacts:write"];

#[tokio::test]
async fn a_principal_without_the_permission_is_refused_and_nothing_is_stored() {
    let dir = temp_dir();
    let account = platform::id::new_id();
    let api = api_with(
        &dir,
        fake_accounts(vec![(account.clone(), rules("account", 0, 6))]).await,
        fake_auth(Forgotten::default(), Default::default()).await,
    )
    .await;
    let reader = principal(&platform::id::new_id(), &[], &["contacts:read"]);
    let err = api
        .create_contact(as_principal(
            &reader,
            pb::CreateContactRequest {
                customer_id: account.clone(),
                ..create_request("no-write", "", &["Owner"])
            },
        ))
        .await
        .expect_err("contacts:write is missing");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(
        err.message().contains("contacts:write"),
        "{}",
        err.message()
    );
    let nobody = principal(&platform::id::new_id(), &[], &[]);
    let err = api
        .list_contacts(as_principal(
            &nobody,
            pb::ListContactsRequest {
                customer_id: account.clone(),
                take: 10,
                ..Default::default()
            },
        ))
        .await
        .expect_err("contacts:read is missing");
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(list(&api, &account, 0, 10).await.expect("list").total, 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_customer_the_principal_does_not_reach_is_not_found_and_nothing_is_stored() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let elsewhere = platform::id::new_id();
    let p = principal(&platform::id::new_id(), &[], RW);
    let err = api
        .create_contact(as_principal(
            &p,
            pb::CreateContactRequest {
                customer_id: elsewhere.clone(),
                ..create_request("outside", "", &["Owner"])
            },
        ))
        .await
        .expect_err("outside the subtree");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(list(&api, &elsewhere, 0, 10).await.expect("list").total, 0);
    // A contact that exists is as invisible through a customer not reached.
    let contact_id = create_on(&api, &elsewhere, &["Owner"]).await;
    let err = api
        .get_contact(as_principal(
            &p,
            pb::GetContactRequest {
                contact_id,
                customer_id: elsewhere,
            },
        ))
        .await
        .expect_err("outside the subtree");
    assert_eq!(err.code(), Code::NotFound);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn account_svcs_rules_apply_whatever_the_request_says() {
    let dir = temp_dir();
    let account = platform::id::new_id();
    // account-svc: an account with Iam_usersMax 1 and passwords of 10.
    let api = api_with(
        &dir,
        fake_accounts(vec![(account.clone(), rules("account", 1, 10))]).await,
        fake_auth(Forgotten::default(), Default::default()).await,
    )
    .await;
    let p = principal(&platform::id::new_id(), &[], RW);
    // The request claims a partner with no limit and the default policy.
    let claims = |login: &str, password: &str, roles: &[&str]| pb::CreateContactRequest {
        customer_id: account.clone(),
        customer_kind: "partner".into(),
        users_max: 0,
        password: password.into(),
        ..create_request(login, "", roles)
    };
    let err = api
        .create_contact(as_principal(&p, claims("short", "secret123", &["Owner"])))
        .await
        .expect_err("the account's policy asks 10 characters");
    assert_eq!(field_violations(&err)[0].0, "password");
    let err = api
        .create_contact(as_principal(
            &p,
            claims("partnerrole", "secret12345", &["AG_PRIVATELABELOWNERS"]),
        ))
        .await
        .expect_err("partner roles do not suit an account");
    assert_eq!(field_violations(&err)[0].0, "accessRoleNames");
    api.create_contact(as_principal(&p, claims("first", "secret12345", &["Owner"])))
        .await
        .expect("the first user");
    let err = api
        .create_contact(as_principal(
            &p,
            claims("second", "secret12345", &["Owner"]),
        ))
        .await
        .expect_err("Iam_usersMax 1");
    assert_limit_exceeded(&err, "1");
    assert_eq!(list(&api, &account, 0, 10).await.expect("list").total, 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn only_a_partner_owner_above_resets_a_password_without_the_current_one() {
    let dir = temp_dir();
    let partner = platform::id::new_id();
    let account = platform::id::new_id();
    let api = api_with(
        &dir,
        fake_accounts(vec![
            (partner.clone(), rules("partner", 0, 6)),
            (account.clone(), rules("account", 0, 6)),
        ])
        .await,
        fake_auth(Forgotten::default(), Default::default()).await,
    )
    .await;
    let user = create_on(&api, &account, &["Owner"]).await;
    let change = |current: &str| pb::ChangePasswordRequest {
        contact_id: user.clone(),
        current_password: current.into(),
        new_password: "another123".into(),
        // What a caller on a partner's behalf says does not count.
        reset: true,
        ..Default::default()
    };
    // An owner of the account itself proves the current password.
    let same = principal(&account, &["Owner"], RW);
    let err = api
        .change_password(as_principal(&same, change("")))
        .await
        .expect_err("the current password is required");
    assert_eq!(field_violations(&err)[0].0, "currentPassword");
    // A partner role other than the owner's does too.
    let operator = principal(&partner, &["AG_PRIVATELABELOPERATORS"], RW);
    let err = api
        .change_password(as_principal(&operator, change("")))
        .await
        .expect_err("the current password is required");
    assert_eq!(field_violations(&err)[0].0, "currentPassword");
    // Without contacts:write, only one's own password.
    let reader = principal(&partner, &["AG_PRIVATELABELOWNERS"], &["contacts:read"]);
    let err = api
        .change_password(as_principal(&reader, change("")))
        .await
        .expect_err("contacts:write is missing");
    assert_eq!(err.code(), Code::PermissionDenied);
    // The partner's owner resets it.
    let owner = principal(&partner, &["AG_PRIVATELABELOWNERS"], RW);
    api.change_password(as_principal(&owner, change("")))
        .await
        .expect("reset by an owner above");
    // The contact itself, with the new one as its current one.
    let mut itself = principal(&account, &["Owner"], &[]);
    itself.contact_id = user.clone();
    api.change_password(as_principal(
        &itself,
        pb::ChangePasswordRequest {
            new_password: "third12345".into(),
            ..change("another123")
        },
    ))
    .await
    .expect("its own, proven");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_deleted_contact_takes_its_clients_or_stays_when_auth_svc_fails() {
    let dir = temp_dir();
    let account = platform::id::new_id();
    let forgotten = Forgotten::default();
    let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let api = api_with(
        &dir,
        fake_accounts(vec![(account.clone(), rules("account", 0, 6))]).await,
        fake_auth(forgotten.clone(), down.clone()).await,
    )
    .await;
    let p = principal(&platform::id::new_id(), &[], RW);
    create_on(&api, &account, &["Owner"]).await;
    let manager = create_on(&api, &account, &["ContactManager"]).await;
    let remove = || {
        as_principal(
            &p,
            pb::RemoveAssignmentRequest {
                contact_id: manager.clone(),
                customer_id: account.clone(),
            },
        )
    };
    let err = api
        .remove_assignment(remove())
        .await
        .expect_err("auth-svc is down");
    assert_eq!(err.code(), Code::Unavailable);
    // Nothing half done: the contact and its assignment are still there.
    assert_eq!(list(&api, &account, 0, 10).await.expect("list").total, 2);
    down.store(false, std::sync::atomic::Ordering::SeqCst);
    let removed = api
        .remove_assignment(remove())
        .await
        .expect("removed")
        .into_inner();
    assert!(removed.contact_deleted);
    assert_eq!(*forgotten.lock().expect("lock"), [manager]);
    assert_eq!(list(&api, &account, 0, 10).await.expect("list").total, 1);
    let _ = std::fs::remove_dir_all(dir);
}
