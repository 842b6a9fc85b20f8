//! Internal gRPC callers prove who they are (issue 14, DESIGN §5): every
//! service port refuses a call without a service token of an admitted
//! caller, believes a principal only on the gateway's assertion, keeps a
//! product identity to its own methods, and lists only what it serves.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use platform::identity::{Role, Signer};
use proto::account::v1::account_service_client::AccountServiceClient;
use proto::auth::v1::auth_service_client::AuthServiceClient;
use proto::billing::v1::billing_service_client::BillingServiceClient;
use proto::common::v1::Principal;
use proto::contact::v1::contact_service_client::ContactServiceClient;
use tests::{Svc, TestApp};
use tonic::Code;
use tonic::transport::Channel;

async fn plain(app: &TestApp, svc: Svc) -> Channel {
    Channel::from_shared(app.stack.service_url(svc))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// One read on each service, through whatever channel `via` makes.
async fn one_call_each<T>(app: &TestApp, via: impl Fn(Svc) -> T) -> Vec<(Svc, tonic::Status)>
where
    T: tonic::client::GrpcService<tonic::body::Body> + Clone,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let root = app.root_id.clone();
    vec![
        (
            Svc::Account,
            AccountServiceClient::new(via(Svc::Account))
                .get_customer(proto::account::v1::GetCustomerRequest {
                    customer_id: root.clone(),
                })
                .await
                .unwrap_err(),
        ),
        (
            Svc::Contact,
            ContactServiceClient::new(via(Svc::Contact))
                .list_roles(proto::contact::v1::ListRolesRequest::default())
                .await
                .unwrap_err(),
        ),
        (
            Svc::Billing,
            BillingServiceClient::new(via(Svc::Billing))
                .get_credits(proto::billing::v1::GetCreditsRequest {
                    customer_id: root.clone(),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
        (
            Svc::Auth,
            AuthServiceClient::new(via(Svc::Auth))
                .list_clients(proto::auth::v1::ListClientsRequest {
                    customer_id: root.clone(),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
    ]
}

#[tokio::test]
async fn a_call_without_service_credentials_is_unauthenticated_on_every_port() {
    let app = TestApp::spawn().await;
    let mut channels = std::collections::HashMap::new();
    for svc in Svc::ALL {
        channels.insert(svc, plain(&app, svc).await);
    }
    for (svc, status) in one_call_each(&app, |s| channels[&s].clone()).await {
        assert_eq!(status.code(), Code::Unauthenticated, "{svc:?}: {status:?}");
    }
    // A key nobody admitted, even under a known name, fares the same.
    let (stranger, _) = Signer::generate("gateway").unwrap();
    let via = |s: Svc| platform::grpc::peer(&app.stack.service_url(s), &stranger).unwrap();
    for (svc, status) in one_call_each(&app, via).await {
        assert_eq!(status.code(), Code::Unauthenticated, "{svc:?}: {status:?}");
        assert!(status.message().contains("bad signature"), "{status:?}");
    }
}

/// The same service token sent to another service is refused: it names
/// its target.
#[tokio::test]
async fn a_token_for_one_service_is_refused_by_another() {
    let app = TestApp::spawn().await;
    let token = app
        .stack
        .signer("bootstrap")
        .token("partner.billing.v1.BillingService");
    let mut req = tonic::Request::new(proto::account::v1::GetCustomerRequest {
        customer_id: app.root_id.clone(),
    });
    req.metadata_mut()
        .insert("x-service-token", token.parse().unwrap());
    let status = AccountServiceClient::new(plain(&app, Svc::Account).await)
        .get_customer(req)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
}

/// A principal is believed from the gateway only: a service that sends
/// one of its own making (signing it itself) is refused, and so is a
/// principal with no assertion at all.
#[tokio::test]
async fn a_principal_is_believed_only_on_the_gateways_assertion() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let me: serde_json::Value = app
        .http
        .get(app.at("/v1/api/me"))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(me.is_object(), "{me}");
    let principal = Principal {
        client_id: app.root_client.0.clone(),
        customer_id: app.root_id.clone(),
        roles: vec!["owner".into()],
        ..Default::default()
    };
    let ctx = platform::context::CallContext::new(Some(principal), None, None);
    let get = || proto::account::v1::GetCustomerRequest {
        customer_id: app.root_id.clone(),
    };
    // billing-svc may call GetCustomer, but not for a principal it made up.
    let as_billing = platform::grpc::peer(
        &app.stack.service_url(Svc::Account),
        app.stack.signer("billing-svc"),
    )
    .unwrap();
    let status = AccountServiceClient::new(as_billing.clone())
        .get_customer(ctx.request(get()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert!(status.message().contains("may not assert"), "{status:?}");
    // Acting as itself it may.
    AccountServiceClient::new(as_billing)
        .get_customer(ctx.internal().request(get()))
        .await
        .unwrap();
    // The gateway's own assertion is believed.
    let as_gateway = platform::grpc::peer(
        &app.stack.service_url(Svc::Account),
        app.stack.signer("gateway"),
    )
    .unwrap();
    AccountServiceClient::new(as_gateway)
        .get_customer(ctx.request(get()))
        .await
        .unwrap();
}

/// A service is admitted to the methods its peer's policy lists for it.
#[tokio::test]
async fn a_service_calls_only_the_methods_its_peer_admits_it_to() {
    let app = TestApp::spawn().await;
    let as_auth = platform::grpc::peer(
        &app.stack.service_url(Svc::Account),
        app.stack.signer("auth-svc"),
    )
    .unwrap();
    let status = AccountServiceClient::new(as_auth)
        .list_customers(proto::account::v1::ListCustomersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn a_product_identity_reports_usage_but_cannot_create_accounts() {
    let (product, _) = Signer::generate("storage-reporter").unwrap();
    let app = TestApp::spawn_admitting(vec![(
        product.name().to_owned(),
        Role::Product,
        product.public_key(),
    )])
    .await;
    let as_product = |svc| platform::grpc::peer(&app.stack.service_url(svc), &product).unwrap();
    let status = AccountServiceClient::new(as_product(Svc::Account))
        .create_customer(proto::account::v1::CreateCustomerRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    // Its own method is admitted: what comes back is the service's verdict
    // on the (empty) report, not a refusal of the caller.
    let answer = BillingServiceClient::new(as_product(Svc::Billing))
        .record_usage(proto::billing::v1::RecordUsageRequest::default())
        .await;
    if let Err(status) = answer {
        assert!(
            !matches!(
                status.code(),
                Code::PermissionDenied | Code::Unauthenticated
            ),
            "{status:?}"
        );
    }
    let status = ContactServiceClient::new(as_product(Svc::Contact))
        .list_roles(proto::contact::v1::ListRolesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

/// What one reflection version (`v1` or `v1alpha`: the same messages in
/// two packages) lists on a port, sorted.
macro_rules! listed {
    ($version:ident, $channel:expr) => {{
        use tonic_reflection::pb::$version::ServerReflectionRequest;
        use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = ServerReflectionClient::new($channel)
            .server_reflection_info(tokio_stream::iter([req]))
            .await
            .unwrap()
            .into_inner();
        let answer = answers.message().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("{answer:?}")
        };
        let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        names.sort();
        names
    }};
}

/// Each port lists exactly its own service beside health and reflection,
/// under both reflection versions, and answers health without a token.
#[tokio::test]
async fn each_port_lists_only_what_it_serves_under_both_reflection_versions() {
    let app = TestApp::spawn().await;
    for (svc, name) in [
        (Svc::Account, "partner.account.v1.AccountService"),
        (Svc::Contact, "partner.contact.v1.ContactService"),
        (Svc::Billing, "partner.billing.v1.BillingService"),
        (Svc::Auth, "partner.auth.v1.AuthService"),
    ] {
        let mut expected = vec![
            "grpc.health.v1.Health".to_owned(),
            "grpc.reflection.v1.ServerReflection".to_owned(),
            "grpc.reflection.v1alpha.ServerReflection".to_owned(),
            name.to_owned(),
        ];
        expected.sort();
        let channel = plain(&app, svc).await;
        assert_eq!(listed!(v1, channel.clone()), expected, "{svc:?} v1");
        assert_eq!(
            listed!(v1alpha, channel.clone()),
            expected,
            "{svc:?} v1alpha"
        );
        let health = tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest {
                service: name.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(health.status, 1, "{svc:?} serving");
    }
}
