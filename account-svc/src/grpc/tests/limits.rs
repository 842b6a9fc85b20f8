//! Limits and quotas.

use super::*;

// ---- limits. Iam_usersMax's usage is contact-svc's, which these tests
// do not run, so they change the other limits through the API and
// Iam_usersMax through the store; the end-to-end tests cover the rest.

async fn reset_limit(api: &AccountApi, c: &CustomerRow, name: &str) -> Result<pb::Limit, Status> {
    api.reset_limit(Request::new(pb::ResetLimitRequest {
        customer_id: c.customer_id.clone(),
        name: name.into(),
    }))
    .await
    .map(Response::into_inner)
}

#[tokio::test]
async fn a_limit_is_created_once_changed_and_reset_to_its_default() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;

    let made = set_limit(&api, &account, "Api_burst", 10, true)
        .await
        .expect("create");
    assert_eq!(
        (
            made.name.as_str(),
            made.value,
            made.default_value,
            made.overridden,
            made.used
        ),
        ("Api_burst", 10, 20, true, None)
    );
    let again = set_limit(&api, &account, "Api_burst", 12, true)
        .await
        .expect_err("exists");
    assert_eq!(again.code(), Code::AlreadyExists);
    assert_eq!(fields(&again), ["name"]);

    let changed = set_limit(&api, &account, "Api_burst", 12, false)
        .await
        .expect("change");
    assert_eq!((changed.value, changed.overridden), (12, true));
    let stored = store_limit::overrides(&api.state.db, &account.customer_id)
        .await
        .expect("read");
    assert_eq!(stored.get("Api_burst"), Some(&12));

    let reset = reset_limit(&api, &account, "Api_burst")
        .await
        .expect("reset");
    assert_eq!(
        (reset.value, reset.default_value, reset.overridden),
        (20, 20, false)
    );
    // At its default already: nothing to do, and no error.
    let again = reset_limit(&api, &account, "Api_burst")
        .await
        .expect("no-op");
    assert_eq!((again.value, again.overridden), (20, false));
    assert!(
        store_limit::overrides(&api.state.db, &account.customer_id)
            .await
            .expect("read")
            .is_empty()
    );
}

#[tokio::test]
async fn limit_changes_name_the_bad_field() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let partner = insert_active(&api, "partner", Some(&root)).await;
    let account = insert_active(&api, "account", Some(&partner)).await;
    for (c, name, value, field) in [
        (&account, "Nothing_max", 1, "name"),
        (&account, "Api_burst", -1, "value"),
        (&account, "Api_burst", limit::MAX_VALUE + 1, "value"),
        (&account, USERS_MAX, 0, "value"),
        (&partner, "Storage_bytesMax", 1, "name"),
    ] {
        let e = set_limit(&api, c, name, value, false)
            .await
            .expect_err("invalid");
        assert_eq!(e.code(), Code::InvalidArgument, "{name} {value}");
        assert_eq!(fields(&e), [field], "{name} {value}");
    }
    let e = reset_limit(&api, &account, "Nothing_max")
        .await
        .expect_err("unknown");
    assert_eq!(
        (e.code(), fields(&e)),
        (Code::InvalidArgument, vec!["name".to_owned()])
    );
}

#[tokio::test]
async fn no_limit_goes_above_the_parent_partners() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let partner = insert_active(&api, "partner", Some(&root)).await;
    let account = insert_active(&api, "account", Some(&partner)).await;
    set_limit(&api, &partner, "Api_burst", 30, false)
        .await
        .expect("partner");
    let e = set_limit(&api, &account, "Api_burst", 31, false)
        .await
        .expect_err("above");
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(
        e.message().contains("Api_burst") && e.message().contains("30"),
        "{}",
        e.message()
    );
    set_limit(&api, &account, "Api_burst", 30, false)
        .await
        .expect("equal is fine");
    // The partner plan has no Storage_bytesMax: nothing caps it.
    set_limit(&api, &account, "Storage_bytesMax", limit::MAX_VALUE, false)
        .await
        .expect("uncapped");
}

