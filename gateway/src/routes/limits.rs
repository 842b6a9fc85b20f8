//! `/accounts/{customerID}/limits` and `/partners/{customerID}/usage`: the
//! limits a customer's plan defines, the customer's own values of them, and
//! what a partner's accounts are allocated and use in sum. account-svc owns
//! every rule (a name the plan lacks, the range, the parent partner's value
//! as a cap, a partner's own limits) and scopes the customer with the
//! caller's principal (outside the caller's subtree: 404); here requests
//! are only translated. account-svc drops the customer's cached limits on
//! every change, so the next request runs under the new values.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use proto::account::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::extract::{ApiJson, ApiPath as Path, issued_id};
use crate::problem::{FieldError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_limits, create_limit, put_limit))
        .routes(routes!(put_named_limit, reset_limit))
        .routes(routes!(partner_usage))
}

/// The limit names the plans define (`GET /plans` lists each plan's own).
/// A name the customer's plan lacks is 400: partner plans have no
/// `Storage_bytesMax`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub enum LimitName {
    #[serde(rename = "Iam_usersMax")]
    IamUsersMax,
    #[serde(rename = "Storage_bytesMax")]
    StorageBytesMax,
    #[serde(rename = "Api_requestsPerMinute")]
    ApiRequestsPerMinute,
    #[serde(rename = "Api_burst")]
    ApiBurst,
}

/// One limit of the customer's plan as it is in force for the customer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Limit {
    #[schema(value_type = LimitName)]
    pub name: String,
    /// In force: the customer's own value, else the plan's default.
    pub value: i64,
    /// The plan's default.
    pub default: i64,
    /// Whether the customer has its own value.
    pub overridden: bool,
    /// What the customer uses, where the platform knows it
    /// (`Iam_usersMax`: the contacts assigned, its owner included); null
    /// otherwise.
    pub used: Option<i64>,
}

impl From<pb::Limit> for Limit {
    fn from(l: pb::Limit) -> Self {
        Self {
            name: l.name,
            value: l.value,
            default: l.default_value,
            overridden: l.overridden,
            used: l.used,
        }
    }
}

/// Every limit of the customer's plan, in the plan's order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LimitPage {
    #[serde(rename = "customerID")]
    pub customer_id: String,
    #[serde(rename = "planName")]
    pub plan_name: String,
    pub count: i64,
    pub total: i64,
    pub items: Vec<Limit>,
}

/// A customer's own value of one limit.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LimitSet {
    /// A limit of the customer's plan.
    #[serde(default)]
    #[schema(value_type = LimitName, required = true, nullable = false)]
    pub name: Option<String>,
    /// 0..=10^15 (`Iam_usersMax` at least 1: the owner counts as a user),
    /// and no more than the parent partner's value of the same limit.
    #[serde(default, deserialize_with = "crate::extract::opt_integer")]
    #[schema(
        required = true,
        nullable = false,
        minimum = 0,
        maximum = 1000000000000000i64
    )]
    pub value: Option<i64>,
}

/// A customer's own value of the limit the path names.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LimitValue {
    /// As in `LimitSet`.
    #[serde(default, deserialize_with = "crate::extract::opt_integer")]
    #[schema(
        required = true,
        nullable = false,
        minimum = 0,
        maximum = 1000000000000000i64
    )]
    pub value: Option<i64>,
}

/// A required field the body left out (or sent null). proto3 has no
/// absent integer, so a missing `value` must not reach account-svc as 0.
fn required<T>(field: &str, v: Option<T>, missing: &mut Vec<FieldError>) -> Option<T> {
    if v.is_none() {
        missing.push(FieldError {
            field: field.into(),
            message: "is required".into(),
        });
    }
    v
}

/// Permission first (a token without it learns nothing), then the id: one
/// this platform never issues names nothing, so it is 404 without asking.
fn admit(caller: &Caller, permission: &'static str, customer_id: &str) -> Result<(), Problem> {
    caller.require(permission)?;
    issued_id(customer_id)
}

async fn set(
    state: &AppState,
    caller: &Caller,
    customer_id: String,
    name: Option<String>,
    value: Option<i64>,
    create: bool,
) -> Result<Limit, Problem> {
    admit(caller, "limits:write", &customer_id)?;
    let mut missing = Vec::new();
    let name = required("name", name, &mut missing);
    let value = required("value", value, &mut missing);
    let (Some(name), Some(value)) = (name, value) else {
        return Err(Problem::invalid(missing));
    };
    let l = state
        .account
        .clone()
        .set_limit(caller.ctx.request(pb::SetLimitRequest {
            customer_id,
            name,
            value,
            create,
        }))
        .await?
        .into_inner();
    Ok(l.into())
}

