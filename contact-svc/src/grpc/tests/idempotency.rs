//! CreateContact and AssignContact under an `Idempotency-Key`.

use platform::idempotency::{Key, is_replayed};

use super::*;

/// `message` carrying client-1's `Idempotency-Key: key` over a body
/// hashing to `hash`. Without a principal, so the request's own rules
/// apply (a principal's come from account-svc: see the tests above).
fn keyed<T>(message: T, key: &str, hash: &str) -> Request<T> {
    let mut req = Request::new(message);
    Key {
        client_id: "client-1".into(),
        key: key.into(),
        hash: hash.into(),
    }
    .attach(&mut req);
    req
}

fn reason_of(err: &Status) -> Option<String> {
    platform::status::reason(err).map(|(reason, _)| reason)
}

#[tokio::test]
async fn a_create_repeated_under_its_key_answers_the_first_contact_and_creates_nothing() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let request = create_request("ann", "", &["Owner", "ContactManager"]);
    let first = api
        .create_contact(keyed(request.clone(), "k1", "h1"))
        .await
        .expect("created");
    assert!(!is_replayed(&first));
    let first = first.into_inner();
    let again = api
        .create_contact(keyed(request.clone(), "k1", "h1"))
        .await
        .expect("replayed");
    assert!(is_replayed(&again), "marked x-idempotent-replayed");
    assert_eq!(again.into_inner(), first);
    let listed = list(&api, &request.customer_id, 0, 10).await.expect("list");
    assert_eq!(ids(&listed), [first.contact_id.as_str()], "one contact");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_key_reused_for_another_create_is_refused_and_creates_nothing() {
    let dir = temp_dir();
    let api = api(&dir).await;
    api.create_contact(keyed(create_request("ann", "", &["Owner"]), "k1", "h1"))
        .await
        .expect("created");
    let err = api
        .create_contact(keyed(create_request("bob", "", &["Owner"]), "k1", "h2"))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason_of(&err).as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));
    assert!(
        !contact::login_taken(&api.state.db, "bob")
            .await
            .expect("query"),
        "no second contact"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_failed_create_frees_its_key_for_a_corrected_retry() {
    let dir = temp_dir();
    let api = api(&dir).await;
    api.create_contact(Request::new(create_request("ann", "", &["Owner"])))
        .await
        .expect("created");
    let err = api
        .create_contact(keyed(create_request("ann", "", &["Owner"]), "k1", "h1"))
        .await
        .expect_err("login taken");
    assert_eq!(err.code(), Code::AlreadyExists);
    let retried = api
        .create_contact(keyed(create_request("bob", "", &["Owner"]), "k1", "h2"))
        .await
        .expect("the key was released");
    assert!(!is_replayed(&retried));
    assert_eq!(retried.into_inner().login, "bob");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_key_is_scoped_to_its_client() {
    let dir = temp_dir();
    let api = api(&dir).await;
    api.create_contact(keyed(create_request("ann", "", &["Owner"]), "k1", "h1"))
        .await
        .expect("created");
    // No principal: an internal caller, whose keys are its own.
    let mut req = Request::new(create_request("bob", "", &["Owner"]));
    Key {
        client_id: String::new(),
        key: ("k1").into(),
        hash: ("h2").into(),
    }
    .attach(&mut req);
    let other = api.create_contact(req).await.expect("created");
    assert!(!is_replayed(&other));
    assert_eq!(other.into_inner().login, "bob");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_assignment_repeated_under_its_key_answers_the_first_and_assigns_once() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
    let contact_id = create_owner(&api, &first_id).await;
    let request = assign_request(
        &contact_id,
        &first_id,
        &second_id,
        "account",
        &["ContactManager"],
    )
    .into_inner();
    let first = api
        .assign_contact(keyed(request.clone(), "k1", "h1"))
        .await
        .expect("assigned")
        .into_inner();
    assert_eq!(first.roles, ["ContactManager"]);
    // Done again it would be refused (already assigned): it is replayed.
    let again = api
        .assign_contact(keyed(request, "k1", "h1"))
        .await
        .expect("replayed");
    assert!(is_replayed(&again));
    assert_eq!(again.into_inner(), first);
    assert_eq!(
        roles_of(&api, &contact_id, &second_id).await.roles,
        ["ContactManager"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_assignment_under_a_reused_key_is_refused_and_assigns_nothing() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
    let contact_id = create_owner(&api, &first_id).await;
    api.create_contact(keyed(create_request("ann", "", &["Owner"]), "k1", "h1"))
        .await
        .expect("created");
    let err = api
        .assign_contact(keyed(
            assign_request(&contact_id, &first_id, &second_id, "account", &["Owner"]).into_inner(),
            "k1",
            "h2",
        ))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason_of(&err).as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));
    assert!(
        roles_of(&api, &contact_id, &second_id)
            .await
            .roles
            .is_empty()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_failed_assignment_frees_its_key_for_a_corrected_retry() {
    let dir = temp_dir();
    let api = api(&dir).await;
    let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
    let contact_id = create_owner(&api, &first_id).await;
    create_on(&api, &second_id, &["Owner"]).await;
    let request = assign_request(
        &contact_id,
        &first_id,
        &second_id,
        "account",
        &["ContactManager"],
    )
    .into_inner();
    let err = api
        .assign_contact(keyed(
            pb::AssignContactRequest {
                users_max: 1,
                ..request.clone()
            },
            "k1",
            "h1",
        ))
        .await
        .expect_err("over the limit");
    assert_limit_exceeded(&err, "1");
    let retried = api
        .assign_contact(keyed(request, "k1", "h2"))
        .await
        .expect("the key was released");
    assert!(!is_replayed(&retried));
    assert_eq!(retried.into_inner().roles, ["ContactManager"]);
    let _ = std::fs::remove_dir_all(dir);
}
