//! v2's account models (the reference's AccountCreateV2 / AccountGetV2): the
//! European address (`addressLine1..3`), company and contact `culture`, the
//! VAT number, Maestro cards. One internal model serves both versions: an
//! account made through either reads correctly through the other.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, extract::State};
use proto::account::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::accounts::{__path_delete_account, __path_head_account, delete_account, head_account};
use super::accounts::{ListQuery, fetch_page};
use super::wire::{AccountGetV2, AddressV2, CreditCardV2, PaymentV2};
use super::wire::{PartnerProgram, Program};
use crate::AppState;
use crate::auth::Caller;
use crate::extract::{ApiJson, ApiPath as Path, ApiQuery};
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts_v2, create_account_v2))
        .routes(routes!(get_account_v2, head_account, delete_account))
}

impl From<pb::Customer> for AccountGetV2 {
    fn from(c: pb::Customer) -> Self {
        let partner = c.kind == pb::CustomerKind::Partner as i32;
        Self {
            programs: c.programs,
            customer_id: c.customer_id,
            user_name: c.user_name,
            purchase_date: c.purchase_date.get(..10).unwrap_or_default().to_owned(),
            parent_partner_id: c.parent_partner_id,
            plan_name: c.plan_name,
            state: c.state,
            kind: if partner { "partner" } else { "account" }.into(),
            partner_program: c.partner_program,
            owner_contact_id: c.owner_contact_id,
            msa_accepted: c.msa_accepted,
            options: c.options.into_iter().collect(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = PageV2Model_AccountGetV2Model)]
pub struct AccountPageV2 {
    /// Items on this page.
    pub count: i64,
    /// Items matching the filter, on every page.
    pub total: i64,
    pub items: Vec<AccountGetV2>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(
        rename = "nextCursor",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub next_cursor: Option<String>,
}

/// List the partners and accounts below the caller.
#[utoipa::path(get, path = "/accounts", tag = "accounts", params(ListQuery),
    responses(
        (status = 200, description = "A page of accounts", body = AccountPageV2),
        (status = 400, description = "Bad filter or paging", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn list_accounts_v2(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<AccountPageV2>, Problem> {
    caller.require("accounts:read")?;
    let page = fetch_page(&state, &caller, q).await?;
    let items: Vec<AccountGetV2> = page.items.into_iter().map(AccountGetV2::from).collect();
    Ok(Json(AccountPageV2 {
        count: items.len() as i64,
        total: page.total,
        items,
        next_cursor: Some(page.next_cursor).filter(|c| !c.is_empty()),
    }))
}

/// Look up a partner or account by id.
#[utoipa::path(get, path = "/accounts/{customerID}", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id")),
    responses(
        (status = 200, description = "The customer", body = AccountGetV2),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn get_account_v2(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<AccountGetV2>, Problem> {
    caller.require("accounts:read")?;
    let c = state
        .account
        .clone()
        .get_customer(caller.ctx.request(pb::GetCustomerRequest { customer_id }))
        .await?
        .into_inner();
    Ok(Json(c.into()))
}

/// The reference's AccountCreateV2.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccountCreateV2Model, example = json!({
    "programs": ["account"],
    "general": { "accountName": "euro1",
                 "owner": { "password": "secret12", "login": "eva@euro", "name": "Eva de Vries", "email": "eva@euro.example" },
                 "options": { "ExternalPartnerID": "crm-4711" } },
    "company": { "name": "Euro BV", "phone": "+31 20 555 0100", "culture": "NL-NL", "vatNumber": "NL123456789B01",
                 "address": { "country": "NL", "state": "NH", "city": "Amsterdam", "addressLine1": "Damrak 1", "zip": "1012 AB" } },
    "payment": { "name": "Boekhouding", "phone": "+31 20 555 0101",
                 "address": { "country": "NL", "state": "NH", "city": "Amsterdam", "addressLine1": "Damrak 1", "zip": "1012 AB" },
                 "creditCard": { "type": "VISA", "cardNumber": "4111111111111111", "expirationDate": "04/38", "securityCode": "111" },
                 "type": "creditCard" },
    "planName": "starter"
}))]
pub struct AccountCreateV2 {
    /// `["partner"]` creates a partner, `["account"]` an account.
    #[schema(required = true, nullable = false, value_type = Vec<Program>, min_items = 1, max_items = 1)]
    pub programs: Option<Vec<String>>,
    #[schema(required = true, nullable = false)]
    pub general: Option<GeneralV2>,
    #[schema(required = true, nullable = false)]
    pub company: Option<CompanyV2>,
    #[schema(required = true, nullable = false)]
    pub payment: Option<PaymentV2>,
    /// Required for accounts; a partner without one gets the default partner plan.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub plan_name: Option<String>,
    /// Refines a partner: `partner` (private label, the default) or `advisor`.
    #[serde(default)]
    #[schema(value_type = Option<PartnerProgram>)]
    pub partner_program: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccountGeneralV2Model)]
pub struct GeneralV2 {
    /// 1..=15 letters, digits, `.`, `-`, `_`; unique.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 15,
        pattern = "^[A-Za-z0-9._-]{1,15}$"
    )]
    pub account_name: Option<String>,
    #[serde(rename = "parentPartnerID", default)]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub parent_partner_id: Option<String>,
    #[schema(required = true, nullable = false)]
    pub owner: Option<OwnerV2>,
    /// OptionsV2: only `ExternalPartnerID`, `ExternalReferralID`, `PaymentMethodConfirmationRequired`; values ≤ 255.
    #[serde(default)]
    pub options: Option<std::collections::HashMap<String, String>>,
}

/// The reference's AccountOwnerCreateV2.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccountOwnerCreateV2Model)]
pub struct OwnerV2 {
    /// At least 6 characters with letters and digits (DESIGN §6.2 reads the
    /// table's "max length is 6" as the contact model's minimum).
    #[schema(required = true, nullable = false, min_length = 6, format = Password)]
    pub password: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub login: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub name: Option<String>,
    #[schema(required = true, nullable = false, max_length = 50, format = Email)]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50)]
    pub cellular_phone: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<super::wire::Culture>)]
    pub culture: Option<String>,
}

