//! The Idempotency-Key of creates.

use super::*;

// ---- Idempotency-Key. Customer creates need contact-svc and
// billing-svc, which these tests do not run: they cover what happens
// before the peers are reached (replay, reuse, release, takeover of a
// finished create) and SetLimit end to end; the crash and the retry of
// a real create are in the end-to-end tests (idempotency_crash.rs).

use platform::idempotency::{is_replayed as replayed, keyed as with_key};

/// The state of `key` in the idempotency table, if it is there.
async fn key_state(api: &AccountApi, key: &str) -> Option<(String, String)> {
    let row = sqlx::query("select state, resource_id from idempotency_key where idem_key = $1")
        .bind(key)
        .fetch_optional(&api.state.db.pool)
        .await
        .expect("read key")?;
    use sqlx::Row as _;
    Some((
        row.try_get("state").expect("state"),
        row.try_get("resource_id").expect("resource_id"),
    ))
}

fn reason(status: &Status) -> String {
    platform::status::reason(status)
        .map(|(r, _)| r)
        .unwrap_or_default()
}

async fn set_limit_keyed(
    api: &AccountApi,
    c: &CustomerRow,
    value: i64,
    hash: &str,
) -> Result<Response<pb::Limit>, Status> {
    let req = with_key(
        Request::new(set_request(c, "Api_burst", value, true)),
        "limit-1",
        hash,
    );
    api.set_limit(req).await
}

#[tokio::test]
async fn a_limit_created_under_a_key_is_replayed_not_created_again() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;

    let first = set_limit_keyed(&api, &account, 10, "h1")
        .await
        .expect("create");
    assert!(!replayed(&first));
    assert_eq!(key_state(&api, "limit-1").await.expect("kept").0, "done");
    // Changed since: a replay still answers what the create answered,
    // where running the create again would answer ALREADY_EXISTS.
    set_limit(&api, &account, "Api_burst", 12, false)
        .await
        .expect("change");
    let again = set_limit_keyed(&api, &account, 10, "h1")
        .await
        .expect("replay");
    assert!(replayed(&again));
    assert_eq!(again.get_ref(), first.get_ref());
    assert_eq!(again.get_ref().value, 10);
    let stored = store_limit::overrides(&api.state.db, &account.customer_id)
        .await
        .expect("read");
    assert_eq!(stored.get("Api_burst"), Some(&12));
}

#[tokio::test]
async fn a_key_used_again_with_another_request_is_refused() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    set_limit_keyed(&api, &account, 10, "h1")
        .await
        .expect("create");
    let e = set_limit_keyed(&api, &account, 11, "h2")
        .await
        .expect_err("reused");
    assert_eq!(
        (e.code(), reason(&e).as_str()),
        (Code::FailedPrecondition, "IDEMPOTENCY_KEY_REUSED")
    );
    // The first answer stays kept.
    assert_eq!(key_state(&api, "limit-1").await.expect("kept").0, "done");
}

#[tokio::test]
async fn a_failed_create_releases_its_key_so_a_corrected_retry_runs() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    let e = set_limit_keyed(&api, &account, -1, "h1")
        .await
        .expect_err("invalid");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(key_state(&api, "limit-1").await, None);
    // Another body under the same key: released, so not "reused".
    let fixed = set_limit_keyed(&api, &account, 10, "h2")
        .await
        .expect("corrected retry");
    assert!(!replayed(&fixed));
    assert_eq!(fixed.get_ref().value, 10);
    let stored = store_limit::overrides(&api.state.db, &account.customer_id)
        .await
        .expect("read");
    assert_eq!(stored.get("Api_burst"), Some(&10));
}

/// Keeps `answer` under `key` as a finished create would have.
async fn finished(api: &AccountApi, key: &Key, answer: &pb::Customer) {
    assert!(matches!(
        idempotency::claim::<pb::Customer>(&api.state.db, key)
            .await
            .expect("claim"),
        Claim::Fresh { previous: None }
    ));
    let mut tx = api.state.db.pool.begin().await.expect("begin");
    idempotency::complete(&mut tx, key, answer)
        .await
        .expect("complete");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_finished_customer_create_is_replayed_before_any_work() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    let key = Key {
        client_id: String::new(),
        key: "create-1".into(),
        hash: "h1".into(),
    };
    finished(&api, &key, &to_pb(&account)).await;
    // The peers are down here: only a replay can answer 200.
    let res = api
        .create_customer(with_key(
            as_caller(&root, account_request("4111111111111111")),
            "create-1",
            "h1",
        ))
        .await
        .expect("replay");
    assert!(replayed(&res));
    assert_eq!(res.get_ref(), &to_pb(&account));

    let e = api
        .create_customer(with_key(
            as_caller(&root, account_request("4111111111111111")),
            "create-1",
            "h2",
        ))
        .await
        .expect_err("reused");
    assert_eq!(
        (e.code(), reason(&e).as_str()),
        (Code::FailedPrecondition, "IDEMPOTENCY_KEY_REUSED")
    );
}

#[tokio::test]
async fn a_failed_customer_create_releases_its_key() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    // No owner and no payment: refused before any peer is asked.
    let bad = pb::CreateCustomerRequest {
        owner: None,
        payment: None,
        ..account_request("4111111111111111")
    };
    let e = api
        .create_customer(with_key(as_caller(&root, bad), "create-1", "h1"))
        .await
        .expect_err("invalid");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(key_state(&api, "create-1").await, None);
    // The corrected request under the same key is not "reused": it
    // runs, and reaches the peers (down here).
    let e = api
        .create_customer(with_key(
            as_caller(&root, account_request("4111111111111111")),
            "create-1",
            "h2",
        ))
        .await
        .expect_err("peers down");
    assert_eq!(e.code(), Code::Unavailable);
    assert_eq!(key_state(&api, "create-1").await, None);
}

#[tokio::test]
async fn a_takeover_of_a_create_that_did_finish_answers_its_customer() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    let key = Key {
        client_id: String::new(),
        key: "create-1".into(),
        hash: "h1".into(),
    };
    idempotency::claim::<pb::Customer>(&api.state.db, &key)
        .await
        .expect("claim");
    idempotency::note_resource(&api.state.db, &key, &account.customer_id)
        .await
        .expect("note");
    // Its owner died long ago, leaving the claim running.
    sqlx::query("update idempotency_key set updated_at = '2000-01-01T00:00:00.000000Z'")
        .execute(&api.state.db.pool)
        .await
        .expect("age");
    let res = api
        .create_customer(with_key(
            as_caller(&root, account_request("4111111111111111")),
            "create-1",
            "h1",
        ))
        .await
        .expect("answered");
    assert!(replayed(&res));
    assert_eq!(res.get_ref().customer_id, account.customer_id);
    assert_eq!(
        key_state(&api, "create-1").await,
        Some(("done".into(), account.customer_id.clone()))
    );
}
