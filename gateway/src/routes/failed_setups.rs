//! v2's failed setups: creates the card processor refused for a blacklisted
//! card or failed fraud screening, kept (without card number, security code
//! or password) so they can be restored with another payment.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, extract::State};
use proto::account::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::wire::{AccountGetV2, PaymentV2};
use crate::AppState;
use crate::auth::Caller;
use crate::extract::{ApiJson, ApiPath as Path, ApiQuery, paging};
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_failed_setups))
        .routes(routes!(restore_failed_setup))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedSetup {
    #[serde(rename = "failedSetupID")]
    pub failed_setup_id: String,
    #[serde(rename = "parentPartnerID")]
    pub parent_partner_id: String,
    pub account_name: String,
    pub plan_name: String,
    /// `blacklisted` or `fraud_suspected`.
    pub reason: String,
    /// The processor's code and message.
    pub code: String,
    pub message: String,
    /// The refused card's brand and last four digits (nothing more is kept).
    pub brand: String,
    pub last4: String,
    /// `open` or `restored`.
    pub status: String,
    /// The customer a restore created.
    #[serde(
        rename = "customerID",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub customer_id: Option<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub restored_at: Option<String>,
}

impl From<pb::FailedSetup> for FailedSetup {
    fn from(f: pb::FailedSetup) -> Self {
        let some = |s: String| Some(s).filter(|s| !s.is_empty());
        Self {
            failed_setup_id: f.failed_setup_id,
            parent_partner_id: f.parent_partner_id,
            account_name: f.account_name,
            plan_name: f.plan_name,
            reason: f.reason,
            code: f.code,
            message: f.message,
            brand: f.brand,
            last4: f.last4,
            status: f.status,
            customer_id: some(f.customer_id),
            created_at: f.created_at,
            restored_at: some(f.restored_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FailedSetupPage {
    /// Items on this page.
    pub count: i64,
    /// Failed setups below the caller, on every page.
    pub total: i64,
    pub items: Vec<FailedSetup>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(
        rename = "nextCursor",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items to skip (default 0), after `after` when it is given. At most
    /// 10000 (more answers 400): walk deeper pages with `after`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10000)]
    pub skip: Option<String>,
    /// Items per page: 1..=1000, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub take: Option<String>,
    /// The `nextCursor` of the previous page (keyset paging): the page
    /// starts right after it, however many were kept meanwhile.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub after: Option<String>,
}

/// The failed setups below the caller, newest first. Walk with `after`
/// (each page's `nextCursor`) to see each once while new ones are kept.
#[utoipa::path(get, path = "/accounts/failedSetups", tag = "accounts", params(PageQuery),
    responses(
        (status = 200, description = "Failed setups", body = FailedSetupPage),
        (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn list_failed_setups(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<FailedSetupPage>, Problem> {
    caller.require("accounts:read")?;
    if q.after.as_deref().is_some_and(|v| !platform::id::is_id(v)) {
        return Err(Problem::field(
            "after",
            "is not a cursor this API issued; pass the nextCursor of the previous page",
        ));
    }
    let (skip, take) = paging(q.skip.as_deref(), q.take.as_deref())?;
    let page = state
        .account
        .clone()
        .list_failed_setups(caller.ctx.request(pb::ListFailedSetupsRequest {
            skip,
            take,
            after: q.after.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    let items: Vec<FailedSetup> = page.items.into_iter().map(FailedSetup::from).collect();
    Ok(Json(FailedSetupPage {
        count: items.len() as i64,
        total: page.total,
        items,
        next_cursor: Some(page.next_cursor).filter(|c| !c.is_empty()),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Restore {
    /// The corrected payment.
    #[schema(required = true, nullable = false)]
    pub payment: Option<PaymentV2>,
    /// The owner's password: a failed setup keeps no secret, so it is asked again.
    #[schema(required = true, nullable = false, min_length = 6, max_length = 128, format = Password)]
    pub owner_password: Option<String>,
}

/// Retry a failed setup with a corrected payment: creates the account and
/// closes the setup. A restored setup is 409.
#[utoipa::path(post, path = "/accounts/failedSetups/{failedSetupID}/restore", tag = "accounts",
    params(("failedSetupID" = String, Path, description = "The failed setup's id")),
    request_body = Restore,
    responses(
        (status = 201, description = "The account, created", body = AccountGetV2),
        (status = 400, description = "Bad payment or password", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such failed setup below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already restored, the name was taken since, or the card was refused again", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; nothing was created", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:write"])))]
pub async fn restore_failed_setup(
    State(state): State<AppState>,
    caller: Caller,
    Path(failed_setup_id): Path<String>,
    ApiJson(body): ApiJson<Restore>,
) -> Result<Response, Problem> {
    caller.require("accounts:write")?;
    let created = state
        .account
        .clone()
        .restore_failed_setup(caller.ctx.request(pb::RestoreFailedSetupRequest {
            failed_setup_id,
            payment: body.payment.map(PaymentV2::into_pb),
            owner_password: body.owner_password.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(AccountGetV2::from(created))).into_response())
}
