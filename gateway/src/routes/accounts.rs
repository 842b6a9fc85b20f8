//! `/accounts`: partners and accounts (DESIGN §6), answered by account-svc,
//! in v1's models.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, extract::State};
use proto::account::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::wire::{AccountGet, PartnerProgram, PaymentType, Program, v1_field};
use crate::AppState;
use crate::auth::Caller;
use crate::extract::{ApiJson, ApiPath as Path, ApiQuery, paging};
use crate::problem::Problem;

/// v1's account routes; v2 has its own list, create and get
/// ([`super::accounts_v2`]) and shares HEAD and DELETE.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, head_account, delete_account))
}

impl From<pb::Customer> for AccountGet {
    fn from(c: pb::Customer) -> Self {
        let partner = c.kind == pb::CustomerKind::Partner as i32;
        Self {
            programs: c.programs,
            customer_id: c.customer_id,
            user_name: c.user_name,
            purchase_date: v1_date(&c.purchase_date),
            parent_partner_id: c.parent_partner_id,
            plan_name: c.plan_name,
            state: c.state,
            kind: if partner { "partner" } else { "account" }.into(),
            partner_program: c.partner_program,
            owner_contact_id: c.owner_contact_id,
        }
    }
}

/// An RFC 3339 instant (as services answer) in v1's spelling:
/// milliseconds and a numeric UTC offset. What does not parse passes as is.
pub fn v1_date(rfc3339: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    let v1 = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+00:00"
    );
    time::OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&v1).ok())
        .unwrap_or_else(|| rfc3339.to_owned())
}

/// A page of accounts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = PageV1Model_AccountGetV1Model)]
pub struct AccountPage {
    /// Items on this page.
    pub count: i64,
    /// Items matching the filter, on every page.
    pub total: i64,
    pub items: Vec<AccountGet>,
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
pub struct ListQuery {
    /// Only the direct customers of this partner.
    #[serde(rename = "parentPartnerID")]
    #[param(rename = "parentPartnerID", pattern = "^[0-9a-f]{32}$")]
    pub parent_partner_id: Option<String>,
    /// Only the customer with this user name (case-insensitive).
    #[serde(rename = "userName")]
    #[param(rename = "userName")]
    pub user_name: Option<String>,
    /// Only customers on this plan.
    #[serde(rename = "planName")]
    #[param(rename = "planName")]
    pub plan_name: Option<String>,
    /// Items to skip (default 0), after `after` when it is given. At most
    /// 10000 (more answers 400): walk deeper pages with `after`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10000)]
    pub skip: Option<String>,
    /// Items per page: 1..=1000, default 100. More than 1000 answers 400.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub take: Option<String>,
    /// The `nextCursor` of the previous page (keyset paging): the page
    /// starts right after it, however many were created meanwhile.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub after: Option<String>,
}

/// List the partners and accounts below the caller.
#[utoipa::path(get, path = "/accounts", tag = "accounts", params(ListQuery),
    responses(
        (status = 200, description = "A page of accounts", body = AccountPage),
        (status = 400, description = "Bad filter or paging", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<AccountPage>, Problem> {
    caller.require("accounts:read")?;
    let page = fetch_page(&state, &caller, q).await?;
    let items: Vec<AccountGet> = page.items.into_iter().map(AccountGet::from).collect();
    Ok(Json(AccountPage {
        count: items.len() as i64,
        total: page.total,
        items,
        next_cursor: Some(page.next_cursor).filter(|c| !c.is_empty()),
    }))
}

/// One page of the customers below the caller, for either version's view.
pub async fn fetch_page(
    state: &AppState,
    caller: &Caller,
    q: ListQuery,
) -> Result<pb::ListCustomersResponse, Problem> {
    if q.parent_partner_id
        .as_deref()
        .is_some_and(|v| !platform::id::is_id(v))
    {
        return Err(Problem::field(
            "parentPartnerID",
            "must be a 32-character id",
        ));
    }
    if q.after.as_deref().is_some_and(|v| !platform::id::is_id(v)) {
        return Err(Problem::field(
            "after",
            "is not a cursor this API issued; pass the nextCursor of the previous page",
        ));
    }
    let (skip, take) = paging(q.skip.as_deref(), q.take.as_deref())?;
    Ok(state
        .account
        .clone()
        .list_customers(caller.ctx.request(pb::ListCustomersRequest {
            parent_partner_id: q.parent_partner_id.unwrap_or_default(),
            user_name: q.user_name.unwrap_or_default(),
            plan_name: q.plan_name.unwrap_or_default(),
            skip,
            take,
            after: q.after.unwrap_or_default(),
        }))
        .await?
        .into_inner())
}

/// The reference's AccountCreateV1 (002): `programs` decides what is
/// created; `general` names the customer and, flat, its owner contact;
/// `payment` carries the billing contact and address. `partnerProgram` is
/// v2's, accepted here too to create an advisor.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccountCreateV1Model, example = json!({
    "programs": ["account"],
    "general": { "userName": "test-partner-account", "login": "test-partner-account", "password": "qwerty123!!!2133333",
                 "name": "Test User", "email": "test-user1@test.com" },
    "company": { "name": "Company name", "phone": "123456789",
                 "address": { "country": "United States", "state": "California", "city": "Anaheim",
                              "street": "104 South Anaheim Boulevard", "zip": "92805-6010" } },
    "payment": { "name": " Company name ", "phone": "12365458789",
                 "address": { "country": "United States", "state": "California", "city": "Anaheim",
                              "street": "104 South Anaheim Boulevard", "zip": "92805-6010" },
                 "creditCard": { "type": "VISA", "cardNumber": "4111111111111111", "expirationDate": "04/38", "securityCode": "111" },
                 "type": "creditCard" },
    "planName": "starter"
}))]
pub struct AccountCreate {
    /// `["partner"]` creates a partner, `["account"]` an account.
    #[schema(required = true, nullable = false, value_type = Vec<Program>, min_items = 1, max_items = 1)]
    pub programs: Option<Vec<String>>,
    #[schema(required = true, nullable = false)]
    pub general: Option<General>,
    #[schema(required = true, nullable = false)]
    pub company: Option<CompanyV1>,
    #[schema(required = true, nullable = false)]
    pub payment: Option<Payment>,
    /// Required for accounts: one of the parent's account plans (`GET accounts/{customerID}/plans`).
    /// A partner without one gets the default partner plan.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub plan_name: Option<String>,
    /// Refines a partner: `partner` (private label, the default) or `advisor`.
    #[serde(default)]
    #[schema(value_type = Option<PartnerProgram>)]
    pub partner_program: Option<String>,
}

