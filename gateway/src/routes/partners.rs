//! `/partners/{customerID}/…`: API access requests (auth-svc) and partner
//! settings (account-svc).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use proto::account::v1 as account;
use proto::auth::v1 as auth;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::wire::Culture;
use crate::AppState;
use crate::auth::{Caller, access_key};
use crate::extract::{ApiJson, ApiPath as Path, ApiQuery, paging};
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_access, request_api_access))
        .routes(routes!(approve_api_access))
        .routes(routes!(reject_api_access))
        .routes(routes!(get_settings, put_settings))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiAccess {
    #[serde(rename = "requestID")]
    pub request_id: String,
    #[serde(rename = "customerID")]
    pub customer_id: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    #[serde(rename = "contactIDs")]
    pub contact_ids: Vec<String>,
    /// The contact that filed the request.
    #[serde(rename = "requestedBy")]
    pub requested_by: String,
    /// The contact that approved or rejected it.
    #[serde(rename = "decidedBy", skip_serializing_if = "Option::is_none", default)]
    pub decided_by: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    #[serde(rename = "decidedAt", skip_serializing_if = "Option::is_none", default)]
    pub decided_at: Option<String>,
}

impl From<auth::AccessRequest> for ApiAccess {
    fn from(r: auth::AccessRequest) -> Self {
        let some = |s: String| Some(s).filter(|s| !s.is_empty());
        Self {
            request_id: r.request_id,
            customer_id: r.customer_id,
            status: r.status,
            contact_ids: r.contact_ids,
            requested_by: r.requested_by,
            decided_by: some(r.decided_by),
            created_at: r.created_at,
            decided_at: some(r.decided_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiAccessPage {
    /// Items on this page.
    pub count: i64,
    /// The partner's requests, on every page.
    pub total: i64,
    pub items: Vec<ApiAccess>,
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
pub struct ApiAccessQuery {
    /// Items to skip (default 0), after `after` when it is given. At most
    /// 10000 (more answers 400): walk deeper pages with `after`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10000)]
    pub skip: Option<String>,
    /// Items per page: 1..=1000, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub take: Option<String>,
    /// The `nextCursor` of the previous page (keyset paging). Opaque: auth-svc
    /// judges it, and one it did not issue answers 400 naming `after`.
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApiAccessCreate {
    /// Contacts of the partner that should get API access (1..=50).
    #[serde(rename = "contactIDs", default)]
    #[schema(min_items = 1, max_items = 50)]
    pub contact_ids: Vec<String>,
}

/// Ask for API access for a partner's contacts. The partner's parent may
/// file it on the partner's behalf; an owner of an ancestor approves it.
#[utoipa::path(post, path = "/partners/{customerID}/apiAccess", tag = "partners",
    params(("customerID" = String, Path, description = "The partner's id")),
    request_body = ApiAccessCreate,
    responses(
        (status = 201, description = "Filed, pending", body = ApiAccess),
        (status = 400, description = "Bad contact list", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks clients:manage-all", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The customer is not a partner that can ask", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["clients:manage-all"])))]
pub async fn request_api_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<ApiAccessCreate>,
) -> Result<Response, Problem> {
    caller.require("clients:manage-all")?;
    let created = state
        .auth
        .clone()
        .request_api_access(caller.ctx.request(auth::RequestApiAccessRequest {
            customer_id,
            contact_ids: body.contact_ids,
        }))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(ApiAccess::from(created))).into_response())
}

/// A partner's API access requests, newest first.
#[utoipa::path(get, path = "/partners/{customerID}/apiAccess", tag = "partners",
    params(("customerID" = String, Path, description = "The partner's id"), ApiAccessQuery),
    responses(
        (status = 200, description = "Requests", body = ApiAccessPage),
        (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks clients:manage-own and clients:manage-all", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["clients:manage-own"])))]
pub async fn list_api_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiQuery(q): ApiQuery<ApiAccessQuery>,
) -> Result<Json<ApiAccessPage>, Problem> {
    caller.require_any(&["clients:manage-own", "clients:manage-all"])?;
    let (skip, take) = paging(q.skip.as_deref(), q.take.as_deref())?;
    let page = state
        .auth
        .clone()
        .list_api_access(caller.ctx.request(auth::ListApiAccessRequest {
            customer_id,
            skip,
            take,
            after: q.after.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    let items: Vec<ApiAccess> = page.requests.into_iter().map(ApiAccess::from).collect();
    Ok(Json(ApiAccessPage {
        count: items.len() as i64,
        total: page.total,
        items,
        next_cursor: Some(page.next_cursor).filter(|c| !c.is_empty()),
    }))
}

async fn decide(
    state: AppState,
    caller: Caller,
    customer_id: String,
    request_id: String,
    approve: bool,
) -> Result<Json<ApiAccess>, Problem> {
    caller.require("clients:manage-all")?;
    let decided = state
        .auth
        .clone()
        .decide_api_access(caller.ctx.request(auth::DecideApiAccessRequest {
            customer_id,
            request_id,
            approve,
        }))
        .await?
        .into_inner();
    Ok(Json(decided.into()))
}

/// Approve a pending request (an owner of an ancestor partner only).
#[utoipa::path(post, path = "/partners/{customerID}/apiAccess/{requestID}/approve", tag = "partners",
    params(("customerID" = String, Path, description = "The partner's id"), ("requestID" = String, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Approved", body = ApiAccess),
        (status = 403, description = "Not an owner of an ancestor partner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner or request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["clients:manage-all"])))]
pub async fn approve_api_access(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, request_id)): Path<(String, String)>,
) -> Result<Json<ApiAccess>, Problem> {
    decide(state, caller, customer_id, request_id, true).await
}

/// Reject a pending request; final for that request (a new one may be filed).
#[utoipa::path(post, path = "/partners/{customerID}/apiAccess/{requestID}/reject", tag = "partners",
    params(("customerID" = String, Path, description = "The partner's id"), ("requestID" = String, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Rejected", body = ApiAccess),
        (status = 403, description = "Not an owner of an ancestor partner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner or request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["clients:manage-all"])))]
pub async fn reject_api_access(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, request_id)): Path<(String, String)>,
) -> Result<Json<ApiAccess>, Problem> {
    decide(state, caller, customer_id, request_id, false).await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    #[serde(rename = "customerID")]
    pub customer_id: String,
    /// Empty when unset.
    #[serde(rename = "supportEmail")]
    pub support_email: String,
    /// Any `ll-CC` culture (ISO 639-1 language, ISO 3166-1 country), upper
    /// case; empty when unset.
    #[serde(rename = "defaultCulture")]
    pub default_culture: String,
    /// CIDR blocks the partner's API clients may call from; empty allows all.
    #[serde(rename = "apiAllowedNetworks")]
    pub api_allowed_networks: Vec<String>,
    /// What the partner may do: `createPartners`, `createAccounts`,
    /// `paperCheck`, `paymentProcessing` (its programme and its parent's
    /// grants). Read-only here; grants change through `createPartners` and
    /// `paymentProcessing` on PUT.
    pub features: BTreeMap<String, bool>,
    /// Password rule for contacts of this partner and every customer below
    /// it (the strictest along the ancestry applies): at least 6.
    #[serde(rename = "passwordMinLength")]
    pub password_min_length: i32,
    #[serde(rename = "passwordRequireSymbols")]
    pub password_require_symbols: bool,
    #[serde(rename = "passwordRequireMixedCase")]
    pub password_require_mixed_case: bool,
}

impl From<account::PartnerSettings> for Settings {
    fn from(s: account::PartnerSettings) -> Self {
        Self {
            customer_id: s.customer_id,
            support_email: s.support_email,
            default_culture: s.default_culture,
            api_allowed_networks: s.api_allowed_networks,
            features: s.features.into_iter().collect(),
            password_min_length: s.password_min_length,
            password_require_symbols: s.password_require_symbols,
            password_require_mixed_case: s.password_require_mixed_case,
        }
    }
}

impl Culture {
    /// Two letters, a hyphen, two letters (either case).
    pub const PATTERN: &str = "^[A-Za-z]{2}-[A-Za-z]{2}$";
    /// The reference's examples.
    pub const EXAMPLES: [&str; 8] = [
        "EN-US", "EN-GB", "FR-CA", "DE-DE", "IT-IT", "NL-NL", "JA-JP", "EN-AU",
    ];
}

impl utoipa::PartialSchema for Culture {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "An ISO 639-1 language and an ISO 3166-1 alpha-2 country as ll-CC; \
                 case-insensitive, answered upper case.",
            ))
            .pattern(Some(Self::PATTERN))
            .examples(Self::EXAMPLES)
            .into()
    }
}

impl ToSchema for Culture {
    fn name() -> std::borrow::Cow<'static, str> {
        "Culture".into()
    }
}

#[cfg(test)]
mod culture_schema_tests {
    use serde_json::{Value, json};
    use utoipa::{PartialSchema as _, ToSchema as _};

    use super::Culture;

    /// The schema as swagger.json carries it.
    fn schema() -> Value {
        serde_json::to_value(Culture::schema()).expect("serializes")
    }

    #[test]
    fn culture_schema_keeps_its_name() {
        assert_eq!(Culture::name(), "Culture");
    }

    #[test]
    fn culture_is_a_string_not_a_closed_set() {
        let schema = schema();
        assert_eq!(schema["type"], "string", "{schema}");
        assert!(schema.get("enum").is_none(), "{schema}");
    }

    #[test]
    fn culture_pattern_is_two_letters_a_hyphen_and_two_letters() {
        assert_eq!(schema()["pattern"], "^[A-Za-z]{2}-[A-Za-z]{2}$");
    }

    #[test]
    fn culture_examples_are_the_references() {
        assert_eq!(
            schema()["examples"],
            json!([
                "EN-US", "EN-GB", "FR-CA", "DE-DE", "IT-IT", "NL-NL", "JA-JP", "EN-AU"
            ])
        );
    }
}

/// Every field is optional: what is absent stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SettingsUpdate {
    #[serde(rename = "supportEmail", default)]
    #[schema(max_length = 254, format = Email)]
    pub support_email: Option<String>,
    /// Case-insensitive; answered in canonical case.
    #[serde(rename = "defaultCulture", default)]
    #[schema(value_type = Option<Culture>)]
    pub default_culture: Option<String>,
    /// Replaces the list; `[]` allows every network.
    #[serde(rename = "apiAllowedNetworks", default)]
    #[schema(max_items = 100)]
    pub api_allowed_networks: Option<Vec<String>>,
    /// 6..=128.
    #[serde(
        rename = "passwordMinLength",
        default,
        deserialize_with = "crate::extract::opt_integer"
    )]
    #[schema(minimum = 6, maximum = 128)]
    pub password_min_length: Option<i32>,
    #[serde(rename = "passwordRequireSymbols", default)]
    pub password_require_symbols: Option<bool>,
    #[serde(rename = "passwordRequireMixedCase", default)]
    pub password_require_mixed_case: Option<bool>,
    /// Advisors only: whether it may create partners. Set by an ancestor,
    /// never by the partner itself.
    #[serde(rename = "createPartners", default)]
    pub create_partners: Option<bool>,
    /// Whether the partner's customers may pay by credit card (reference
    /// 002: payment processing enabled for it). Set by an ancestor, never
    /// by the partner itself; the root distributor always has it.
    #[serde(rename = "paymentProcessing", default)]
    pub payment_processing: Option<bool>,
}

