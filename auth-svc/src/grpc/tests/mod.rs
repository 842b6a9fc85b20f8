//! The AuthService API's tests, by noun ([`clients`],
//! [`access_requests`], [`tokens`], [`idempotency`]); the helpers and
//! stand-in peers they share are here.

mod access_requests;
mod clients;
mod idempotency;
mod tokens;

use pb::auth_service_server::AuthService as _;
use platform::config::Storage;
use platform::fake_peer::{self, Accounts, Contacts};
use proto::account::v1::CustomerKind;
use proto::account::v1::account_service_client::AccountServiceClient;
use proto::contact::v1::contact_service_client::ContactServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use super::*;
use crate::domain::Secret;
use crate::domain::access::{MANAGE_ALL, MANAGE_OWN};
use crate::domain::secret::{new_token, token_hash};
use crate::store::access_request::{self, AccessRequestRow};
use crate::store::client::{self, ListFilter, NewClient, Visible};
use crate::store::token::{self, NewToken};

/// A data directory of its own, removed when the test ends.
type TempDir = platform::testing::Scratch;

fn storage(dir: &TempDir) -> Storage {
    dir.sqlite()
}

/// A state on its own SQLite file, with contact-svc and account-svc
/// nowhere: a call that reaches either fails UNAVAILABLE, which is how
/// these tests see that a peer was (or was not) asked. The flows that
/// need the peers are the end-to-end tests' to cover.
async fn api(dir: &TempDir) -> AuthApi {
    let nowhere = || platform::grpc::channel("http://127.0.0.1:1").expect("channel");
    api_with(dir, nowhere(), nowhere()).await
}

/// A state whose peers answer on these channels.
async fn api_with(dir: &TempDir, accounts: Channel, contacts: Channel) -> AuthApi {
    let signer = platform::fake_peer::caller();
    let state = State::open(
        &storage(dir),
        platform::cache::Cache::in_memory(),
        ContactServiceClient::new(platform::grpc::Traced::new(contacts, signer.clone())),
        AccountServiceClient::new(platform::grpc::Traced::new(accounts, signer)),
    )
    .await
    .expect("open");
    AuthApi { state }
}

/// A client written through the store, as CreateClient would after its
/// peers agreed.
async fn put_client(
    api: &AuthApi,
    contact_id: &str,
    customer_id: &str,
    customer_path: &str,
) -> (ClientRow, Secret) {
    let secret = Secret::generate();
    let client_id = platform::id::new_id();
    let row = client::insert(
        &api.state.db,
        &NewClient {
            client_id: &client_id,
            contact_id,
            customer_id,
            customer_path,
            name: "ci",
            secret_hmac: &api.state.key.secret_hmac(secret.expose()),
        },
    )
    .await
    .expect("insert");
    (row, secret)
}

/// Every stored client of a contact, read from the store.
async fn stored_clients(api: &AuthApi, contact_id: &str) -> Vec<ClientRow> {
    let mine = ListFilter {
        visible: Visible::Own(contact_id),
        contact_id: "",
        customer_id: "",
    };
    client::list(&api.state.db, &mine, "", 0, 1000)
        .await
        .expect("list")
}

async fn put_token(api: &AuthApi, client: &ClientRow, scopes: &str) -> String {
    let access_token = new_token();
    let now = platform::id::unix_now();
    let issued = token::issue(
        &api.state.db,
        &NewToken {
            token_hash: &token_hash(&access_token),
            client_id: &client.client_id,
            contact_id: &client.contact_id,
            customer_id: &client.customer_id,
            roles: "AG_PRIVATELABELOWNERS",
            scopes,
            issued_at: now,
            expires_at: now + 60,
        },
    )
    .await
    .expect("issue");
    assert!(issued);
    access_token
}

fn principal(contact_id: &str, customer_id: &str, scopes: &[&str]) -> Principal {
    Principal {
        client_id: platform::id::new_id(),
        contact_id: contact_id.to_owned(),
        customer_id: customer_id.to_owned(),
        roles: vec!["AG_PRIVATELABELOWNERS".into()],
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// A request carrying `p` the way the gateway sends it.
fn acting<T>(p: &Principal, message: T) -> Request<T> {
    CallContext::new(Some(p.clone()), None, None).request(message)
}

fn verify(api: &AuthApi, client_id: &str, secret: &str) -> impl Future<Output = bool> {
    let req = Request::new(pb::VerifyClientRequest {
        client_id: client_id.to_owned(),
        client_secret: secret.to_owned(),
    });
    async move { api.verify_client(req).await.is_ok() }
}

fn fields(err: &Status) -> Vec<String> {
    platform::status::field_violations(err)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

/// A root distributor and a partner below it, each with a contact that
/// holds AG_PRIVATELABELOWNERS there; contact-svc knows no one else.
struct Tree {
    root: String,
    partner: String,
    root_owner: String,
    partner_owner: String,
}

impl Tree {
    fn new() -> Self {
        let id = platform::id::new_id;
        Self {
            root: id(),
            partner: id(),
            root_owner: id(),
            partner_owner: id(),
        }
    }

    /// account-svc's GetCustomer and contact-svc's GetRoles over it.
    async fn api(&self, dir: &TempDir) -> AuthApi {
        use prost::Message as _;
        let customers: std::collections::HashMap<String, Customer> = [
            Customer {
                customer_id: self.root.clone(),
                kind: CustomerKind::Partner as i32,
                path: format!("/{}/", self.root),
                ..Default::default()
            },
            Customer {
                customer_id: self.partner.clone(),
                kind: CustomerKind::Partner as i32,
                parent_partner_id: self.root.clone(),
                path: format!("/{}/{}/", self.root, self.partner),
                ..Default::default()
            },
        ]
        .into_iter()
        .map(|c| (c.customer_id.clone(), c))
        .collect();
        let accounts = fake_peer::start::<Accounts>(move |method, body| {
            assert_eq!(method, "GetCustomer");
            let r = GetCustomerRequest::decode(body).expect("request");
            customers
                .get(&r.customer_id)
                .map(prost::Message::encode_to_vec)
                .ok_or_else(|| Status::not_found("customer"))
        })
        .await;
        let owners = [
            (self.root_owner.clone(), self.root.clone()),
            (self.partner_owner.clone(), self.partner.clone()),
        ];
        let contacts = fake_peer::start::<Contacts>(move |method, body| {
            assert_eq!(method, "GetRoles");
            let r = GetRolesRequest::decode(body).expect("request");
            let owner = owners.contains(&(r.contact_id, r.customer_id));
            Ok(GetRolesResponse {
                roles: if owner {
                    vec!["AG_PRIVATELABELOWNERS".into()]
                } else {
                    Vec::new()
                },
                permissions: Vec::new(),
            }
            .encode_to_vec())
        })
        .await;
        api_with(dir, accounts, contacts).await
    }
}