/// v1's general data: the customer's user name and parent, and its owner
/// contact in the same object.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccountGeneralV1Model)]
pub struct General {
    /// The customer's user name: letters, digits, `.`, `-`, `_`; at most 50
    /// (DESIGN §6.2); unique, case-insensitive, shared with v2's `accountName`.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 50,
        pattern = "^[A-Za-z0-9._-]{1,50}$"
    )]
    pub user_name: Option<String>,
    /// The owner contact's login: unique platform-wide, case-insensitive.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub login: Option<String>,
    /// The owner's password: at least 6 characters with letters and digits
    /// (more where the parent's policy asks). Never shown again.
    #[schema(required = true, nullable = false, min_length = 6, format = Password)]
    pub password: Option<String>,
    /// The parent partner; defaults to the caller's own partner.
    #[serde(rename = "parentPartnerID", default)]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub parent_partner_id: Option<String>,
    /// The owner's name.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub name: Option<String>,
    /// The owner's e-mail address.
    #[schema(required = true, nullable = false, max_length = 50, format = Email)]
    pub email: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = CompanyV1Model)]
pub struct CompanyV1 {
    #[schema(required = true, nullable = false, min_length = 1, max_length = 255)]
    pub name: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub phone: Option<String>,
    #[schema(required = true, nullable = false)]
    pub address: Option<AddressV1>,
}

/// v1 address; v2 calls `street` `addressLine1` and adds two more lines.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = AddressV1Model)]
pub struct AddressV1 {
    /// An ISO 3166 country name or code.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub country: Option<String>,
    /// Required (name or ISO 3166-2 code) in US, CA, NL, IT and DE.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub state: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub city: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 100)]
    pub street: Option<String>,
    /// In the national format where the platform knows it.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub zip: Option<String>,
}

