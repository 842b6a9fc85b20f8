//! GetRoles, SetRoles and ListRoles, and the owner a customer keeps.

use super::*;
use crate::domain::{PERMISSIONS, permissions_of};
use crate::grpc::roles::to_strings;

#[tokio::test]
async fn set_roles_replaces_the_roles_on_one_customer_only() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (account_id, partner_id) = (platform::id::new_id(), platform::id::new_id());
    let contact_id = create_owner(&api, &account_id).await;
    let before = roles_of(&api, &contact_id, &account_id).await;
    assert_eq!(before.roles, ["Owner"]);
    assert_eq!(before.permissions, to_strings(&permissions_of(&["Owner"])));
    // Another owner, so that this one may step down.
    create_on(&api, &account_id, &["Owner"]).await;

    api.set_roles(set(
        &contact_id,
        &partner_id,
        "partner",
        &["AG_PRIVATELABELSALES"],
    ))
    .await
    .expect("assigned to the partner");
    let answer = api
        .set_roles(set(
            &contact_id,
            &account_id,
            "account",
            &["ContactManager"],
        ))
        .await
        .expect("set")
        .into_inner();
    let expected = pb::GetRolesResponse {
        roles: vec!["ContactManager".into()],
        permissions: to_strings(&["accounts:read", "contacts:read", "contacts:write"]),
    };
    assert_eq!(answer, expected);
    assert_eq!(roles_of(&api, &contact_id, &account_id).await, expected);
    assert_eq!(
        roles_of(&api, &contact_id, &partner_id).await.roles,
        ["AG_PRIVATELABELSALES"],
        "the other customer's roles stay"
    );
    let home = api
        .get_contact(Request::new(pb::GetContactRequest {
            contact_id: contact_id.clone(),
            customer_id: String::new(),
        }))
        .await
        .expect("contact")
        .into_inner();
    assert_eq!(
        home.customer_id, account_id,
        "replacing roles keeps the home customer"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn set_roles_refuses_a_role_of_the_other_kind_and_changes_nothing() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    let contact_id = create_owner(&api, &account_id).await;

    let err = api
        .set_roles(set(
            &contact_id,
            &account_id,
            "account",
            &["AG_PRIVATELABELOPERATORS"],
        ))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        field_violations(&err),
        [(
            "accessRoleNames".to_owned(),
            "AG_PRIVATELABELOPERATORS is a partner role; this customer is an account".to_owned()
        )]
    );
    assert_eq!(
        roles_of(&api, &contact_id, &account_id).await.roles,
        ["Owner"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn set_roles_reports_every_bad_field() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let err = api
        .set_roles(set("nope", "", "customer", &["Root", "Owner", "Owner"]))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "contactID",
            "customerID",
            "customerKind",
            "accessRoleNames",
            "accessRoleNames"
        ]
    );
    assert!(err.message().contains("Root"), "{}", err.message());
    assert!(
        err.message().contains("Owner is listed twice"),
        "{}",
        err.message()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn no_roles_end_the_assignment_but_keep_the_contact() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    let contact_id = create_on(&api, &account_id, &["ContactManager"]).await;

    let answer = api
        .set_roles(set(&contact_id, &account_id, "account", &[]))
        .await
        .expect("set")
        .into_inner();
    assert_eq!(answer, pb::GetRolesResponse::default());
    assert_eq!(
        roles_of(&api, &contact_id, &account_id).await,
        pb::GetRolesResponse::default()
    );
    assert!(
        contact::find(&api.state.db, &contact_id)
            .await
            .expect("find")
            .is_some(),
        "the contact row stays"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn set_roles_on_an_unknown_contact_is_not_found() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let err = api
        .set_roles(set(
            &platform::id::new_id(),
            &platform::id::new_id(),
            "account",
            &["Owner"],
        ))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::NotFound);
    let _ = std::fs::remove_dir_all(dir);
}

fn assert_last_owner(err: &Status) {
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(
        platform::status::reason(err).map(|(r, _)| r).as_deref(),
        Some("LAST_OWNER")
    );
}

#[tokio::test]
async fn set_roles_keeps_the_last_owner_of_an_account() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    let owner = create_owner(&api, &account_id).await;
    create_on(&api, &account_id, &["ContactManager"]).await;

    for roles in [&["ContactManager"][..], &[]] {
        let err = api
            .set_roles(set(&owner, &account_id, "account", roles))
            .await
            .expect_err("refused");
        assert_last_owner(&err);
        assert_eq!(
            roles_of(&api, &owner, &account_id).await.roles,
            ["Owner"],
            "{roles:?} changed nothing"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn set_roles_keeps_the_last_private_label_owner_of_a_partner() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let partner_id = platform::id::new_id();
    let owner = create_on(&api, &partner_id, &["AG_PRIVATELABELOWNERS"]).await;
    let err = api
        .set_roles(set(
            &owner,
            &partner_id,
            "partner",
            &["AG_PRIVATELABELOPERATORS"],
        ))
        .await
        .expect_err("refused");
    assert_last_owner(&err);
    assert_eq!(
        roles_of(&api, &owner, &partner_id).await.roles,
        ["AG_PRIVATELABELOWNERS"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn set_roles_may_add_to_the_last_owners_roles() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    let owner = create_owner(&api, &account_id).await;
    api.set_roles(set(
        &owner,
        &account_id,
        "account",
        &["ContactManager", "Owner"],
    ))
    .await
    .expect("the owner role stays");
    assert_eq!(
        roles_of(&api, &owner, &account_id).await.roles,
        ["ContactManager", "Owner"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn set_roles_lets_an_owner_step_down_while_another_holds_the_role() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    let first = create_owner(&api, &account_id).await;
    let second = create_on(&api, &account_id, &["Owner"]).await;

    api.set_roles(set(&first, &account_id, "account", &["ContactManager"]))
        .await
        .expect("the second still owns");
    assert_eq!(
        roles_of(&api, &first, &account_id).await.roles,
        ["ContactManager"]
    );
    let err = api
        .set_roles(set(&second, &account_id, "account", &["SecurityManager"]))
        .await
        .expect_err("now the last one");
    assert_last_owner(&err);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn list_roles_answers_the_catalogue() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let list = api
        .list_roles(Request::new(pb::ListRolesRequest {}))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.roles.len(), 11);
    assert_eq!(list.permissions, to_strings(PERMISSIONS));
    let owners = &list.roles[0];
    assert_eq!(owners.name, "AG_PRIVATELABELOWNERS");
    assert_eq!(owners.display_name, "Private Label Owner");
    assert_eq!(owners.kind, "partner");
    assert_eq!(owners.permissions, list.permissions);
    let owner = list
        .roles
        .iter()
        .find(|r| r.name == "Owner")
        .expect("Owner");
    assert_eq!(owner.kind, "account");
    let _ = std::fs::remove_dir_all(dir);
}
