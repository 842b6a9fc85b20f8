//! CreateContact, GetContact, ListContacts, CountContacts and
//! UpdateContact: fields, culture, limits, paging and totals.

use super::*;

async fn stored_culture(api: &ContactApi, contact_id: &str) -> String {
    use sqlx::Row as _;
    sqlx::query("select culture from contact where contact_id = $1")
        .bind(contact_id)
        .fetch_one(&api.state.db.pool)
        .await
        .expect("row")
        .try_get("culture")
        .expect("culture")
}

#[tokio::test]
async fn culture_is_stored_and_returned_canonical() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let created = api
        .create_contact(Request::new(create_request("ann", "nl-nl", &["Owner"])))
        .await
        .expect("created")
        .into_inner();
    assert_eq!(created.culture, "NL-NL");
    assert_eq!(stored_culture(&api, &created.contact_id).await, "NL-NL");
    let got = api
        .get_contact(Request::new(pb::GetContactRequest {
            contact_id: created.contact_id.clone(),
            customer_id: String::new(),
        }))
        .await
        .expect("contact")
        .into_inner();
    assert_eq!(got.culture, "NL-NL");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn culture_not_given_stays_empty() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let created = api
        .create_contact(Request::new(create_request("ann", "", &["Owner"])))
        .await
        .expect("created")
        .into_inner();
    assert_eq!(created.culture, "");
    assert_eq!(stored_culture(&api, &created.contact_id).await, "");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn bad_culture_is_invalid_and_creates_nothing() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let err = api
        .create_contact(Request::new(create_request("ann", "nl_NL", &["Owner"])))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["culture"]);
    assert!(
        !contact::login_taken(&api.state.db, "ann")
            .await
            .expect("query"),
        "no contact stored"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn create_with_a_role_listed_twice_is_invalid_and_creates_nothing() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let err = api
        .create_contact(Request::new(create_request(
            "ann",
            "",
            &["Owner", "ContactManager", "Owner"],
        )))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        field_violations(&err),
        [(
            "accessRoleNames".to_owned(),
            "Owner is listed twice".to_owned()
        )]
    );
    assert!(
        !contact::login_taken(&api.state.db, "ann")
            .await
            .expect("query"),
        "no contact stored"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn list_pages_a_customers_contacts_in_id_order_with_the_total() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (account_id, other_id) = (platform::id::new_id(), platform::id::new_id());
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(create_on(&api, &account_id, &["ContactManager"]).await);
    }
    create_on(&api, &other_id, &["Owner"]).await;
    created.sort();

    let first = list(&api, &account_id, 0, 2).await.expect("page");
    assert_eq!(
        first.total, 5,
        "the other customer's contact is not counted"
    );
    assert_eq!(ids(&first), created[..2]);
    assert!(
        first
            .items
            .iter()
            .all(|c| c.customer_id == account_id && c.roles == ["ContactManager"])
    );
    let middle = list(&api, &account_id, 2, 2).await.expect("page");
    assert_eq!(ids(&middle), created[2..4]);
    let last = list(&api, &account_id, 4, 2).await.expect("page");
    assert_eq!(ids(&last), created[4..], "the last page is short");
    let past = list(&api, &account_id, 5, 2).await.expect("page");
    assert!(past.items.is_empty());
    assert_eq!(past.total, 5, "the total does not depend on the page");
    let default_take = list(&api, &account_id, 0, 0).await.expect("page");
    assert_eq!(ids(&default_take), created, "take 0 means 100");
    assert_eq!(
        ids(&list(&api, &account_id, 0, 1000).await.expect("page")),
        created
    );
    let none = list(&api, &platform::id::new_id(), 0, 10)
        .await
        .expect("page");
    assert_eq!((none.total, none.items.len()), (0, 0));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_walk_by_cursor_meets_each_contact_once_while_others_are_added() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(create_on(&api, &account_id, &["ContactManager"]).await);
    }
    let mut walked: Vec<String> = Vec::new();
    let mut after = String::new();
    loop {
        let page = list_after(&api, &account_id, &after, 0, 2)
            .await
            .expect("page");
        walked.extend(ids(&page).into_iter().map(str::to_owned));
        // A contact added mid-walk has the newest id: the walk ends on it.
        if walked.len() == 2 {
            created.push(create_on(&api, &account_id, &["ContactManager"]).await);
        }
        if page.next_cursor.is_empty() {
            assert!(page.items.len() <= 2);
            break;
        }
        assert_eq!(page.items.len(), 2, "a page with more to follow is full");
        assert_eq!(page.next_cursor, walked[walked.len() - 1]);
        after = page.next_cursor;
    }
    created.sort();
    assert_eq!(walked, created, "each contact once, in id order");

    // skip counts past the cursor; the last page answers no cursor.
    let page = list_after(&api, &account_id, &created[0], 1, 2)
        .await
        .expect("page");
    assert_eq!(ids(&page), created[2..4]);
    assert_eq!(page.next_cursor, created[3]);
    let last = list_after(&api, &account_id, &created[3], 0, 2)
        .await
        .expect("page");
    assert_eq!(ids(&last), created[4..]);
    assert_eq!(last.next_cursor, "", "nothing follows an exact fit");
    let err = list_after(&api, &account_id, "not-a-cursor", 0, 2)
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(fields_of(&err), ["after"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_total_follows_every_change_to_the_customers_contacts() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (a, b) = (platform::id::new_id(), platform::id::new_id());
    let total = |customer: String| {
        let api = &api;
        async move { list(api, &customer, 0, 1).await.expect("page").total }
    };
    let owner = create_on(&api, &a, &["Owner"]).await;
    let other = create_on(&api, &a, &["ContactManager"]).await;
    assert_eq!(total(a.clone()).await, 2);
    assert_eq!(total(b.clone()).await, 0);
    // No owner role on B: its last holder could not leave.
    api.assign_contact(assign_request(
        &other,
        &a,
        &b,
        "account",
        &["ContactManager"],
    ))
    .await
    .expect("assigned");
    assert_eq!(total(b.clone()).await, 1, "an assignment counts");
    api.set_roles(set(&owner, &b, "account", &["SecurityManager"]))
        .await
        .expect("set");
    assert_eq!(total(b.clone()).await, 2, "roles on a new customer count");
    remove(&api, &other, &b).await.expect("removed");
    assert_eq!(total(b.clone()).await, 1, "a removal counts");
    api.set_roles(set(&owner, &b, "account", &[]))
        .await
        .expect("set");
    assert_eq!(total(b.clone()).await, 0, "no roles end the assignment");
    api.delete_customer_contacts(Request::new(pb::DeleteCustomerContactsRequest {
        customer_id: a.clone(),
    }))
    .await
    .expect("deleted");
    assert_eq!(total(a.clone()).await, 0, "a deleted customer has none");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn count_answers_every_customer_asked_with_its_assigned_contacts() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (a, b) = (platform::id::new_id(), platform::id::new_id());
    let shared = create_on(&api, &a, &["Owner"]).await;
    create_on(&api, &a, &["ContactManager", "SecurityManager"]).await;
    api.assign_contact(assign_request(&shared, &a, &b, "account", &["Owner"]))
        .await
        .expect("assigned");
    // More ids than one statement takes, the known ones in the last
    // chunk: every id is answered, unknown ones with 0.
    let mut ids: Vec<String> = (0..1200).map(|_| platform::id::new_id()).collect();
    ids.extend([a.clone(), b.clone()]);
    let counts = count(&api, &ids).await.expect("counts");
    assert_eq!(counts.len(), ids.len());
    assert_eq!(counts[&a], 2, "two contacts, one with two roles");
    assert_eq!(counts[&b], 1);
    assert_eq!(counts[&ids[0]], 0);
    assert!(count(&api, &[]).await.expect("none").is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn count_refuses_what_is_not_an_id() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let err = count(&api, &[platform::id::new_id(), "x".into()])
        .await
        .expect_err("invalid");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(fields_of(&err), ["customerIDs[1]"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn list_refuses_take_outside_1_to_1000_and_negative_skip() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let account_id = platform::id::new_id();
    for (skip, take, expected) in [
        (0, 1001, vec!["take"]),
        (0, -1, vec!["take"]),
        (-1, 10, vec!["skip"]),
        (-1, 1001, vec!["skip", "take"]),
    ] {
        let err = list(&api, &account_id, skip, take)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(fields_of(&err), expected, "skip {skip} take {take}");
    }
    let err = list(&api, "nope", 0, 10).await.expect_err("refused");
    assert_eq!(fields_of(&err), ["customerID"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn create_stores_alternative_email_and_phone() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let created = api
        .create_contact(Request::new(pb::CreateContactRequest {
            alternative_email: "ann.private@example.org".into(),
            phone: "+31 20 555 0100".into(),
            ..create_request("ann", "", &["Owner"])
        }))
        .await
        .expect("created")
        .into_inner();
    assert_eq!(created.alternative_email, "ann.private@example.org");
    assert_eq!(created.phone, "+31 20 555 0100");
    let got = get(&api, &created.contact_id, &created.customer_id)
        .await
        .expect("contact");
    assert_eq!(got, created);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn create_refuses_bad_alternative_email_and_phone() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let err = api
        .create_contact(Request::new(pb::CreateContactRequest {
            alternative_email: "not an address".into(),
            // One past ContactCreateV2's 100.
            phone: "1".repeat(101),
            // One past ContactCreateV2's 255.
            cellular_phone: "1".repeat(256),
            ..create_request("ann", "", &["Owner"])
        }))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        fields_of(&err),
        ["alternativeEmail", "phone", "cellularPhone"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn create_for_an_account_refuses_partner_roles() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let err = api
        .create_contact(Request::new(pb::CreateContactRequest {
            customer_kind: "account".into(),
            ..create_request("ann", "", &["AG_PRIVATELABELSALES"])
        }))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        field_violations(&err),
        [(
            "accessRoleNames".to_owned(),
            "AG_PRIVATELABELSALES is a partner role; this customer is an account".to_owned()
        )]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn create_applies_the_requests_password_policy() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let err = api
        .create_contact(Request::new(pb::CreateContactRequest {
            password: "abc12345".into(),
            policy: Some(pb::PasswordPolicy {
                min_length: 10,
                require_symbols: true,
                require_mixed_case: false,
            }),
            ..create_request("ann", "", &["Owner"])
        }))
        .await
        .expect_err("refused");
    assert_eq!(
        field_violations(&err),
        [(
            "password".to_owned(),
            "must be at least 10 characters; must contain a symbol".to_owned()
        )]
    );
    assert!(
        !err.message().contains("abc12345"),
        "the password is not echoed"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn update_of_one_field_keeps_the_rest() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let before = api
        .create_contact(Request::new(pb::CreateContactRequest {
            alternative_email: "ann.private@example.org".into(),
            phone: "020 555 0100".into(),
            cellular_phone: "06 1234 5678".into(),
            ..create_request("ann", "en-gb", &["Owner"])
        }))
        .await
        .expect("created")
        .into_inner();
    let after = api
        .update_contact(Request::new(pb::UpdateContactRequest {
            contact_id: before.contact_id.clone(),
            customer_id: before.customer_id.clone(),
            phone: Some("+31 20 555 0199".into()),
            ..Default::default()
        }))
        .await
        .expect("updated")
        .into_inner();
    assert_eq!(
        after,
        pb::Contact {
            phone: "+31 20 555 0199".into(),
            ..before.clone()
        }
    );
    assert_eq!(
        get(&api, &before.contact_id, &before.customer_id)
            .await
            .expect("contact"),
        after
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn update_clears_optional_fields_given_empty() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let before = api
        .create_contact(Request::new(pb::CreateContactRequest {
            alternative_email: "ann.private@example.org".into(),
            ..create_request("ann", "en-gb", &["Owner"])
        }))
        .await
        .expect("created")
        .into_inner();
    let after = api
        .update_contact(Request::new(pb::UpdateContactRequest {
            contact_id: before.contact_id.clone(),
            customer_id: before.customer_id.clone(),
            alternative_email: Some(String::new()),
            culture: Some(String::new()),
            ..Default::default()
        }))
        .await
        .expect("updated")
        .into_inner();
    assert_eq!(
        (after.alternative_email.as_str(), after.culture.as_str()),
        ("", "")
    );
    assert_eq!(after.name, before.name);
    let _ = std::fs::remove_dir_all(dir);
}

fn role_update(
    contact_id: &str,
    customer_id: &str,
    name: &str,
    roles: &[&str],
) -> pb::UpdateContactRequest {
    pb::UpdateContactRequest {
        contact_id: contact_id.into(),
        customer_id: customer_id.into(),
        name: Some(name.into()),
        roles: Some(pb::RoleNames {
            names: roles.iter().map(|r| (*r).to_owned()).collect(),
        }),
        customer_kind: "account".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_update_changes_roles_and_information_together_or_neither() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let owner = api
        .create_contact(Request::new(create_request("ann", "", &["Owner"])))
        .await
        .expect("created")
        .into_inner();
    let (id, customer) = (owner.contact_id.as_str(), owner.customer_id.as_str());
    // The last owner keeps its role: neither the roles nor the name change.
    let err = api
        .update_contact(Request::new(role_update(
            id,
            customer,
            "Renamed",
            &["ContactManager"],
        )))
        .await
        .expect_err("last owner");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(roles_of(&api, id, customer).await.roles, ["Owner"]);
    let seen = api
        .get_contact(Request::new(pb::GetContactRequest {
            contact_id: id.into(),
            customer_id: customer.into(),
        }))
        .await
        .expect("read")
        .into_inner();
    assert_eq!(seen.name, owner.name);
    // With another owner it steps down, renamed in the same change.
    create_on(&api, customer, &["Owner"]).await;
    let changed = api
        .update_contact(Request::new(role_update(
            id,
            customer,
            "Renamed",
            &["ContactManager"],
        )))
        .await
        .expect("changed")
        .into_inner();
    assert_eq!(
        (changed.name.as_str(), changed.roles.as_slice()),
        ("Renamed", &["ContactManager".to_owned()][..])
    );
}

#[tokio::test]
async fn an_update_names_bad_or_missing_roles() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let owner = api
        .create_contact(Request::new(create_request("ann", "", &["Owner"])))
        .await
        .expect("created")
        .into_inner();
    for roles in [&[][..], &["AG_PRIVATELABELOWNERS"][..], &["Nope"][..]] {
        let err = api
            .update_contact(Request::new(role_update(
                &owner.contact_id,
                &owner.customer_id,
                "X",
                roles,
            )))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument, "{roles:?}");
        assert_eq!(fields_of(&err), ["accessRoleNames"], "{roles:?}");
    }
}

#[tokio::test]
async fn update_reports_every_bad_field_and_changes_nothing() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let before = api
        .create_contact(Request::new(create_request("ann", "", &["Owner"])))
        .await
        .expect("created")
        .into_inner();
    let err = api
        .update_contact(Request::new(pb::UpdateContactRequest {
            contact_id: before.contact_id.clone(),
            customer_id: before.customer_id.clone(),
            name: Some(String::new()),
            email: Some("nope".into()),
            alternative_email: Some("nope".into()),
            phone: Some("1".repeat(101)),
            cellular_phone: Some("1".repeat(51)),
            culture: Some("english".into()),
            ..Default::default()
        }))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        fields_of(&err),
        [
            "name",
            "email",
            "alternativeEmail",
            "phone",
            "cellularPhone",
            "culture"
        ]
    );
    assert_eq!(
        get(&api, &before.contact_id, &before.customer_id)
            .await
            .expect("contact"),
        before
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// ContactCreateV2's limits: each (field, longest accepted value, the
/// same one character longer).
fn create_limits() -> Vec<(&'static str, String, String)> {
    let email = |n: usize| format!("{}@example.com", "a".repeat(n - 12));
    vec![
        ("login", "l".repeat(50), "l".repeat(51)),
        ("name", "n".repeat(50), "n".repeat(51)),
        ("email", email(50), email(51)),
        ("alternativeEmail", email(50), email(51)),
        ("phone", "1".repeat(100), "1".repeat(101)),
        ("cellularPhone", "2".repeat(255), "2".repeat(256)),
    ]
}

fn with_field(
    mut r: pb::CreateContactRequest,
    field: &str,
    value: String,
) -> pb::CreateContactRequest {
    match field {
        "login" => r.login = value,
        "name" => r.name = value,
        "email" => r.email = value,
        "alternativeEmail" => r.alternative_email = value,
        "phone" => r.phone = value,
        "cellularPhone" => r.cellular_phone = value,
        other => panic!("no field {other}"),
    }
    r
}

#[tokio::test]
async fn create_takes_each_field_at_its_limit_and_names_the_one_past_it() {
    let dir = temp_dir();
    let api = api(&dir).await;
    for (i, (field, longest, past)) in create_limits().into_iter().enumerate() {
        // A login of its own per contact, unless the login is the field.
        let base = create_request(&format!("limit-{i}"), "", &["Owner"]);
        let created = api
            .create_contact(Request::new(with_field(
                base.clone(),
                field,
                longest.clone(),
            )))
            .await
            .unwrap_or_else(|e| panic!("{field} at its limit: {e:?}"))
            .into_inner();
        let stored = match field {
            "login" => created.login,
            "name" => created.name,
            "email" => created.email,
            "alternativeEmail" => created.alternative_email,
            "phone" => created.phone,
            _ => created.cellular_phone,
        };
        assert_eq!(stored, longest, "{field}");
        let refused = pb::CreateContactRequest {
            login: format!("past-{i}"),
            ..base
        };
        let err = api
            .create_contact(Request::new(with_field(refused, field, past)))
            .await
            .expect_err("one past the limit");
        assert_eq!(err.code(), Code::InvalidArgument, "{field}");
        assert_eq!(fields_of(&err), [field], "{field}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn update_takes_each_field_at_its_limit_and_names_the_one_past_it() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let before = api
        .create_contact(Request::new(create_request("ann", "", &["Owner"])))
        .await
        .expect("created")
        .into_inner();
    let email = |n: usize| format!("{}@example.com", "a".repeat(n - 12));
    // ContactInfoUpdateV2: the cellular phone takes 50 here, not 255.
    let limits = [
        ("name", "n".repeat(50), "n".repeat(51)),
        ("email", email(50), email(51)),
        ("alternativeEmail", email(50), email(51)),
        ("phone", "1".repeat(100), "1".repeat(101)),
        ("cellularPhone", "2".repeat(50), "2".repeat(51)),
    ];
    let request = |field: &str, value: String| {
        let mut r = pb::UpdateContactRequest {
            contact_id: before.contact_id.clone(),
            customer_id: before.customer_id.clone(),
            ..Default::default()
        };
        let slot = match field {
            "name" => &mut r.name,
            "email" => &mut r.email,
            "alternativeEmail" => &mut r.alternative_email,
            "phone" => &mut r.phone,
            _ => &mut r.cellular_phone,
        };
        *slot = Some(value);
        Request::new(r)
    };
    for (field, longest, past) in limits {
        api.update_contact(request(field, longest))
            .await
            .unwrap_or_else(|e| panic!("{field} at its limit: {e:?}"));
        let err = api
            .update_contact(request(field, past))
            .await
            .expect_err("one past the limit");
        assert_eq!(err.code(), Code::InvalidArgument, "{field}");
        assert_eq!(fields_of(&err), [field], "{field}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn any_iso_culture_is_taken_on_create_and_update() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let created = api
        .create_contact(Request::new(create_request("ann", "es-mx", &["Owner"])))
        .await
        .expect("created")
        .into_inner();
    assert_eq!(created.culture, "ES-MX");
    let updated = api
        .update_contact(Request::new(pb::UpdateContactRequest {
            contact_id: created.contact_id.clone(),
            customer_id: created.customer_id.clone(),
            culture: Some("pt-BR".into()),
            ..Default::default()
        }))
        .await
        .expect("updated")
        .into_inner();
    assert_eq!(updated.culture, "PT-BR");
    assert_eq!(stored_culture(&api, &created.contact_id).await, "PT-BR");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn update_through_a_customer_the_contact_is_not_assigned_to_is_not_found() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let contact_id = create_owner(&api, &platform::id::new_id()).await;
    let err = api
        .update_contact(Request::new(pb::UpdateContactRequest {
            contact_id: contact_id.clone(),
            customer_id: platform::id::new_id(),
            name: Some("Mallory".into()),
            ..Default::default()
        }))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        get(&api, &contact_id, "").await.expect("contact").name,
        "Ann Owner"
    );
    let _ = std::fs::remove_dir_all(dir);
}