impl AddressV1 {
    pub fn into_pb(self) -> proto::common::v1::Address {
        proto::common::v1::Address {
            line1: self.street.unwrap_or_default(),
            line2: String::new(),
            line3: String::new(),
            city: self.city.unwrap_or_default(),
            state: self.state.unwrap_or_default(),
            zip: self.zip.unwrap_or_default(),
            country: self.country.unwrap_or_default(),
        }
    }
}

/// How the customer pays, and its billing contact and address (what
/// `GET accounts/{customerID}/billing` answers afterwards).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PaymentV1Model)]
pub struct Payment {
    /// The billing contact's name.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub name: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 100)]
    pub phone: Option<String>,
    #[schema(required = true, nullable = false)]
    pub address: Option<AddressV1>,
    /// `creditCard` (needs `creditCard`; the parent must have payment
    /// processing) or `paperCheck` (bills the parent).
    #[serde(rename = "type")]
    #[schema(required = true, nullable = false, value_type = Option<PaymentType>)]
    pub kind: Option<String>,
    pub credit_card: Option<CreditCard>,
}

/// The card goes to the processor and is dropped: only brand, last four
/// digits and expiry are kept. `Debug` is written by hand so that no log
/// ever shows the number or the code.
#[derive(Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PaymentCreditCardV1Model)]
pub struct CreditCard {
    /// AMEX, DC, DISCOVER, MC or VISA, in any case.
    #[serde(rename = "type")]
    #[schema(required = true, nullable = false, min_length = 1, max_length = 10)]
    pub kind: Option<String>,
    #[schema(
        required = true,
        nullable = false,
        max_length = 20,
        pattern = "^[0-9 -]{12,20}$"
    )]
    pub card_number: Option<String>,
    /// `MM/YY`
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(0[1-9]|1[0-2])/[0-9]{2}$"
    )]
    pub expiration_date: Option<String>,
    /// 3 or 4 digits (AMEX 4).
    #[schema(required = true, nullable = false, pattern = "^[0-9]{3,4}$")]
    pub security_code: Option<String>,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub holder_name: Option<String>,
}

impl std::fmt::Debug for CreditCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreditCard")
            .field("kind", &self.kind)
            .field("card_number", &self.card_number.as_ref().map(|_| "***"))
            .field("expiration_date", &self.expiration_date)
            .field("security_code", &self.security_code.as_ref().map(|_| "***"))
            .field("holder_name", &self.holder_name)
            .finish()
    }
}

impl AccountCreate {
    fn into_request(self) -> pb::CreateCustomerRequest {
        let general = self.general.unwrap_or_default();
        // v1's owner is the flat `general`: always there to be judged, so
        // each missing field is named (`general.login`, …).
        let owner = Some(pb::Owner {
            login: general.login.unwrap_or_default(),
            password: general.password.unwrap_or_default(),
            name: general.name.unwrap_or_default(),
            email: general.email.unwrap_or_default(),
            ..Default::default()
        });
        let company = self.company.map(|c| pb::Company {
            name: c.name.unwrap_or_default(),
            phone: c.phone.unwrap_or_default(),
            address: c.address.map(AddressV1::into_pb),
            ..Default::default()
        });
        let payment = self.payment.map(|p| pb::Payment {
            r#type: p.kind.unwrap_or_default(),
            credit_card: p.credit_card.map(|c| pb::CreditCard {
                r#type: c.kind.unwrap_or_default(),
                card_number: c.card_number.unwrap_or_default(),
                expiration_date: c.expiration_date.unwrap_or_default(),
                security_code: c.security_code.unwrap_or_default(),
                holder_name: c.holder_name.unwrap_or_default(),
                ..Default::default()
            }),
            name: p.name.unwrap_or_default(),
            phone: p.phone.unwrap_or_default(),
            address: p.address.map(AddressV1::into_pb),
        });
        pb::CreateCustomerRequest {
            parent_partner_id: general.parent_partner_id.unwrap_or_default(),
            account_name: general.user_name.unwrap_or_default(),
            programs: self.programs.unwrap_or_default(),
            plan_name: self.plan_name.unwrap_or_default(),
            partner_program: self.partner_program.unwrap_or_default(),
            company,
            owner,
            payment,
            options: Default::default(),
            v1: true,
        }
    }
}

