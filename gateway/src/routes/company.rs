//! `/accounts/{customerID}/company` in v1's and v2's models, and v2's
//! address validation. account-svc owns the rules and the refinement.

use axum::Json;
use axum::extract::State;
use proto::account::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::wire::AddressV2;
use super::wire::AddressViewV2;
use super::wire::v1_field;
use crate::AppState;
use crate::auth::Caller;
use crate::extract::{ApiJson, ApiPath as Path};
use crate::problem::{FieldError, Problem};

pub fn router_v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_company_v1, put_company_v1))
}

pub fn router_v2() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_company_v2, put_company_v2))
        .routes(routes!(valid_address))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = AddressGetV1Model)]
pub struct AddressViewV1 {
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = CompanyGetV1Model)]
pub struct CompanyViewV1 {
    pub name: String,
    pub phone: String,
    pub address: AddressViewV1,
}

impl From<proto::common::v1::Address> for AddressViewV2 {
    fn from(a: proto::common::v1::Address) -> Self {
        Self {
            address_line1: a.line1,
            address_line2: a.line2,
            address_line3: a.line3,
            city: a.city,
            state: a.state,
            zip: a.zip,
            country: a.country,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CompanyGetV2Model)]
pub struct CompanyViewV2 {
    pub name: String,
    pub phone: String,
    pub address: AddressViewV2,
    /// Empty when unset.
    pub culture: String,
    pub vat_number: String,
}

impl From<pb::Company> for CompanyViewV1 {
    fn from(c: pb::Company) -> Self {
        let a = c.address.unwrap_or_default();
        Self {
            name: c.name,
            phone: c.phone,
            address: AddressViewV1 {
                street: a.line1,
                city: a.city,
                state: a.state,
                zip: a.zip,
                country: a.country,
            },
        }
    }
}

impl From<pb::Company> for CompanyViewV2 {
    fn from(c: pb::Company) -> Self {
        Self {
            name: c.name,
            phone: c.phone,
            address: c.address.unwrap_or_default().into(),
            culture: c.culture,
            vat_number: c.vat_number,
        }
    }
}

/// v1's company update: every field optional; what is absent stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = CompanyUpdateV1Model)]
pub struct CompanyUpdateV1 {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    pub address: Option<AddressUpdateV1>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = AddressUpdateV1Model)]
pub struct AddressUpdateV1 {
    #[schema(min_length = 1, max_length = 100)]
    pub street: Option<String>,
    #[schema(min_length = 1, max_length = 50)]
    pub city: Option<String>,
    #[schema(max_length = 50)]
    pub state: Option<String>,
    #[schema(min_length = 1, max_length = 50)]
    pub zip: Option<String>,
    #[schema(min_length = 2, max_length = 50)]
    pub country: Option<String>,
}

/// The reference's CompanyUpdateV2: every field optional; what is absent stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CompanyUpdateV2Model)]
pub struct CompanyUpdateV2 {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    pub address: Option<AddressUpdateV2>,
    #[schema(value_type = Option<super::wire::Culture>)]
    pub culture: Option<String>,
    #[schema(max_length = 50)]
    pub vat_number: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AddressUpdateV2Model)]
pub struct AddressUpdateV2 {
    /// v1's `street` is accepted here too.
    #[serde(alias = "street")]
    #[schema(min_length = 1, max_length = 100)]
    pub address_line1: Option<String>,
    #[schema(max_length = 100)]
    pub address_line2: Option<String>,
    #[schema(max_length = 100)]
    pub address_line3: Option<String>,
    #[schema(min_length = 1, max_length = 50)]
    pub city: Option<String>,
    #[schema(max_length = 50)]
    pub state: Option<String>,
    #[schema(min_length = 1, max_length = 50)]
    pub zip: Option<String>,
    #[schema(min_length = 2, max_length = 50)]
    pub country: Option<String>,
}

async fn fetch(
    state: &AppState,
    caller: &Caller,
    customer_id: String,
) -> Result<pb::Company, Problem> {
    caller.require("accounts:read")?;
    Ok(state
        .account
        .clone()
        .get_company(caller.ctx.request(pb::GetCompanyRequest { customer_id }))
        .await?
        .into_inner())
}

async fn update(
    state: &AppState,
    caller: &Caller,
    req: pb::UpdateCompanyRequest,
) -> Result<pb::Company, tonic::Status> {
    Ok(state
        .account
        .clone()
        .update_company(caller.ctx.request(req))
        .await?
        .into_inner())
}

/// The customer's company (v1 model).
#[utoipa::path(get, path = "/accounts/{customerID}/company", tag = "company",
    params(("customerID" = String, Path, description = "The customer's id")),
    responses(
        (status = 200, description = "The company", body = CompanyViewV1),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn get_company_v1(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<CompanyViewV1>, Problem> {
    Ok(Json(fetch(&state, &caller, customer_id).await?.into()))
}

/// Change the customer's company (v1 model); what is absent stays.
#[utoipa::path(put, path = "/accounts/{customerID}/company", tag = "company",
    params(("customerID" = String, Path, description = "The customer's id")),
    request_body = CompanyUpdateV1,
    responses(
        (status = 200, description = "The company now", body = CompanyViewV1),
        (status = 400, description = "Bad input; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:write"])))]