/// The reference's CompanyV2.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CompanyV2Model)]
pub struct CompanyV2 {
    #[schema(required = true, nullable = false, min_length = 1, max_length = 255)]
    pub name: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub phone: Option<String>,
    #[schema(required = true, nullable = false)]
    pub address: Option<AddressV2>,
    #[serde(default)]
    #[schema(value_type = Option<super::wire::Culture>)]
    pub culture: Option<String>,
    /// At most 50 characters; EU numbers are format-checked.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub vat_number: Option<String>,
}

impl AddressV2 {
    pub fn into_pb(self) -> proto::common::v1::Address {
        proto::common::v1::Address {
            line1: self.address_line1.unwrap_or_default(),
            line2: self.address_line2.unwrap_or_default(),
            line3: self.address_line3.unwrap_or_default(),
            city: self.city.unwrap_or_default(),
            state: self.state.unwrap_or_default(),
            zip: self.zip.unwrap_or_default(),
            country: self.country.unwrap_or_default(),
        }
    }
}

impl std::fmt::Debug for CreditCardV2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreditCardV2")
            .field("kind", &self.kind)
            .field("card_number", &self.card_number.as_ref().map(|_| "***"))
            .field("issue_number", &self.issue_number)
            .field("start_date", &self.start_date)
            .field("expiration_date", &self.expiration_date)
            .field("security_code", &self.security_code.as_ref().map(|_| "***"))
            .field("holder_name", &self.holder_name)
            .finish()
    }
}

impl PaymentV2 {
    pub fn into_pb(self) -> pb::Payment {
        pb::Payment {
            name: self.name.unwrap_or_default(),
            phone: self.phone.unwrap_or_default(),
            address: self.address.map(AddressV2::into_pb),
            r#type: self.kind.unwrap_or_default(),
            credit_card: self.credit_card.map(|c| pb::CreditCard {
                r#type: c.kind.unwrap_or_default(),
                card_number: c.card_number.unwrap_or_default(),
                expiration_date: c.expiration_date.unwrap_or_default(),
                security_code: c.security_code.unwrap_or_default(),
                holder_name: c.holder_name.unwrap_or_default(),
                issue_number: c.issue_number.unwrap_or_default(),
                start_date: c.start_date.unwrap_or_default(),
            }),
        }
    }
}

impl AccountCreateV2 {
    fn into_request(self) -> pb::CreateCustomerRequest {
        let general = self.general.unwrap_or_default();
        let owner = general.owner.map(|o| pb::Owner {
            login: o.login.unwrap_or_default(),
            password: o.password.unwrap_or_default(),
            name: o.name.unwrap_or_default(),
            email: o.email.unwrap_or_default(),
            cellular_phone: o.cellular_phone.unwrap_or_default(),
            culture: o.culture.unwrap_or_default(),
        });
        let company = self.company.map(|c| pb::Company {
            name: c.name.unwrap_or_default(),
            phone: c.phone.unwrap_or_default(),
            address: c.address.map(AddressV2::into_pb),
            culture: c.culture.unwrap_or_default(),
            vat_number: c.vat_number.unwrap_or_default(),
        });
        pb::CreateCustomerRequest {
            parent_partner_id: general.parent_partner_id.unwrap_or_default(),
            account_name: general.account_name.unwrap_or_default(),
            programs: self.programs.unwrap_or_default(),
            plan_name: self.plan_name.unwrap_or_default(),
            partner_program: self.partner_program.unwrap_or_default(),
            company,
            owner,
            payment: self.payment.map(PaymentV2::into_pb),
            options: general.options.unwrap_or_default(),
            v1: false,
        }
    }
}

/// Create an account (or a partner, with `partnerProgram`) in v2's model.
///
/// A card the processor declines answers 409 with its `code` and `reason`; a
/// blacklisted card or failed fraud screening also keeps the request as a
/// failed setup (`failedSetupID`) that can be restored with another payment.
#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = AccountCreateV2,
    responses(
        (status = 201, description = "Created", body = AccountGetV2),
        (status = 400, description = "Bad input; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "User name or login taken; card declined (`code`, `reason`); failed setup (`failedSetupID`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; nothing was created", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:write"])))]
pub async fn create_account_v2(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<AccountCreateV2>,
) -> Result<Response, Problem> {
    caller.require("accounts:write")?;
    let created = state
        .account
        .clone()
        .create_customer(caller.ctx.request(body.into_request()))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(AccountGetV2::from(created))).into_response())
}