/// Create an account, or a partner when `partnerProgram` is given.
///
/// The owner contact and the payment method are created with it; if any part
/// fails, nothing is kept. A card the processor declines answers 409 with the
/// processor's `code` and `reason`.
#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = AccountCreate,
    responses(
        (status = 201, description = "Created", body = AccountGet),
        (status = 400, description = "Bad input; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "User name or login taken, or card declined (`code`, `reason`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; nothing was created", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:write"])))]
pub async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<AccountCreate>,
) -> Result<Response, Problem> {
    caller.require("accounts:write")?;
    let created = state
        .account
        .clone()
        .create_customer(caller.ctx.request(body.into_request()))
        .await
        .map_err(|s| Problem::from(s).rename_fields(v1_field))?
        .into_inner();
    Ok((StatusCode::CREATED, Json(AccountGet::from(created))).into_response())
}

/// Look up a partner or account by id.
#[utoipa::path(get, path = "/accounts/{customerID}", tag = "accounts",
    params(("customerID" = String, Path, description = "The customer's id")),
    responses(
        (status = 200, description = "The customer", body = AccountGet),
        (status = 403, description = "The token lacks accounts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn get_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<AccountGet>, Problem> {
    caller.require("accounts:read")?;
    let c = state
        .account
        .clone()
        .get_customer(caller.ctx.request(pb::GetCustomerRequest { customer_id }))
        .await?
        .into_inner();
    Ok(Json(c.into()))
}

/// Is this user name taken? `200` taken, `404` available, `400` a name no
/// create would accept (so never "available"). For HEAD the path segment is
/// the reference's `customerUserName`, not an id: OpenAPI allows one
/// parameter name per path, so it is documented under `customerID`. One
/// namespace serves both versions, judged by v1's rule (≤ 50, DESIGN §6.2).
#[utoipa::path(head, path = "/accounts/{customerID}", tag = "accounts",
    params(("customerID" = String, Path, description = "For HEAD: the reference's customerUserName, the user name to check (letters, digits, `.`, `-`, `_`; at most 50)", pattern = "^[A-Za-z0-9._-]{1,50}$", min_length = 1, max_length = 50)),
    responses(
        (status = 200, description = "The user name is taken"),
        (status = 400, description = "Not a user name any create would accept"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "The token lacks accounts:read"),
        (status = 404, description = "The user name is available"),
        (status = 503, description = "A service is down"),
    ),
    security(("bearer" = ["accounts:read"])))]
pub async fn head_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_name): Path<String>,
) -> Result<StatusCode, Problem> {
    caller.require("accounts:read")?;
    let taken = state
        .account
        .clone()
        .user_name_taken(caller.ctx.request(pb::UserNameTakenRequest {
            user_name,
            v1: true,
        }))
        .await?
        .into_inner()
        .taken;
    Ok(if taken {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Why the customer is deleted (required, ≤ 512 characters).
    #[param(
        required = true,
        min_length = 1,
        max_length = 512,
        pattern = r"^[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub reason: Option<String>,
    /// ≤ 512 characters.
    #[param(max_length = 512, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub comments: Option<String>,
}

/// Delete an account, or a partner without customers. Irreversible: only a
/// tombstone (who, when, why) is kept.
#[utoipa::path(delete, path = "/accounts/{customerID}", tag = "accounts",
    params(("customerID" = String, Path, description = "The reference's accountID: the id of the account (or childless partner) to delete"), DeleteQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "No reason, or one too long", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks accounts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A partner that still has customers, or the caller's own partner", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; retry to finish", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["accounts:write"])))]
pub async fn delete_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> Result<StatusCode, Problem> {
    caller.require("accounts:write")?;
    state
        .account
        .clone()
        .delete_customer(caller.ctx.request(pb::DeleteCustomerRequest {
            customer_id,
            reason: q.reason.unwrap_or_default(),
            comments: q.comments.unwrap_or_default(),
        }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
