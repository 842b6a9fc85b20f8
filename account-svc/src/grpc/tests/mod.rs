//! The API's unit tests, one file per noun, each test on a fresh SQLite
//! file. The peers are lazy channels to nowhere: what needs contact-svc or
//! billing-svc running is in the end-to-end tests.

mod company;
mod failed_setups;
mod idempotency_key;
mod lifecycle;
mod limits;
mod settings;

use platform::context::CallContext;
use platform::idempotency::{self, Claim, Key};
use platform::status::field_violations;
use proto::account::v1 as pb;
use proto::account::v1::account_service_server::AccountService as _;
use tonic::{Code, Request, Response, Status};

use crate::domain::AccountName;
use crate::domain::failed_setup::{self, Refused, SetupRefusal};
use crate::domain::limit;
use crate::domain::plan::{self, USERS_MAX};
use crate::grpc::{AccountApi, to_pb};
use crate::provisioning::{Kept, Origin, refusal};
use crate::store::customer::{self, CustomerRow};
use crate::store::failed_setup::{self as store_failed_setup, FailedSetupRow};
use crate::store::limit as store_limit;
use crate::{State, recovery};

/// A fresh SQLite file per test; the peers are lazy channels to a port
/// nothing listens on, since the calls tested here never reach them.
async fn api() -> (AccountApi, platform::testing::Scratch) {
    let dir = platform::testing::Scratch::new();
    let storage = dir.sqlite();
    let peers = crate::Peers::connect(
        "http://127.0.0.1:1",
        "http://127.0.0.1:1",
        "http://127.0.0.1:1",
        &platform::identity::Signer::generate("account-svc")
            .expect("key")
            .0,
    )
    .expect("peers");
    let state = State::open(&storage, peers, platform::cache::Cache::in_memory())
        .await
        .expect("state");
    (AccountApi { state }, dir)
}

async fn insert_active(api: &AccountApi, kind: &str, parent: Option<&CustomerRow>) -> CustomerRow {
    let id = platform::id::new_id();
    let row = CustomerRow {
        customer_id: id.clone(),
        kind: kind.into(),
        partner_program: if kind == "partner" { "partner" } else { "" }.into(),
        // The random tail: the head is the creation time, which rows
        // inserted within one millisecond share.
        user_name: id[17..].into(),
        parent_id: parent.map(|p| p.customer_id.clone()),
        path: format!("{}{id}/", parent.map_or("/", |p| p.path.as_str())),
        plan_name: if kind == "partner" {
            plan::DEFAULT_PARTNER_PLAN
        } else {
            "starter"
        }
        .into(),
        programs: "Email".into(),
        status: "provisioning".into(),
        state: "enabled".into(),
        company_name: "Acme".into(),
        company_phone: String::new(),
        address_line1: "1 Main St".into(),
        address_line2: String::new(),
        address_line3: String::new(),
        city: "Paris".into(),
        address_state: String::new(),
        zip: String::new(),
        country: "FR".into(),
        options: "{}".into(),
        owner_contact_id: platform::id::new_id(),
        created_at: String::new(),
        company_culture: String::new(),
        vat_number: String::new(),
        msa_accepted_at: String::new(),
        updated_at: String::new(),
    };
    customer::insert_provisioning(&api.state.db, &row)
        .await
        .expect("insert");
    let mut tx = api.state.db.pool.begin().await.expect("begin");
    assert!(customer::activate(&mut tx, &id).await.expect("activate"));
    tx.commit().await.expect("commit");
    row
}

/// A request as the gateway sends it for a principal whose home is `home`.
fn as_caller<T>(home: &CustomerRow, message: T) -> Request<T> {
    let principal = proto::common::v1::Principal {
        customer_id: home.customer_id.clone(),
        ..Default::default()
    };
    CallContext::new(Some(principal), None, None).request(message)
}

fn fields(status: &Status) -> Vec<String> {
    field_violations(status)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

async fn change_plan(
    api: &AccountApi,
    customer_id: &str,
    plan_name: &str,
) -> Result<pb::Customer, Status> {
    api.change_plan(Request::new(pb::ChangePlanRequest {
        customer_id: customer_id.into(),
        plan_name: plan_name.into(),
    }))
    .await
    .map(Response::into_inner)
}

async fn rules(api: &AccountApi, c: &CustomerRow) -> pb::ContactRules {
    api.get_contact_rules(Request::new(pb::GetContactRulesRequest {
        customer_id: c.customer_id.clone(),
    }))
    .await
    .expect("rules")
    .into_inner()
}

/// A create request for an account, paying by `card_number`.
fn account_request(card_number: &str) -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        account_name: "acme".into(),
        programs: vec!["account".into()],
        plan_name: "starter".into(),
        owner: Some(pb::Owner {
            login: "owner".into(),
            password: "Zq8!unique-pass".into(),
            name: "Owner".into(),
            email: "owner@example.com".into(),
            ..Default::default()
        }),
        payment: Some(pb::Payment {
            r#type: "creditCard".into(),
            credit_card: Some(pb::CreditCard {
                r#type: "VISA".into(),
                card_number: card_number.into(),
                expiration_date: "12/30".into(),
                security_code: "7391".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn set_request(c: &CustomerRow, name: &str, value: i64, create: bool) -> pb::SetLimitRequest {
    pb::SetLimitRequest {
        customer_id: c.customer_id.clone(),
        name: name.into(),
        value,
        create,
    }
}

async fn set_limit(
    api: &AccountApi,
    c: &CustomerRow,
    name: &str,
    value: i64,
    create: bool,
) -> Result<pb::Limit, Status> {
    api.set_limit(Request::new(set_request(c, name, value, create)))
        .await
        .map(Response::into_inner)
}