pub async fn put_company_v1(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<CompanyUpdateV1>,
) -> Result<Json<CompanyViewV1>, Problem> {
    caller.require("accounts:write")?;
    let req = pb::UpdateCompanyRequest {
        customer_id,
        name: body.name,
        phone: body.phone,
        address: body.address.map(|a| pb::AddressPatch {
            line1: a.street,
            city: a.city,
            state: a.state,
            zip: a.zip,
            country: a.country,
            ..Default::default()
        }),
        culture: None,
        vat_number: None,
    };
    let c = update(&state, &caller, req)
        .await
        .map_err(|s| Problem::from(s).rename_fields(v1_field))?;
    Ok(Json(c.into()))
}

/// The customer's company (v2 model).
#[utoipa::path(get, path = "/accounts/{customerID}/company", tag = "company",
    params(("customerID" = String, Path, description = "The customer's id")),
    responses(
        (status = 200, description = "The company", body = CompanyViewV2),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn get_company_v2(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<CompanyViewV2>, Problem> {
    Ok(Json(fetch(&state, &caller, customer_id).await?.into()))
}

/// Change the customer's company (CompanyUpdateV2); what is absent stays.
/// The address after the change is validated as a whole.
#[utoipa::path(put, path = "/accounts/{customerID}/company", tag = "company",
    params(("customerID" = String, Path, description = "The customer's id")),
    request_body = CompanyUpdateV2,
    responses(
        (status = 200, description = "The company now", body = CompanyViewV2),
        (status = 400, description = "Bad input; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:write"])))]
pub async fn put_company_v2(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<CompanyUpdateV2>,
) -> Result<Json<CompanyViewV2>, Problem> {
    caller.require("accounts:write")?;
    let req = pb::UpdateCompanyRequest {
        customer_id,
        name: body.name,
        phone: body.phone,
        address: body.address.map(|a| pb::AddressPatch {
            line1: a.address_line1,
            line2: a.address_line2,
            line3: a.address_line3,
            city: a.city,
            state: a.state,
            zip: a.zip,
            country: a.country,
        }),
        culture: body.culture,
        vat_number: body.vat_number,
    };
    Ok(Json(update(&state, &caller, req).await?.into()))
}

/// The body of an address question: the reference's AddressV2 itself, or
/// (as this platform first took it) wrapped as `{"address": {…}}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ValidAddressRequest {
    Wrapped { address: AddressQuestion },
    Bare(AddressQuestion),
}

/// An address to judge (the reference's AddressV2Model). Unlike a create's
/// address it carries no limits: whatever is wrong with it is the answer
/// (`errors`), not a refusal.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddressQuestion {
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
}

impl From<AddressQuestion> for AddressV2 {
    fn from(a: AddressQuestion) -> Self {
        Self {
            address_line1: a.address_line1,
            address_line2: a.address_line2,
            address_line3: a.address_line3,
            city: a.city,
            state: a.state,
            zip: a.zip,
            country: a.country,
        }
    }
}

/// The reference's AddressValidationV2.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = AddressValidationV2Model)]
pub struct AddressValidation {
    /// 0 valid as given, 1 valid after refinement (see `changes`), 2 invalid (see `errors`).
    pub status: i32,
    /// The refined address (for status 2, the address as given).
    pub address: AddressViewV2,
    /// The fields refinement changed.
    pub changes: Vec<String>,
    pub errors: Vec<FieldError>,
}

/// Is this address valid, and how would the platform store it? A question,
/// not a command: it answers 200 whatever the address, and stores nothing.
#[utoipa::path(post, path = "/accounts/company/validAddress", tag = "company",
    request_body(content = AddressQuestion, description = "The reference's AddressV2Model (`{\"address\": …}` is accepted too)"),
    responses(
        (status = 200, description = "The verdict", body = AddressValidation),
        (status = 400, description = "The body is not an address", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn valid_address(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ValidAddressRequest>,
) -> Result<Json<AddressValidation>, Problem> {
    caller.require("accounts:read")?;
    // Errors name the fields where the body has them.
    let (address, field_prefix) = match body {
        ValidAddressRequest::Wrapped { address } => (address, "address"),
        ValidAddressRequest::Bare(address) => (address, ""),
    };
    let v = state
        .account
        .clone()
        .validate_address(caller.ctx.request(pb::ValidateAddressRequest {
            address: Some(AddressV2::from(address).into_pb()),
            field_prefix: field_prefix.into(),
        }))
        .await?
        .into_inner();
    Ok(Json(AddressValidation {
        status: v.status,
        address: v.address.unwrap_or_default().into(),
        changes: v.changes,
        errors: v
            .errors
            .into_iter()
            .map(|e| FieldError {
                field: e.field,
                message: e.message,
            })
            .collect(),
    }))
}
