//! ChangePassword: the current password, a reset, the policy.

use super::*;

async fn stored_hash(api: &ContactApi, contact_id: &str) -> String {
    contact::password_hash(&api.state.db, contact_id)
        .await
        .expect("query")
        .expect("contact")
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let contact_id = create_owner(&api, &platform::id::new_id()).await;
    let before = stored_hash(&api, &contact_id).await;

    let err = api
        .change_password(change(&contact_id, "wrong123", "better456", false))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        field_violations(&err),
        [(
            "currentPassword".to_owned(),
            "is not the current password".to_owned()
        )]
    );
    let err = api
        .change_password(change(&contact_id, "", "better456", false))
        .await
        .expect_err("refused");
    assert_eq!(fields_of(&err), ["currentPassword"]);
    assert_eq!(stored_hash(&api, &contact_id).await, before, "unchanged");

    api.change_password(change(&contact_id, "secret123", "better456", false))
        .await
        .expect("changed");
    let after = stored_hash(&api, &contact_id).await;
    assert_ne!(after, before);
    assert!(after.starts_with("$argon2id$"), "stored as Argon2id");
    assert!(!after.contains("better456"));
    api.change_password(change(&contact_id, "better456", "best789", false))
        .await
        .expect("the new password is now the current one");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_reset_needs_no_current_password() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let contact_id = create_owner(&api, &platform::id::new_id()).await;
    api.change_password(change(&contact_id, "", "reset1234", true))
        .await
        .expect("reset");
    let err = api
        .change_password(change(&contact_id, "secret123", "other1234", false))
        .await
        .expect_err("the old password no longer verifies");
    assert_eq!(fields_of(&err), ["currentPassword"]);
    api.change_password(change(&contact_id, "reset1234", "other1234", false))
        .await
        .expect("the reset one does");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_new_password_meets_the_requests_policy() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let contact_id = create_owner(&api, &platform::id::new_id()).await;
    let before = stored_hash(&api, &contact_id).await;
    let err = api
        .change_password(Request::new(pb::ChangePasswordRequest {
            policy: Some(pb::PasswordPolicy {
                min_length: 10,
                ..Default::default()
            }),
            ..change(&contact_id, "secret123", "abc12345", false).into_inner()
        }))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        field_violations(&err),
        [(
            "newPassword".to_owned(),
            "must be at least 10 characters".to_owned()
        )]
    );
    assert_eq!(stored_hash(&api, &contact_id).await, before);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn changing_an_unknown_contacts_password_is_not_found() {
    let dir = temp_dir();
    let api = api(&dir).await;
    for reset in [false, true] {
        let err = api
            .change_password(change(
                &platform::id::new_id(),
                "secret123",
                "better456",
                reset,
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::NotFound);
    }
    let _ = std::fs::remove_dir_all(dir);
}