#[tokio::test]
async fn a_partner_changes_the_limits_below_it_but_not_its_own() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let partner = insert_active(&api, "partner", Some(&root)).await;
    let set = |home: &CustomerRow, c: &CustomerRow, value: i64| {
        api.set_limit(as_caller(home, set_request(c, "Api_burst", value, false)))
    };
    set(&root, &partner, 40).await.expect("by the parent");
    let e = set(&partner, &partner, 50).await.expect_err("its own");
    assert_eq!(e.code(), Code::FailedPrecondition);
    let e = api
        .reset_limit(as_caller(
            &partner,
            pb::ResetLimitRequest {
                customer_id: partner.customer_id.clone(),
                name: "Api_burst".into(),
            },
        ))
        .await
        .expect_err("its own");
    assert_eq!(e.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn limits_outside_the_callers_subtree_are_not_found_even_with_bad_input() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let mine = insert_active(&api, "partner", Some(&root)).await;
    let other = insert_active(&api, "partner", Some(&root)).await;
    let theirs = insert_active(&api, "account", Some(&other)).await;
    for value in [5, -1] {
        let e = api
            .set_limit(as_caller(
                &mine,
                set_request(&theirs, "Api_burst", value, true),
            ))
            .await
            .expect_err("outside");
        assert_eq!(e.code(), Code::NotFound);
    }
    let e = api
        .list_limits(as_caller(
            &mine,
            pb::ListLimitsRequest {
                customer_id: theirs.customer_id.clone(),
                without_usage: false,
            },
        ))
        .await
        .expect_err("outside");
    assert_eq!(e.code(), Code::NotFound);
    let e = api
        .get_quota(as_caller(
            &mine,
            pb::GetQuotaRequest {
                customer_id: other.customer_id.clone(),
            },
        ))
        .await
        .expect_err("outside");
    assert_eq!(e.code(), Code::NotFound);
}

#[tokio::test]
async fn an_accounts_quota_is_not_found() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    let e = api
        .get_quota(Request::new(pb::GetQuotaRequest {
            customer_id: account.customer_id.clone(),
        }))
        .await
        .expect_err("an account");
    assert_eq!(e.code(), Code::NotFound);
}

#[tokio::test]
async fn a_changed_limit_drops_the_customers_cached_limits() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    let key = platform::cache::limits_key(&account.customer_id);
    let cached = || {
        api.state
            .cache
            .set(&key, "stale", std::time::Duration::from_secs(60))
    };

    cached().await;
    set_limit(&api, &account, "Api_burst", 5, false)
        .await
        .expect("set");
    assert_eq!(api.state.cache.get(&key).await, None);
    cached().await;
    reset_limit(&api, &account, "Api_burst")
        .await
        .expect("reset");
    assert_eq!(api.state.cache.get(&key).await, None);
    cached().await;
    change_plan(&api, &account.customer_id, "business")
        .await
        .expect("plan");
    assert_eq!(api.state.cache.get(&key).await, None);
    // A refused change leaves it.
    cached().await;
    set_limit(&api, &account, "Api_burst", -5, false)
        .await
        .expect_err("refused");
    assert!(api.state.cache.get(&key).await.is_some());
}

#[tokio::test]
async fn contact_rules_answer_the_users_max_in_force() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    store_limit::upsert(&api.state.db, &account.customer_id, USERS_MAX, 2)
        .await
        .expect("own value");
    assert_eq!(rules(&api, &account).await.users_max, 2);
    // An own value survives a plan change that keeps the limit.
    change_plan(&api, &account.customer_id, "business")
        .await
        .expect("plan");
    assert_eq!(rules(&api, &account).await.users_max, 2);
    store_limit::delete(&api.state.db, &account.customer_id, USERS_MAX)
        .await
        .expect("reset");
    assert_eq!(rules(&api, &account).await.users_max, 50);
}

#[tokio::test]
async fn a_removed_customer_takes_its_limits_along() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    set_limit(&api, &account, "Api_burst", 5, true)
        .await
        .expect("set");
    customer::remove(&api.state.db, &account.customer_id)
        .await
        .expect("remove");
    assert!(
        store_limit::overrides(&api.state.db, &account.customer_id)
            .await
            .expect("read")
            .is_empty()
    );
}
