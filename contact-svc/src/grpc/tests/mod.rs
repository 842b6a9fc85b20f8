//! The ContactService API's tests, by noun ([`contacts`], [`roles`],
//! [`assignments`], [`passwords`], [`idempotency`], [`behalf`]); the
//! helpers they share are here.

mod assignments;
mod behalf;
mod contacts;
mod idempotency;
mod passwords;
mod roles;

use std::collections::HashMap;

use platform::status::field_violations;
use proto::contact::v1::contact_service_server::ContactService as _;
use tonic::Code;

use super::*;

/// An API on its own SQLite file under a fresh temporary directory, or,
/// with `DATABASE_URL=postgres://…` (CI's second run), on its own
/// schema, named so CI's clean-up of `t<12 hex>_` schemas finds it.
async fn api_with(
    dir: &std::path::Path,
    accounts: tonic::transport::Channel,
    auth: tonic::transport::Channel,
) -> ContactApi {
    let storage = platform::testing::storage(dir);
    let peers = crate::behalf::Peers {
        accounts: proto::account::v1::account_service_client::AccountServiceClient::new(
            platform::grpc::Traced::new(accounts, platform::fake_peer::caller()),
        ),
        auth: proto::auth::v1::auth_service_client::AuthServiceClient::new(
            platform::grpc::Traced::new(auth, platform::fake_peer::caller()),
        ),
    };
    let state = State::open(&storage, peers, platform::cache::Cache::in_memory())
        .await
        .expect("open");
    ContactApi { state }
}

/// [`api_with`] whose account-svc reaches no customer and whose
/// auth-svc removes clients: what calls without a principal meet.
async fn api(dir: &std::path::Path) -> ContactApi {
    api_with(
        dir,
        fake_accounts(Vec::new()).await,
        fake_auth(Forgotten::default(), Default::default()).await,
    )
    .await
}

/// account-svc as a principal sees it: the customers it reaches, with
/// their rules; any other is NOT_FOUND, as account-svc answers one
/// outside the principal's subtree.
async fn fake_accounts(
    reached: Vec<(String, proto::account::v1::ContactRules)>,
) -> tonic::transport::Channel {
    use prost::Message as _;
    let reached: HashMap<_, _> = reached.into_iter().collect();
    platform::fake_peer::start::<platform::fake_peer::Accounts>(move |method, body| {
        assert_eq!(method, "GetContactRules");
        let r = proto::account::v1::GetContactRulesRequest::decode(body).expect("request");
        reached
            .get(&r.customer_id)
            .map(prost::Message::encode_to_vec)
            .ok_or_else(|| Status::not_found("customer"))
    })
    .await
}

/// The contacts whose clients auth-svc was asked to remove.
type Forgotten = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// auth-svc removing a deleted contact's clients, or failing to while
/// `down` is set.
async fn fake_auth(
    forgotten: Forgotten,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> tonic::transport::Channel {
    use prost::Message as _;
    platform::fake_peer::start::<platform::fake_peer::Auth>(move |method, body| {
        assert_eq!(method, "DeleteContactClients");
        if down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Status::unavailable("auth-svc is down"));
        }
        let r = proto::auth::v1::DeleteContactClientsRequest::decode(body).expect("request");
        forgotten.lock().expect("lock").push(r.contact_id);
        Ok(proto::auth::v1::DeleteCustomerClientsResponse {}.encode_to_vec())
    })
    .await
}

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("contact-svc-{}", platform::id::new_id()))
}

async fn create_owner(api: &ContactApi, account_id: &str) -> String {
    api.create_contact(Request::new(pb::CreateContactRequest {
        customer_id: account_id.to_owned(),
        login: format!("owner-{}", platform::id::new_id()),
        password: "secret123".into(),
        name: "Ann Owner".into(),
        email: "ann@example.com".into(),
        roles: vec!["Owner".into()],
        ..Default::default()
    }))
    .await
    .expect("created")
    .into_inner()
    .contact_id
}

fn set(
    contact_id: &str,
    customer_id: &str,
    kind: &str,
    roles: &[&str],
) -> Request<pb::SetRolesRequest> {
    Request::new(pb::SetRolesRequest {
        contact_id: contact_id.to_owned(),
        customer_id: customer_id.to_owned(),
        customer_kind: kind.to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
    })
}