/// A partner's settings.
#[utoipa::path(get, path = "/partners/{customerID}/settings", tag = "partners",
    params(("customerID" = String, Path, description = "The partner's id")),
    responses(
        (status = 200, description = "Settings", body = Settings),
        (status = 403, description = "The token lacks settings:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["settings:read"])))]
pub async fn get_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<Settings>, Problem> {
    caller.require("settings:read")?;
    let s = state
        .account
        .clone()
        .get_settings(
            caller
                .ctx
                .request(account::GetSettingsRequest { customer_id }),
        )
        .await?
        .into_inner();
    Ok(Json(s.into()))
}

/// Change a partner's settings. A changed network allow-list applies to the
/// partner's tokens at once.
#[utoipa::path(put, path = "/partners/{customerID}/settings", tag = "partners",
    params(("customerID" = String, Path, description = "The partner's id")),
    request_body = SettingsUpdate,
    responses(
        (status = 200, description = "The settings now", body = Settings),
        (status = 400, description = "Bad input; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks settings:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["settings:write"])))]
pub async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<SettingsUpdate>,
) -> Result<Json<Settings>, Problem> {
    caller.require("settings:write")?;
    let s = state
        .account
        .clone()
        .update_settings(
            caller.ctx.request(account::UpdateSettingsRequest {
                customer_id,
                support_email: body.support_email,
                default_culture: body.default_culture,
                api_allowed_networks: body
                    .api_allowed_networks
                    .map(|cidrs| account::Networks { cidrs }),
                password_min_length: body.password_min_length,
                password_require_symbols: body.password_require_symbols,
                password_require_mixed_case: body.password_require_mixed_case,
                create_partners: body.create_partners,
                payment_processing: body.payment_processing,
            }),
        )
        .await?
        .into_inner();
    state.cache.del(&access_key(&s.customer_id)).await;
    Ok(Json(s.into()))
}
