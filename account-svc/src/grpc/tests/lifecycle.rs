//! State, plan, MSA and access.

use super::*;

async fn set_state(
    api: &AccountApi,
    customer_id: &str,
    state: &str,
) -> Result<pb::Customer, Status> {
    api.set_state(Request::new(pb::SetStateRequest {
        customer_id: customer_id.into(),
        state: state.into(),
    }))
    .await
    .map(Response::into_inner)
}

async fn access(api: &AccountApi, customer_id: &str) -> Result<pb::Access, Status> {
    api.get_access(Request::new(pb::GetAccessRequest {
        customer_id: customer_id.into(),
    }))
    .await
    .map(Response::into_inner)
}

async fn accept_msa(
    api: &AccountApi,
    customer_id: &str,
    is_accepted: bool,
) -> Result<pb::Customer, Status> {
    api.accept_msa(Request::new(pb::AcceptMsaRequest {
        customer_id: customer_id.into(),
        is_accepted,
    }))
    .await
    .map(Response::into_inner)
}

#[tokio::test]
async fn set_state_refuses_the_state_it_has_and_bad_states() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let partner = insert_active(&api, "partner", Some(&root)).await;
    let id = partner.customer_id.as_str();

    let same = set_state(&api, id, "enabled").await.expect_err("same");
    assert_eq!(same.code(), Code::FailedPrecondition);
    assert_eq!(same.message(), "the partner is already enabled");

    let bad = set_state(&api, id, "paused").await.expect_err("bad");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(fields(&bad), ["state"]);

    let root_off = set_state(&api, &root.customer_id, "disabled")
        .await
        .expect_err("root");
    assert_eq!(root_off.code(), Code::FailedPrecondition);

    let own = api
        .set_state(as_caller(
            &partner,
            pb::SetStateRequest {
                customer_id: id.into(),
                state: "disabled".into(),
            },
        ))
        .await
        .expect_err("own home");
    assert_eq!(own.code(), Code::FailedPrecondition);
    assert_eq!(own.message(), "a customer's state is changed by its parent");

    let disabled = set_state(&api, id, "disabled").await.expect("disable");
    assert_eq!(disabled.state, "disabled");
    let again = set_state(&api, id, "disabled").await.expect_err("again");
    assert_eq!(again.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn a_disabled_ancestor_closes_access_for_its_subtree() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let partner = insert_active(&api, "partner", Some(&root)).await;
    let account = insert_active(&api, "account", Some(&partner)).await;
    let sibling = insert_active(&api, "partner", Some(&root)).await;
    api.update_settings(Request::new(pb::UpdateSettingsRequest {
        customer_id: partner.customer_id.clone(),
        support_email: None,
        default_culture: None,
        api_allowed_networks: Some(pb::Networks {
            cidrs: vec!["10.0.0.0/8".into()],
        }),
        ..Default::default()
    }))
    .await
    .expect("networks");

    let open = access(&api, &account.customer_id).await.expect("access");
    assert!(open.enabled);
    assert!(open.api_allowed_networks.is_empty());
    let p = access(&api, &partner.customer_id).await.expect("access");
    assert_eq!(p.api_allowed_networks, ["10.0.0.0/8"]);

    set_state(&api, &partner.customer_id, "disabled")
        .await
        .expect("disable");
    assert!(
        !access(&api, &account.customer_id)
            .await
            .expect("access")
            .enabled
    );
    assert!(
        !access(&api, &partner.customer_id)
            .await
            .expect("access")
            .enabled
    );
    assert!(
        access(&api, &root.customer_id)
            .await
            .expect("access")
            .enabled
    );
    assert!(
        access(&api, &sibling.customer_id)
            .await
            .expect("access")
            .enabled
    );

    set_state(&api, &partner.customer_id, "enabled")
        .await
        .expect("enable");
    assert!(
        access(&api, &account.customer_id)
            .await
            .expect("access")
            .enabled
    );

    let unknown = access(&api, &platform::id::new_id())
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn change_plan_switches_and_refuses_the_same_or_an_unknown_plan() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&partner)).await;
    let id = account.customer_id.as_str();

    let same = change_plan(&api, id, "starter").await.expect_err("same");
    assert_eq!(same.code(), Code::FailedPrecondition);

    let unknown = change_plan(&api, id, "gold").await.expect_err("unknown");
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert_eq!(fields(&unknown), ["name"]);

    let changed = change_plan(&api, id, "business").await.expect("change");
    assert_eq!(changed.plan_name, "business");
    let read = api
        .get_customer(Request::new(pb::GetCustomerRequest {
            customer_id: id.into(),
        }))
        .await
        .expect("read")
        .into_inner();
    assert_eq!(read.plan_name, "business");

    let partner_plan = change_plan(&api, &partner.customer_id, "starter")
        .await
        .expect_err("partner");
    assert_eq!(partner_plan.code(), Code::FailedPrecondition);
    assert!(
        partner_plan
            .message()
            .starts_with("partners are on partner plans")
    );
}

#[tokio::test]
async fn msa_is_accepted_once_only() {
    let (api, _dir) = api().await;
    let partner = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&partner)).await;
    let id = account.customer_id.as_str();

    let declined = accept_msa(&api, id, false).await.expect_err("false");
    assert_eq!(declined.code(), Code::InvalidArgument);
    assert_eq!(fields(&declined), ["isAccepted"]);

    let accepted = accept_msa(&api, id, true).await.expect("accept");
    assert!(accepted.msa_accepted);
    assert!(!accepted.msa_accepted_at.is_empty());

    let again = accept_msa(&api, id, true).await.expect_err("twice");
    assert_eq!(again.code(), Code::FailedPrecondition);
    let read = api
        .get_customer(Request::new(pb::GetCustomerRequest {
            customer_id: id.into(),
        }))
        .await
        .expect("read")
        .into_inner();
    assert_eq!(read.msa_accepted_at, accepted.msa_accepted_at);
}

#[tokio::test]
async fn a_plan_change_shows_in_the_totals_of_plan_filtered_lists_at_once() {
    let (api, _dir) = api().await;
    let root = insert_active(&api, "partner", None).await;
    let account = insert_active(&api, "account", Some(&root)).await;
    let total = |plan: &str| {
        let api = &api;
        let message = pb::ListCustomersRequest {
            plan_name: plan.into(),
            ..Default::default()
        };
        async move {
            api.list_customers(Request::new(message))
                .await
                .expect("list")
                .into_inner()
                .total
        }
    };
    assert_eq!((total("starter").await, total("business").await), (1, 0));
    change_plan(&api, &account.customer_id, "business")
        .await
        .expect("change");
    assert_eq!((total("starter").await, total("business").await), (0, 1));
}