async fn roles_of(api: &ContactApi, contact_id: &str, customer_id: &str) -> pb::GetRolesResponse {
    api.get_roles(Request::new(pb::GetRolesRequest {
        contact_id: contact_id.to_owned(),
        customer_id: customer_id.to_owned(),
    }))
    .await
    .expect("roles")
    .into_inner()
}

fn create_request(login: &str, culture: &str, roles: &[&str]) -> pb::CreateContactRequest {
    pb::CreateContactRequest {
        customer_id: platform::id::new_id(),
        login: login.to_owned(),
        password: "secret123".into(),
        name: "Ann Owner".into(),
        email: "ann@example.com".into(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        culture: culture.to_owned(),
        ..Default::default()
    }
}

/// A contact created on `customer_id` with `roles`; its id.
async fn create_on(api: &ContactApi, customer_id: &str, roles: &[&str]) -> String {
    api.create_contact(Request::new(pb::CreateContactRequest {
        customer_id: customer_id.to_owned(),
        ..create_request(&format!("c-{}", platform::id::new_id()), "", roles)
    }))
    .await
    .expect("created")
    .into_inner()
    .contact_id
}

async fn list(
    api: &ContactApi,
    customer_id: &str,
    skip: i64,
    take: i64,
) -> Result<pb::ListContactsResponse, Status> {
    list_after(api, customer_id, "", skip, take).await
}

async fn list_after(
    api: &ContactApi,
    customer_id: &str,
    after: &str,
    skip: i64,
    take: i64,
) -> Result<pb::ListContactsResponse, Status> {
    api.list_contacts(Request::new(pb::ListContactsRequest {
        customer_id: customer_id.to_owned(),
        skip,
        take,
        after: after.to_owned(),
    }))
    .await
    .map(Response::into_inner)
}

fn ids(list: &pb::ListContactsResponse) -> Vec<&str> {
    list.items.iter().map(|c| c.contact_id.as_str()).collect()
}

fn fields_of(err: &Status) -> Vec<String> {
    field_violations(err).into_iter().map(|(f, _)| f).collect()
}

async fn get(api: &ContactApi, contact_id: &str, customer_id: &str) -> Result<pb::Contact, Status> {
    api.get_contact(Request::new(pb::GetContactRequest {
        contact_id: contact_id.to_owned(),
        customer_id: customer_id.to_owned(),
    }))
    .await
    .map(Response::into_inner)
}

fn assign_request(
    contact_id: &str,
    from: &str,
    target: &str,
    kind: &str,
    roles: &[&str],
) -> Request<pb::AssignContactRequest> {
    Request::new(pb::AssignContactRequest {
        contact_id: contact_id.to_owned(),
        from_customer_id: from.to_owned(),
        target_customer_id: target.to_owned(),
        target_kind: kind.to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        users_max: 0,
    })
}

async fn remove(api: &ContactApi, contact_id: &str, customer_id: &str) -> Result<bool, Status> {
    api.remove_assignment(Request::new(pb::RemoveAssignmentRequest {
        contact_id: contact_id.to_owned(),
        customer_id: customer_id.to_owned(),
    }))
    .await
    .map(|r| r.into_inner().contact_deleted)
}

fn change(
    contact_id: &str,
    current: &str,
    new: &str,
    reset: bool,
) -> Request<pb::ChangePasswordRequest> {
    Request::new(pb::ChangePasswordRequest {
        contact_id: contact_id.to_owned(),
        current_password: current.to_owned(),
        new_password: new.to_owned(),
        reset,
        policy: None,
    })
}

fn assert_limit_exceeded(err: &Status, value: &str) {
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let (reason, metadata) = platform::status::reason(err).expect("error info");
    assert_eq!(reason, "LIMIT_EXCEEDED");
    assert_eq!(
        metadata.get("limit").map(String::as_str),
        Some("Iam_usersMax")
    );
    assert_eq!(metadata.get("value").map(String::as_str), Some(value));
    assert_eq!(
        err.message(),
        format!("the account's Iam_usersMax ({value}) allows no more users")
    );
}

async fn count(api: &ContactApi, ids: &[String]) -> Result<HashMap<String, i64>, Status> {
    api.count_contacts(Request::new(pb::CountContactsRequest {
        customer_ids: ids.to_vec(),
    }))
    .await
    .map(|r| r.into_inner().counts)
}
