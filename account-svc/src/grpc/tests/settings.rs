//! Partner settings and contact rules.

use super::*;

async fn get(api: &AccountApi, customer_id: &str) -> Result<pb::PartnerSettings, Status> {
    api.get_settings(Request::new(pb::GetSettingsRequest {
        customer_id: customer_id.into(),
    }))
    .await
    .map(Response::into_inner)
}

#[tokio::test]
async fn partner_settings_read_update_and_refuse_bad_input() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let id = partner.customer_id.as_str();

    let defaults = get(&api, id).await.expect("defaults");
    assert_eq!(defaults.customer_id, id);
    assert_eq!(defaults.support_email, "");
    assert_eq!(defaults.default_culture, "");
    assert!(defaults.api_allowed_networks.is_empty());
    // A private-label partner creates accounts only (reference 000),
    // and takes cards only once its parent grants payment processing.
    assert_eq!(defaults.features.get("createPartners"), Some(&false));
    assert_eq!(defaults.features.get("paymentProcessing"), Some(&false));
    assert_eq!(defaults.features.get("createAccounts"), Some(&true));
    assert_eq!(defaults.features.get("paperCheck"), Some(&true));
    assert_eq!(
        (
            defaults.password_min_length,
            defaults.password_require_symbols,
            defaults.password_require_mixed_case
        ),
        (6, false, false)
    );

    let updated = api
        .update_settings(Request::new(pb::UpdateSettingsRequest {
            customer_id: id.into(),
            support_email: None,
            default_culture: Some("en-us".into()),
            api_allowed_networks: Some(pb::Networks {
                cidrs: vec!["10.0.0.0/8".into()],
            }),
            password_min_length: Some(10),
            ..Default::default()
        }))
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.default_culture, "EN-US");
    assert_eq!(updated.password_min_length, 10);
    assert!(!updated.password_require_symbols && !updated.password_require_mixed_case);
    assert_eq!(updated.api_allowed_networks, ["10.0.0.0/8"]);
    assert_eq!(updated.support_email, "");
    assert_eq!(get(&api, id).await.expect("read back"), updated);

    // A valid e-mail and flag beside three bad fields: every violation is
    // named and nothing is written, the valid fields included.
    let refused = api
        .update_settings(Request::new(pb::UpdateSettingsRequest {
            customer_id: id.into(),
            support_email: Some("help@example.com".into()),
            default_culture: Some("xx-xx".into()),
            api_allowed_networks: Some(pb::Networks {
                cidrs: vec!["10.1.2.3/8".into()],
            }),
            password_min_length: Some(129),
            password_require_symbols: Some(true),
            ..Default::default()
        }))
        .await
        .expect_err("bad input");
    assert_eq!(refused.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&refused)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(
        fields,
        [
            "defaultCulture",
            "apiAllowedNetworks[0]",
            "passwordMinLength"
        ]
    );
    assert_eq!(get(&api, id).await.expect("unchanged"), updated);

    // Only what is present changes: the stored culture and minimum
    // length survive an update of the e-mail and a flag, and an empty
    // list clears the networks.
    let merged = api
        .update_settings(Request::new(pb::UpdateSettingsRequest {
            customer_id: id.into(),
            support_email: Some("help@example.com".into()),
            default_culture: None,
            api_allowed_networks: Some(pb::Networks { cidrs: vec![] }),
            password_require_mixed_case: Some(true),
            ..Default::default()
        }))
        .await
        .expect("partial update")
        .into_inner();
    assert_eq!(merged.support_email, "help@example.com");
    assert_eq!(merged.default_culture, "EN-US");
    assert_eq!(
        (
            merged.password_min_length,
            merged.password_require_symbols,
            merged.password_require_mixed_case
        ),
        (10, false, true)
    );
    assert!(merged.api_allowed_networks.is_empty());

    let unknown = get(&api, &platform::id::new_id())
        .await
        .expect_err("unknown id");
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn accounts_have_no_settings() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&partner)).await;
    let e = get(&api, &account.customer_id)
        .await
        .expect_err("an account");
    assert_eq!(e.code(), Code::NotFound);
}

async fn set_policy(api: &AccountApi, partner: &CustomerRow, r: pb::UpdateSettingsRequest) {
    api.update_settings(Request::new(pb::UpdateSettingsRequest {
        customer_id: partner.customer_id.clone(),
        ..r
    }))
    .await
    .expect("policy");
}

fn policy_of(r: &pb::ContactRules) -> (i32, bool, bool) {
    (
        r.password_min_length,
        r.password_require_symbols,
        r.password_require_mixed_case,
    )
}

#[tokio::test]
async fn contact_rules_take_the_strictest_password_policy_along_the_ancestry() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    let child = insert_active(&api, "partner", Some(&root)).await;
    let grandchild = insert_active(&api, "account", Some(&child)).await;
    let sibling = insert_active(&api, "partner", Some(&root)).await;

    let before = rules(&api, &grandchild).await;
    assert_eq!(policy_of(&before), (6, false, false));

    set_policy(
        &api,
        &root,
        pb::UpdateSettingsRequest {
            password_min_length: Some(10),
            ..Default::default()
        },
    )
    .await;
    let r = rules(&api, &account).await;
    assert_eq!(
        (r.kind.as_str(), policy_of(&r), r.path.as_str()),
        ("account", (10, false, false), account.path.as_str())
    );

    // A child partner adds symbols and asks for a shorter minimum: the
    // root's 10 still holds below it, and its own rule counts for itself.
    set_policy(
        &api,
        &child,
        pb::UpdateSettingsRequest {
            password_min_length: Some(8),
            password_require_symbols: Some(true),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        policy_of(&rules(&api, &grandchild).await),
        (10, true, false)
    );
    let own = rules(&api, &child).await;
    assert_eq!(
        (own.kind.as_str(), policy_of(&own)),
        ("partner", (10, true, false))
    );
    // Nothing of the child's reaches up or sideways.
    assert_eq!(policy_of(&rules(&api, &root).await), (10, false, false));
    assert_eq!(policy_of(&rules(&api, &account).await), (10, false, false));
    assert_eq!(policy_of(&rules(&api, &sibling).await), (10, false, false));
}

#[tokio::test]
async fn contact_rules_answer_the_plans_users_max() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&partner)).await;
    assert_eq!(rules(&api, &account).await.users_max, 5);
    assert_eq!(rules(&api, &partner).await.users_max, 100);
    change_plan(&api, &account.customer_id, "business")
        .await
        .expect("change");
    assert_eq!(rules(&api, &account).await.users_max, 50);
}

#[tokio::test]
async fn contact_rules_outside_the_callers_subtree_are_not_found() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let mine = insert_active(&api, "partner", Some(&root)).await;
    let other = insert_active(&api, "partner", Some(&root)).await;
    let theirs = insert_active(&api, "account", Some(&other)).await;
    let ask = |home: &CustomerRow, id: &str| {
        api.get_contact_rules(as_caller(
            home,
            pb::GetContactRulesRequest {
                customer_id: id.into(),
            },
        ))
    };
    for id in [
        theirs.customer_id.as_str(),
        root.customer_id.as_str(),
        &platform::id::new_id(),
        "x",
    ] {
        let e = ask(&mine, id).await.expect_err("not visible");
        assert_eq!(e.code(), Code::NotFound, "{id}");
    }
    assert!(ask(&other, &theirs.customer_id).await.is_ok());
    assert!(ask(&mine, &mine.customer_id).await.is_ok());
}
