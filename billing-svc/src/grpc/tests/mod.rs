//! The BillingService API's tests, by noun ([`payments`], [`credits`],
//! [`invoices`]); the helpers and the stand-in account-svc they share
//! are here.

mod credits;
mod invoices;
mod payments;

use std::collections::HashMap;

use pb::billing_service_server::BillingService as _;
use sqlx::Row as _;
use tonic::Code;

use super::*;

const CUSTOMER: &str = "78717cfafd164deea943cc53d43c2f35";

/// Each test gets its own SQLite file, removed when the guard drops.
struct TestApi {
    api: BillingApi,
    dir: std::path::PathBuf,
}

impl Drop for TestApi {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn api() -> TestApi {
    api_with(platform::grpc::channel("http://127.0.0.1:9").expect("channel")).await
}

/// An API whose account-svc answers on `accounts`.
async fn api_with(accounts: tonic::transport::Channel) -> TestApi {
    let dir = std::env::temp_dir().join(format!("billing-svc-{}", platform::id::new_id()));
    let storage = platform::testing::sqlite(&dir);
    let accounts = proto::account::v1::account_service_client::AccountServiceClient::new(
        platform::grpc::Traced::new(accounts, platform::fake_peer::caller()),
    );
    let state = State::open(&storage, accounts, platform::cache::Cache::in_memory())
        .await
        .expect("open");
    TestApi {
        api: BillingApi { state },
        dir,
    }
}

/// An expiry two years ahead, so the tests do not age.
fn future_expiry() -> String {
    format!(
        "12/{:02}",
        (time::OffsetDateTime::now_utc().year() + 2) % 100
    )
}

/// The payment's billing contact and address as account-svc sends them:
/// the reference v1 example's, the address already refined.
fn billed() -> pb::SetupPaymentRequest {
    pb::SetupPaymentRequest {
        name: " Company name ".into(),
        phone: "12365458789".into(),
        address: Some(anaheim()),
        ..Default::default()
    }
}

fn anaheim() -> proto::common::v1::Address {
    proto::common::v1::Address {
        line1: "104 South Anaheim Boulevard".into(),
        city: "Anaheim".into(),
        state: "CA".into(),
        zip: "92805-6010".into(),
        country: "US".into(),
        ..Default::default()
    }
}

fn card_request(card_type: &str, number: &str, code: &str) -> pb::SetupPaymentRequest {
    pb::SetupPaymentRequest {
        customer_id: CUSTOMER.into(),
        payment_type: "creditCard".into(),
        card: Some(pb::Card {
            r#type: card_type.into(),
            card_number: number.into(),
            expiration_date: future_expiry(),
            security_code: code.into(),
            holder_name: "Ann Lee".into(),
            ..pb::Card::default()
        }),
        field_prefix: String::new(),
        validate_only: false,
        ..billed()
    }
}

async fn stored_rows(t: &TestApi) -> Vec<Vec<Option<String>>> {
    let rows = sqlx::query("select * from payment_method")
        .fetch_all(&t.api.state.db.pool)
        .await
        .expect("select");
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.try_get::<Option<String>, _>(i).expect("text column"))
                .collect()
        })
        .collect()
}

/// The root distributor, a partner below it and one below that.
struct Tree {
    root: String,
    partner: String,
    reseller: String,
}

impl Tree {
    fn new() -> Self {
        let id = platform::id::new_id;
        Self {
            root: id(),
            partner: id(),
            reseller: id(),
        }
    }

    /// An API whose account-svc answers GetCustomer over the tree.
    async fn api(&self) -> TestApi {
        use prost::Message as _;
        let customers: HashMap<String, account_pb::Customer> = [
            (&self.root, ""),
            (&self.partner, self.root.as_str()),
            (&self.reseller, self.partner.as_str()),
        ]
        .into_iter()
        .map(|(id, parent)| {
            let c = account_pb::Customer {
                customer_id: id.clone(),
                kind: account_pb::CustomerKind::Partner as i32,
                parent_partner_id: parent.to_owned(),
                ..Default::default()
            };
            (id.clone(), c)
        })
        .collect();
        let accounts =
            platform::fake_peer::start::<platform::fake_peer::Accounts>(move |method, body| {
                assert_eq!(method, "GetCustomer");
                let r = account_pb::GetCustomerRequest::decode(body).expect("request");
                customers
                    .get(&r.customer_id)
                    .map(prost::Message::encode_to_vec)
                    .ok_or_else(|| Status::not_found("customer"))
            })
            .await;
        api_with(accounts).await
    }

    /// The root's owner, acting through its API client.
    fn root_owner(&self) -> CallContext {
        let principal = proto::common::v1::Principal {
            client_id: "client-1".into(),
            customer_id: self.root.clone(),
            ..Default::default()
        };
        CallContext::new(Some(principal), None, None)
    }
}
