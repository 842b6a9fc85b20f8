//! AssignContact and RemoveAssignment, and the `Iam_usersMax` limit
//! creates and assignments meet.

use super::*;

#[tokio::test]
async fn users_max_refuses_the_contact_beyond_it_and_stores_nothing() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    create_on(&api, &account_id, &["Owner"]).await;
    let second = || pb::CreateContactRequest {
        customer_id: account_id.clone(),
        users_max: 1,
        ..create_request("bob", "", &["ContactManager"])
    };

    let err = api
        .create_contact(Request::new(second()))
        .await
        .expect_err("over the limit");
    assert_limit_exceeded(&err, "1");
    assert!(
        !contact::login_taken(&api.state.db, "bob")
            .await
            .expect("query"),
        "no contact stored"
    );
    assert_eq!(list(&api, &account_id, 0, 10).await.expect("list").total, 1);

    let err = api
        .create_contact(Request::new(pb::CreateContactRequest {
            validate_only: true,
            ..second()
        }))
        .await
        .expect_err("validation sees the limit too");
    assert_limit_exceeded(&err, "1");

    api.create_contact(Request::new(pb::CreateContactRequest {
        users_max: 2,
        ..second()
    }))
    .await
    .expect("a higher limit admits it");
    assert_eq!(list(&api, &account_id, 0, 10).await.expect("list").total, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn racing_creates_cannot_both_pass_users_max() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    let create = |n: usize| {
        api.create_contact(Request::new(pb::CreateContactRequest {
            customer_id: account_id.clone(),
            users_max: 2,
            ..create_request(&format!("racer{n}"), "", &["ContactManager"])
        }))
    };
    // Joined on one task: the requests overlap at their awaits (hashing,
    // the database), which is where a check-then-insert would race.
    let (a, b, c, d, e) = tokio::join!(create(0), create(1), create(2), create(3), create(4));
    let answers = [a, b, c, d, e];
    let admitted = answers.iter().filter(|a| a.is_ok()).count();
    assert_eq!(admitted, 2, "{answers:?}");
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert_limit_exceeded(refused, "2");
    }
    assert_eq!(list(&api, &account_id, 0, 10).await.expect("list").total, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn racing_assignments_cannot_both_pass_users_max() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (from_id, target_id) = (platform::id::new_id(), platform::id::new_id());
    let mut contacts = Vec::new();
    for _ in 0..5 {
        contacts.push(create_on(&api, &from_id, &["Owner"]).await);
    }
    let assign = |contact_id: &str| {
        api.assign_contact(Request::new(pb::AssignContactRequest {
            users_max: 2,
            ..assign_request(contact_id, &from_id, &target_id, "account", &["Owner"]).into_inner()
        }))
    };
    // No hashing here: the five transactions overlap at the database.
    let (a, b, c, d, e) = tokio::join!(
        assign(&contacts[0]),
        assign(&contacts[1]),
        assign(&contacts[2]),
        assign(&contacts[3]),
        assign(&contacts[4])
    );
    let answers = [a, b, c, d, e];
    assert_eq!(
        answers.iter().filter(|a| a.is_ok()).count(),
        2,
        "{answers:?}"
    );
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert_limit_exceeded(refused, "2");
    }
    assert_eq!(list(&api, &target_id, 0, 10).await.expect("list").total, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn assigned_contact_shows_its_own_roles_in_each_customers_list() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
    let contact_id = create_owner(&api, &first_id).await;
    let assigned = api
        .assign_contact(assign_request(
            &contact_id,
            &first_id,
            &second_id,
            "account",
            &["ContactManager", "AccountBillingManager"],
        ))
        .await
        .expect("assigned")
        .into_inner();
    assert_eq!(assigned.contact_id, contact_id);
    assert_eq!(assigned.customer_id, second_id, "seen from the target");
    assert_eq!(assigned.roles, ["AccountBillingManager", "ContactManager"]);

    let first = list(&api, &first_id, 0, 10).await.expect("list");
    assert_eq!(ids(&first), [contact_id.as_str()]);
    assert_eq!(first.items[0].roles, ["Owner"]);
    assert_eq!(first.items[0].customer_id, first_id);
    let second = list(&api, &second_id, 0, 10).await.expect("list");
    assert_eq!(ids(&second), [contact_id.as_str()]);
    assert_eq!(
        second.items[0].roles,
        ["AccountBillingManager", "ContactManager"]
    );
    assert_eq!(second.items[0].customer_id, second_id);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn assigning_to_a_customer_already_assigned_is_already_exists() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
    let contact_id = create_owner(&api, &first_id).await;
    api.assign_contact(assign_request(
        &contact_id,
        &first_id,
        &second_id,
        "account",
        &["ContactManager"],
    ))
    .await
    .expect("assigned");
    let err = api
        .assign_contact(assign_request(
            &contact_id,
            &first_id,
            &second_id,
            "account",
            &["Owner"],
        ))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(fields_of(&err), ["targetAccountID"]);
    assert_eq!(
        roles_of(&api, &contact_id, &second_id).await.roles,
        ["ContactManager"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn assigning_from_a_customer_the_contact_is_not_on_is_not_found() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let contact_id = create_owner(&api, &platform::id::new_id()).await;
    let target_id = platform::id::new_id();
    for (contact, from) in [
        (contact_id.as_str(), platform::id::new_id()),
        (&platform::id::new_id(), platform::id::new_id()),
    ] {
        let err = api
            .assign_contact(assign_request(
                contact,
                &from,
                &target_id,
                "account",
                &["Owner"],
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::NotFound);
    }
    assert_eq!(list(&api, &target_id, 0, 10).await.expect("list").total, 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn assigning_needs_roles_that_suit_the_target() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let first_id = platform::id::new_id();
    let contact_id = create_owner(&api, &first_id).await;
    for (kind, roles, fields) in [
        ("account", vec![], vec!["accessRoleNames"]),
        (
            "account",
            vec!["AG_PRIVATELABELSALES"],
            vec!["accessRoleNames"],
        ),
        ("partner", vec!["Owner"], vec!["accessRoleNames"]),
        ("reseller", vec!["Owner"], vec!["targetKind"]),
    ] {
        let err = api
            .assign_contact(assign_request(
                &contact_id,
                &first_id,
                &platform::id::new_id(),
                kind,
                &roles,
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(fields_of(&err), fields, "{kind} {roles:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn assigning_beyond_the_targets_users_max_is_refused() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
    let contact_id = create_owner(&api, &first_id).await;
    create_on(&api, &second_id, &["Owner"]).await;
    let err = api
        .assign_contact(Request::new(pb::AssignContactRequest {
            users_max: 1,
            ..assign_request(
                &contact_id,
                &first_id,
                &second_id,
                "account",
                &["ContactManager"],
            )
            .into_inner()
        }))
        .await
        .expect_err("over the limit");
    assert_limit_exceeded(&err, "1");
    assert!(
        roles_of(&api, &contact_id, &second_id)
            .await
            .roles
            .is_empty()
    );
    assert_eq!(list(&api, &second_id, 0, 10).await.expect("list").total, 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_last_owner_of_an_account_cannot_be_removed() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    let owner = create_owner(&api, &account_id).await;
    create_on(&api, &account_id, &["ContactManager"]).await;

    let err = remove(&api, &owner, &account_id)
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        err.message(),
        "the last owner of a customer cannot be removed"
    );
    assert_eq!(
        platform::status::reason(&err).map(|(r, _)| r).as_deref(),
        Some("LAST_OWNER")
    );
    assert_eq!(
        roles_of(&api, &owner, &account_id).await.roles,
        ["Owner"],
        "nothing removed"
    );

    let second_owner = create_on(&api, &account_id, &["Owner", "ContactManager"]).await;
    assert!(
        remove(&api, &owner, &account_id)
            .await
            .expect("another owner remains")
    );
    let err = remove(&api, &second_owner, &account_id)
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition, "now the last one");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_last_private_label_owner_of_a_partner_cannot_be_removed() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let partner_id = platform::id::new_id();
    let owner = create_on(&api, &partner_id, &["AG_PRIVATELABELOWNERS"]).await;
    let err = remove(&api, &owner, &partner_id)
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn removing_a_non_owners_only_assignment_deletes_the_contact() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    create_owner(&api, &account_id).await;
    let manager = create_on(&api, &account_id, &["ContactManager"]).await;

    assert!(
        remove(&api, &manager, &account_id).await.expect("removed"),
        "contact_deleted"
    );
    let err = get(&api, &manager, &account_id).await.expect_err("gone");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(list(&api, &account_id, 0, 10).await.expect("list").total, 1);
    let err = remove(&api, &manager, &account_id).await.expect_err("gone");
    assert_eq!(err.code(), Code::NotFound);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn removing_one_of_two_assignments_keeps_the_contact() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
    create_owner(&api, &first_id).await;
    let contact_id = create_on(&api, &first_id, &["ContactManager"]).await;
    api.assign_contact(assign_request(
        &contact_id,
        &first_id,
        &second_id,
        "account",
        &["Owner"],
    ))
    .await
    .expect("assigned");

    assert!(!remove(&api, &contact_id, &first_id).await.expect("removed"));
    assert!(
        roles_of(&api, &contact_id, &first_id)
            .await
            .roles
            .is_empty()
    );
    assert_eq!(
        get(&api, &contact_id, &second_id)
            .await
            .expect("kept")
            .roles,
        ["Owner"]
    );
    let _ = std::fs::remove_dir_all(dir);
}
