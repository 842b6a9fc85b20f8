//! An account's lifecycle: state (suspend / resume), plan, MSA acceptance.
//! Each answers at once; account-svc owns the rules.

use axum::Json;
use axum::extract::State;
use proto::account::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::wire::AccountGet;
use crate::AppState;
use crate::auth::{Caller, access_key};
use crate::extract::{ApiJson, ApiPath as Path};
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_state, set_state))
        .routes(routes!(account_plans, change_plan))
        .routes(routes!(accept_msa))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateName {
    Enabled,
    Disabled,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomerState {
    #[schema(value_type = StateName)]
    pub state: String,
}

/// Whether the customer is enabled or disabled.
#[utoipa::path(get, path = "/accounts/{customerID}/state", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id")),
    responses(
        (status = 200, description = "The state", body = CustomerState),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn get_state(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<CustomerState>, Problem> {
    caller.require("accounts:read")?;
    let c = state
        .account
        .clone()
        .get_customer(caller.ctx.request(pb::GetCustomerRequest { customer_id }))
        .await?
        .into_inner();
    Ok(Json(CustomerState { state: c.state }))
}

/// Suspend (`disabled`) or resume (`enabled`) a customer below the caller.
/// A disabled customer's subtree loses API access (403) until it is enabled;
/// setting the state it has is 409.
#[utoipa::path(post, path = "/accounts/{customerID}/state", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id")),
    request_body = CustomerState,
    responses(
        (status = 200, description = "The customer now", body = AccountGet),
        (status = 400, description = "Bad state", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already in that state, or the caller's own partner", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:write"])))]
pub async fn set_state(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<CustomerState>,
) -> Result<Json<AccountGet>, Problem> {
    caller.require("accounts:write")?;
    let c = state
        .account
        .clone()
        .set_state(caller.ctx.request(pb::SetStateRequest {
            customer_id,
            state: body.state,
        }))
        .await?
        .into_inner();
    // The customer's own tokens notice at once; its descendants' within the
    // access cache's few seconds.
    state.cache.del(&access_key(&c.customer_id)).await;
    Ok(Json(c.into()))
}

/// A plan as a customer sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomerPlan {
    pub name: String,
    #[serde(rename = "prettyName")]
    pub pretty_name: String,
    #[serde(rename = "isCurrent")]
    pub is_current: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomerPlanPage {
    pub count: i64,
    pub total: i64,
    pub items: Vec<CustomerPlan>,
}

/// For an account, the plans it may switch to (its own marked `isCurrent`);
/// for a partner, the account plans it may sell.
#[utoipa::path(get, path = "/accounts/{customerID}/plans", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id")),
    responses(
        (status = 200, description = "Plans", body = CustomerPlanPage),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn account_plans(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<CustomerPlanPage>, Problem> {
    caller.require("accounts:read")?;
    let plans = state
        .account
        .clone()
        .list_customer_plans(
            caller
                .ctx
                .request(pb::ListCustomerPlansRequest { customer_id }),
        )
        .await?
        .into_inner()
        .plans;
    let items: Vec<CustomerPlan> = plans
        .into_iter()
        .map(|p| CustomerPlan {
            name: p.name,
            pretty_name: p.pretty_name,
            is_current: p.is_current,
        })
        .collect();
    Ok(Json(CustomerPlanPage {
        count: items.len() as i64,
        total: items.len() as i64,
        items,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PlanChange {
    /// One of the plans `GET …/plans` lists.
    #[schema(min_length = 1, max_length = 50)]
    pub name: String,
}

/// Switch an account to another plan; the plan it has is 409.
#[utoipa::path(post, path = "/accounts/{customerID}/plans", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id")),
    request_body = PlanChange,
    responses(
        (status = 200, description = "The customer now", body = AccountGet),
        (status = 400, description = "Unknown plan", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already on that plan, or a partner", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:write"])))]
pub async fn change_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<PlanChange>,
) -> Result<Json<AccountGet>, Problem> {
    caller.require("accounts:write")?;
    let c = state
        .account
        .clone()
        .change_plan(caller.ctx.request(pb::ChangePlanRequest {
            customer_id,
            plan_name: body.name,
        }))
        .await?
        .into_inner();
    Ok(Json(c.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MsaAcceptance {
    /// Must be `true`.
    #[serde(rename = "isAccepted")]
    pub is_accepted: bool,
}

/// Accept the master service agreement, once; again is 409.
#[utoipa::path(post, path = "/accounts/{customerID}/msa", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id")),
    request_body = MsaAcceptance,
    responses(
        (status = 200, description = "The customer now", body = AccountGet),
        (status = 400, description = "`isAccepted` is not true", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already accepted", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:write"])))]
pub async fn accept_msa(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<MsaAcceptance>,
) -> Result<Json<AccountGet>, Problem> {
    caller.require("accounts:write")?;
    let c = state
        .account
        .clone()
        .accept_msa(caller.ctx.request(pb::AcceptMsaRequest {
            customer_id,
            is_accepted: body.is_accepted,
        }))
        .await?
        .into_inner();
    Ok(Json(c.into()))
}
