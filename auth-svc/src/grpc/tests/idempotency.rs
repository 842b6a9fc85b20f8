//! CreateClient and RequestApiAccess under an `Idempotency-Key`, with
//! stand-in peers.

use platform::idempotency::{self, is_replayed};

use super::*;

/// Every stored API access request of a partner, newest first.
async fn stored_requests(api: &AuthApi, customer_id: &str) -> Vec<AccessRequestRow> {
    access_request::list(&api.state.db, customer_id, "", 0, 1000)
        .await
        .expect("list")
}

/// `message` from `p`, carrying `Idempotency-Key: key` over a body
/// hashing to `hash`, as the gateway sends it.
fn keyed<T>(p: &Principal, message: T, key: &str, hash: &str) -> Request<T> {
    idempotency::keyed(acting(p, message), key, hash)
}

fn reason_of(err: &Status) -> Option<String> {
    platform::status::reason(err).map(|(reason, _)| reason)
}

fn new_client(contact_id: &str, customer_id: &str, name: &str) -> pb::CreateClientRequest {
    pb::CreateClientRequest {
        contact_id: contact_id.to_owned(),
        customer_id: customer_id.to_owned(),
        name: name.to_owned(),
        ..Default::default()
    }
}

/// The answers kept under idempotency keys, decoded from their hex.
async fn kept_responses(api: &AuthApi) -> Vec<Vec<u8>> {
    use sqlx::Row as _;
    sqlx::query("select response from idempotency_key")
        .fetch_all(&api.state.db.pool)
        .await
        .expect("select")
        .iter()
        .map(|r| hex::decode(r.try_get::<String, _>("response").expect("response")).expect("hex"))
        .collect()
}

#[tokio::test]
async fn a_client_created_again_under_its_key_is_the_same_client_without_its_secret() {
    let dir = TempDir::new();
    let tree = Tree::new();
    let api = tree.api(&dir).await;
    let me = principal(&tree.root_owner, &tree.root, &[MANAGE_OWN]);
    let request = new_client(&tree.root_owner, &tree.root, "ci");

    let first = api
        .create_client(keyed(&me, request.clone(), "k1", "h1"))
        .await
        .expect("created");
    assert!(!is_replayed(&first));
    let first = first.into_inner();
    assert!(!first.client_secret.is_empty(), "the secret, shown once");
    let again = api
        .create_client(keyed(&me, request, "k1", "h1"))
        .await
        .expect("replayed");
    assert!(is_replayed(&again), "marked x-idempotent-replayed");
    let again = again.into_inner();
    assert_eq!(again.client, first.client, "the same client");
    assert_eq!(again.client_secret, "", "the secret is not kept");

    let listed = stored_clients(&api, &tree.root_owner).await;
    assert_eq!(listed.len(), 1, "one client");
    let client_id = first.client.as_ref().map(|c| c.client_id.as_str());
    assert!(verify(&api, client_id.unwrap_or_default(), &first.client_secret).await);
    let kept = kept_responses(&api).await;
    assert_eq!(kept.len(), 1);
    let secret = first.client_secret.as_bytes();
    assert!(
        !kept[0].windows(secret.len()).any(|w| w == secret),
        "no secret in the kept answer"
    );
}

#[tokio::test]
async fn a_client_key_reused_for_another_request_is_refused_and_creates_nothing() {
    let dir = TempDir::new();
    let tree = Tree::new();
    let api = tree.api(&dir).await;
    let me = principal(&tree.root_owner, &tree.root, &[MANAGE_OWN]);
    api.create_client(keyed(
        &me,
        new_client(&tree.root_owner, &tree.root, "ci"),
        "k1",
        "h1",
    ))
    .await
    .expect("created");
    let err = api
        .create_client(keyed(
            &me,
            new_client(&tree.root_owner, &tree.root, "other"),
            "k1",
            "h2",
        ))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason_of(&err).as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));
    let listed = stored_clients(&api, &tree.root_owner).await;
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn a_failed_client_create_frees_its_key_for_a_corrected_retry() {
    let dir = TempDir::new();
    let tree = Tree::new();
    let api = tree.api(&dir).await;
    let all = principal(&tree.root_owner, &tree.root, &[MANAGE_ALL]);
    // A contact with no role here may hold no client.
    let roleless = platform::id::new_id();
    let err = api
        .create_client(keyed(
            &all,
            new_client(&roleless, &tree.root, "ci"),
            "k1",
            "h1",
        ))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    let retried = api
        .create_client(keyed(
            &all,
            new_client(&tree.root_owner, &tree.root, "ci"),
            "k1",
            "h2",
        ))
        .await
        .expect("the key was released");
    assert!(!is_replayed(&retried));
    assert_eq!(
        retried.into_inner().client.map(|c| c.contact_id),
        Some(tree.root_owner.clone())
    );
}

#[tokio::test]
async fn an_access_request_filed_again_under_its_key_is_the_same_request() {
    let dir = TempDir::new();
    let tree = Tree::new();
    let api = tree.api(&dir).await;
    let parent = principal(&tree.root_owner, &tree.root, &[MANAGE_ALL]);
    let request = pb::RequestApiAccessRequest {
        customer_id: tree.partner.clone(),
        contact_ids: vec![tree.partner_owner.clone()],
    };
    let first = api
        .request_api_access(keyed(&parent, request.clone(), "k1", "h1"))
        .await
        .expect("filed");
    assert!(!is_replayed(&first));
    let first = first.into_inner();
    let again = api
        .request_api_access(keyed(&parent, request, "k1", "h1"))
        .await
        .expect("replayed");
    assert!(is_replayed(&again));
    assert_eq!(again.into_inner(), first);
    let filed = stored_requests(&api, &tree.partner).await;
    assert_eq!(filed.len(), 1, "one request");

    let err = api
        .request_api_access(keyed(
            &parent,
            pb::RequestApiAccessRequest {
                customer_id: tree.partner.clone(),
                contact_ids: vec![tree.partner_owner.clone(), tree.root_owner.clone()],
            },
            "k1",
            "h2",
        ))
        .await
        .expect_err("reused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason_of(&err).as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));
    assert_eq!(stored_requests(&api, &tree.partner).await.len(), 1);
}

#[tokio::test]
async fn a_failed_access_request_frees_its_key_for_a_corrected_retry() {
    let dir = TempDir::new();
    let tree = Tree::new();
    let api = tree.api(&dir).await;
    let parent = principal(&tree.root_owner, &tree.root, &[MANAGE_ALL]);
    // The root's owner holds no role on the partner.
    let err = api
        .request_api_access(keyed(
            &parent,
            pb::RequestApiAccessRequest {
                customer_id: tree.partner.clone(),
                contact_ids: vec![tree.root_owner.clone()],
            },
            "k1",
            "h1",
        ))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    let retried = api
        .request_api_access(keyed(
            &parent,
            pb::RequestApiAccessRequest {
                customer_id: tree.partner.clone(),
                contact_ids: vec![tree.partner_owner.clone()],
            },
            "k1",
            "h2",
        ))
        .await
        .expect("the key was released");
    assert!(!is_replayed(&retried));
    assert_eq!(retried.into_inner().contact_ids, [tree.partner_owner]);
}