/// Every limit of the customer's plan: its value in force, the plan's
/// default, whether the customer has its own value, and the usage where it
/// is known.
#[utoipa::path(get, path = "/accounts/{customerID}/limits", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)")),
    responses(
        (status = 200, description = "The limits", body = LimitPage),
        (status = 403, description = "The token lacks limits:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["limits:read"])))]
pub async fn list_limits(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<LimitPage>, Problem> {
    admit(&caller, "limits:read", &customer_id)?;
    let l = state
        .account
        .clone()
        .list_limits(caller.ctx.request(pb::ListLimitsRequest {
            customer_id,
            without_usage: false,
        }))
        .await?
        .into_inner();
    let items: Vec<Limit> = l.items.into_iter().map(Limit::from).collect();
    Ok(Json(LimitPage {
        customer_id: l.customer_id,
        plan_name: l.plan_name,
        count: items.len() as i64,
        total: items.len() as i64,
        items,
    }))
}

/// Give a customer below the caller its own value of a limit, where it has
/// none yet (else 409; `PUT` changes it). A name the plan lacks or a value
/// out of range is 400; a value above the parent partner's for the same
/// limit, or the caller's own customer, is 409.
#[utoipa::path(post, path = "/accounts/{customerID}/limits", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)")),
    request_body = LimitSet,
    responses(
        (status = 201, description = "The limit now", body = Limit),
        (status = 400, description = "Bad `name` or `value`; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks limits:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The customer has its own value already, the value is above the parent partner's, or the caller's own customer", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["limits:write"])))]
pub async fn create_limit(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<LimitSet>,
) -> Result<Response, Problem> {
    let l = set(&state, &caller, customer_id, body.name, body.value, true).await?;
    Ok((StatusCode::CREATED, Json(l)).into_response())
}

/// Set a customer's own value of a limit, whether it has one or not. A
/// name the plan lacks or a value out of range is 400; a value above the
/// parent partner's for the same limit, or the caller's own customer, is
/// 409.
#[utoipa::path(put, path = "/accounts/{customerID}/limits", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)")),
    request_body = LimitSet,
    responses(
        (status = 200, description = "The limit now", body = Limit),
        (status = 400, description = "Bad `name` or `value`; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks limits:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The value is above the parent partner's, or the caller's own customer", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["limits:write"])))]
pub async fn put_limit(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<LimitSet>,
) -> Result<Json<Limit>, Problem> {
    let l = set(&state, &caller, customer_id, body.name, body.value, false).await?;
    Ok(Json(l))
}

/// Set a customer's own value of the limit the path names, as
/// `PUT …/limits` does.
#[utoipa::path(put, path = "/accounts/{customerID}/limits/{name}", tag = "accounts",
    params(
        ("customerID" = String, Path, description = "The customer's id (an account or a partner)"),
        ("name" = LimitName, Path, description = "A limit of the customer's plan"),
    ),
    request_body = LimitValue,
    responses(
        (status = 200, description = "The limit now", body = Limit),
        (status = 400, description = "A name the plan lacks, or a bad `value`; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks limits:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The value is above the parent partner's, or the caller's own customer", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["limits:write"])))]
pub async fn put_named_limit(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<LimitValue>,
) -> Result<Json<Limit>, Problem> {
    let l = set(&state, &caller, customer_id, Some(name), body.value, false).await?;
    Ok(Json(l))
}

/// Return a customer's limit to its plan's default; one at its default
/// already stays there (200). A name the plan lacks is 400; the caller's
/// own customer is 409.
#[utoipa::path(delete, path = "/accounts/{customerID}/limits/{name}", tag = "accounts",
    params(
        ("customerID" = String, Path, description = "The customer's id (an account or a partner)"),
        ("name" = LimitName, Path, description = "A limit of the customer's plan"),
    ),
    responses(
        (status = 200, description = "The limit now, at its default", body = Limit),
        (status = 400, description = "A name the plan lacks (`name`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks limits:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller's own customer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["limits:write"])))]
pub async fn reset_limit(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, name)): Path<(String, String)>,
) -> Result<Json<Limit>, Problem> {
    admit(&caller, "limits:write", &customer_id)?;
    let l = state
        .account
        .clone()
        .reset_limit(
            caller
                .ctx
                .request(pb::ResetLimitRequest { customer_id, name }),
        )
        .await?
        .into_inner();
    Ok(Json(l.into()))
}

/// One limit summed over a partner's accounts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuotaItem {
    #[schema(value_type = LimitName)]
    pub name: String,
    /// The sum of the values in force over the accounts that have the limit.
    pub allocated: i64,
    /// What those accounts use in sum, where the platform knows it
    /// (`Iam_usersMax`: their contacts); null otherwise.
    pub used: Option<i64>,
    /// How many accounts have the limit.
    pub accounts: i64,
}

/// What a partner's accounts, at every depth below it, are allocated and
/// use per limit.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PartnerUsage {
    #[serde(rename = "customerID")]
    pub customer_id: String,
    /// Every limit the account plans define, in catalogue order.
    pub items: Vec<QuotaItem>,
}

/// Per limit of the account plans: what the partner's accounts (its own and
/// those of every partner below it) are allocated in sum, how many have the
/// limit, and what they use where that is known.
#[utoipa::path(get, path = "/partners/{customerID}/usage", tag = "partners",
    params(("customerID" = String, Path, description = "The partner's id")),
    responses(
        (status = 200, description = "The partner's quota", body = PartnerUsage),
        (status = 403, description = "The token lacks limits:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner below the caller (an account is no partner)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["limits:read"])))]
pub async fn partner_usage(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<PartnerUsage>, Problem> {
    admit(&caller, "limits:read", &customer_id)?;
    let q = state
        .account
        .clone()
        .get_quota(caller.ctx.request(pb::GetQuotaRequest { customer_id }))
        .await?
        .into_inner();
    Ok(Json(PartnerUsage {
        customer_id: q.customer_id,
        items: q
            .items
            .into_iter()
            .map(|i| QuotaItem {
                name: i.name,
                allocated: i.allocated,
                used: i.used,
                accounts: i.accounts,
            })
            .collect(),
    }))
}
