//! `/accounts/{customerID}/contacts`: the contacts of partners and accounts
//! (v1 models without `culture`, v2 with it), and `/contacts/{id}/password`.
//! Each route is one call to contact-svc with the partner's principal:
//! contact-svc decides whether the caller reaches the customer (asking
//! account-svc), which rules apply there, who may reset a password and what
//! goes with a deleted contact. Here: the token's permission at the door,
//! the wire models, and ids this API never issues (404 without a call).
//!
//! Field limits are the reference's (ContactCreateV2, ContactInfoUpdateV2,
//! ContactAssignV2); contact-svc enforces them, and the schemas here say
//! the same.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, extract::State};
use proto::contact::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::extract::{ApiJson, ApiPath as Path, ApiQuery, issued_id, paging};
use crate::problem::Problem;

pub fn router_v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts_v1, create_contact_v1))
        .routes(routes!(get_contact_v1, put_contact_v1, delete_contact))
        .routes(routes!(change_password))
}

pub fn router_v2() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts_v2, create_contact_v2))
        .routes(routes!(
            get_contact_v2,
            put_contact_v2,
            delete_contact,
            assign_contact
        ))
        .routes(routes!(change_password))
}

/// A contact as the reference's ContactGet shows it (v1).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ContactGetV1Model)]
pub struct ContactGet {
    #[serde(rename = "contactID")]
    pub contact_id: String,
    pub login: String,
    pub name: String,
    pub email: String,
    pub alternative_email: String,
    pub phone: String,
    pub cellular_phone: String,
    /// The contact's roles on this customer.
    pub access_role_names: Vec<String>,
}

/// v2's ContactGetV2: v1's fields and `culture`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ContactGetV2Model)]
pub struct ContactGetV2 {
    #[serde(rename = "contactID")]
    pub contact_id: String,
    pub login: String,
    pub name: String,
    pub email: String,
    pub alternative_email: String,
    pub phone: String,
    pub cellular_phone: String,
    pub access_role_names: Vec<String>,
    /// Empty when not given.
    pub culture: String,
}

impl From<pb::Contact> for ContactGet {
    fn from(c: pb::Contact) -> Self {
        Self {
            contact_id: c.contact_id,
            login: c.login,
            name: c.name,
            email: c.email,
            alternative_email: c.alternative_email,
            phone: c.phone,
            cellular_phone: c.cellular_phone,
            access_role_names: c.roles,
        }
    }
}

impl From<pb::Contact> for ContactGetV2 {
    fn from(c: pb::Contact) -> Self {
        Self {
            contact_id: c.contact_id,
            login: c.login,
            name: c.name,
            email: c.email,
            alternative_email: c.alternative_email,
            phone: c.phone,
            cellular_phone: c.cellular_phone,
            access_role_names: c.roles,
            culture: c.culture,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = PageV1Model_ContactGetV1Model)]
pub struct ContactPage {
    /// Items on this page.
    pub count: i64,
    /// The customer's contacts, on every page.
    pub total: i64,
    pub items: Vec<ContactGet>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(
        rename = "nextCursor",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = PageV2Model_ContactGetV2Model)]
pub struct ContactPageV2 {
    /// Items on this page.
    pub count: i64,
    /// The customer's contacts, on every page.
    pub total: i64,
    pub items: Vec<ContactGetV2>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(
        rename = "nextCursor",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub next_cursor: Option<String>,
}

/// Contacts in id (creation) order: `skip`/`take` as the reference pages
/// them, or `after` the previous page's `nextCursor` (keyset), whose cost
/// does not grow with depth; `skip` then counts past the cursor.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items to skip (default 0); deeper than 10000, walk with `after`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10000)]
    pub skip: Option<String>,
    /// Items per page: 1..=1000, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub take: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<String>)]
    pub after: Option<String>,
}

async fn list(
    state: &AppState,
    caller: &Caller,
    customer_id: String,
    q: PageQuery,
) -> Result<pb::ListContactsResponse, Problem> {
    caller.require("contacts:read")?;
    let (skip, take) = paging(q.skip.as_deref(), q.take.as_deref())?;
    // A cursor is the id a page ended on: anything else was never issued.
    if q.after.as_deref().is_some_and(|a| !platform::id::is_id(a)) {
        return Err(Problem::field("after", "is not a cursor this API issued"));
    }
    Ok(state
        .contact
        .clone()
        .list_contacts(caller.ctx.request(pb::ListContactsRequest {
            customer_id,
            skip,
            take,
            after: q.after.unwrap_or_default(),
        }))
        .await?
        .into_inner())
}

/// The customer's contacts, each with its roles there.
#[utoipa::path(get, path = "/accounts/{customerID}/contacts", tag = "contacts",
    params(("customerID" = String, Path, description = "The customer's id"), PageQuery),
    responses(
        (status = 200, description = "A page of contacts", body = ContactPage),
        (status = 400, description = "Bad paging or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks contacts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:read"])))]
pub async fn list_contacts_v1(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ContactPage>, Problem> {
    let page = list(&state, &caller, customer_id, q).await?;
    let items: Vec<ContactGet> = page.items.into_iter().map(ContactGet::from).collect();
    Ok(Json(ContactPage {
        count: items.len() as i64,
        total: page.total,
        items,
        next_cursor: Some(page.next_cursor).filter(|c| !c.is_empty()),
    }))
}

/// The customer's contacts, each with its roles there.
#[utoipa::path(get, path = "/accounts/{customerID}/contacts", tag = "contacts",
    params(("customerID" = String, Path, description = "The customer's id"), PageQuery),
    responses(
        (status = 200, description = "A page of contacts", body = ContactPageV2),
        (status = 400, description = "Bad paging or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks contacts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:read"])))]
pub async fn list_contacts_v2(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ContactPageV2>, Problem> {
    let page = list(&state, &caller, customer_id, q).await?;
    let items: Vec<ContactGetV2> = page.items.into_iter().map(ContactGetV2::from).collect();
    Ok(Json(ContactPageV2 {
        count: items.len() as i64,
        total: page.total,
        items,
        next_cursor: Some(page.next_cursor).filter(|c| !c.is_empty()),
    }))
}

/// The reference's ContactCreate (v1 has no `culture`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ContactCreateV2Model)]
pub struct ContactCreate {
    /// Unique platform-wide, case-insensitive.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub login: Option<String>,
    /// At least 6 characters with letters and digits, or what the partner's
    /// settings ask. The reference sets no longest password.
    #[schema(required = true, nullable = false, min_length = 6, format = Password)]
    pub password: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub name: Option<String>,
    #[schema(required = true, nullable = false, max_length = 50, format = Email)]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50, format = Email)]
    pub alternative_email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub phone: Option<String>,
    /// ContactCreateV2 allows 255 (a change of information, 50).
    #[serde(default)]
    #[schema(max_length = 255)]
    pub cellular_phone: Option<String>,
    /// Roles on this customer: partner roles on partners, account roles on accounts.
    #[serde(default)]
    #[schema(min_items = 1)]
    pub access_role_names: Vec<String>,
    /// v2 only.
    #[serde(default)]
    #[schema(value_type = Option<super::wire::Culture>)]
    pub culture: Option<String>,
}

async fn create(
    state: &AppState,
    caller: &Caller,
    customer_id: String,
    body: ContactCreate,
) -> Result<pb::Contact, Problem> {
    caller.require("contacts:write")?;
    // contact-svc applies the customer's rules (kind, password policy,
    // Iam_usersMax) as account-svc states them for this principal.
    Ok(state
        .contact
        .clone()
        .create_contact(caller.ctx.request(pb::CreateContactRequest {
            customer_id,
            login: body.login.unwrap_or_default(),
            password: body.password.unwrap_or_default(),
            name: body.name.unwrap_or_default(),
            email: body.email.unwrap_or_default(),
            cellular_phone: body.cellular_phone.unwrap_or_default(),
            roles: body.access_role_names,
            contact_id: String::new(),
            validate_only: false,
            culture: body.culture.unwrap_or_default(),
            alternative_email: body.alternative_email.unwrap_or_default(),
            phone: body.phone.unwrap_or_default(),
            ..Default::default()
        }))
        .await?
        .into_inner())
}

/// Create a contact of the customer with its roles there.
#[utoipa::path(post, path = "/accounts/{customerID}/contacts", tag = "contacts",
    params(("customerID" = String, Path, description = "The customer's id")),
    request_body = ContactCreate,
    responses(
        (status = 201, description = "Created", body = ContactGet),
        (status = 400, description = "Bad input; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 402, description = "The account's Iam_usersMax allows no more users", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks contacts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The login is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:write"])))]
pub async fn create_contact_v1(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(mut body): ApiJson<ContactCreate>,
) -> Result<Response, Problem> {
    body.culture = None;
    let c = create(&state, &caller, customer_id, body).await?;
    Ok((StatusCode::CREATED, Json(ContactGet::from(c))).into_response())
}

/// Create a contact of the customer with its roles there (v2: with culture).
#[utoipa::path(post, path = "/accounts/{customerID}/contacts", tag = "contacts",
    params(("customerID" = String, Path, description = "The customer's id")),
    request_body = ContactCreate,
    responses(
        (status = 201, description = "Created", body = ContactGetV2),
        (status = 400, description = "Bad input; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 402, description = "The account's Iam_usersMax allows no more users", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks contacts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The login is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:write"])))]
pub async fn create_contact_v2(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<ContactCreate>,
) -> Result<Response, Problem> {
    let c = create(&state, &caller, customer_id, body).await?;
    Ok((StatusCode::CREATED, Json(ContactGetV2::from(c))).into_response())
}

/// A contact of the customer, with its roles there; 404 if it has none.
async fn fetch(
    state: &AppState,
    caller: &Caller,
    customer_id: String,
    contact_id: String,
) -> Result<pb::Contact, Problem> {
    caller.require("contacts:read")?;
    issued_id(&contact_id)?;
    Ok(state
        .contact
        .clone()
        .get_contact(caller.ctx.request(pb::GetContactRequest {
            contact_id,
            customer_id,
        }))
        .await?
        .into_inner())
}

/// One contact of the customer.
#[utoipa::path(get, path = "/accounts/{customerID}/contacts/{contactID}", tag = "contacts",
    params(("customerID" = String, Path, description = "The customer's id"), ("contactID" = String, Path, description = "The contact's id")),
    responses(
        (status = 200, description = "The contact", body = ContactGet),
        (status = 403, description = "The token lacks contacts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact on a customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:read"])))]
pub async fn get_contact_v1(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, contact_id)): Path<(String, String)>,
) -> Result<Json<ContactGet>, Problem> {
    Ok(Json(
        fetch(&state, &caller, customer_id, contact_id)
            .await?
            .into(),
    ))
}

/// One contact of the customer (v2).
#[utoipa::path(get, path = "/accounts/{customerID}/contacts/{contactID}", tag = "contacts",
    params(("customerID" = String, Path, description = "The customer's id"), ("contactID" = String, Path, description = "The contact's id")),
    responses(
        (status = 200, description = "The contact", body = ContactGetV2),
        (status = 403, description = "The token lacks contacts:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact on a customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:read"])))]
pub async fn get_contact_v2(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, contact_id)): Path<(String, String)>,
) -> Result<Json<ContactGetV2>, Problem> {
    Ok(Json(
        fetch(&state, &caller, customer_id, contact_id)
            .await?
            .into(),
    ))
}

/// The reference's ContactInfoUpdate: every field optional; what is absent
/// stays. `accessRoleNames`, when given, replaces the contact's roles on
/// this customer.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ContactInfoUpdateV2Model)]
pub struct ContactInfoUpdate {
    #[schema(min_length = 1, max_length = 50)]
    pub name: Option<String>,
    #[schema(max_length = 50, format = Email)]
    pub email: Option<String>,
    #[schema(max_length = 50, format = Email)]
    pub alternative_email: Option<String>,
    #[schema(max_length = 100)]
    pub phone: Option<String>,
    #[schema(max_length = 50)]
    pub cellular_phone: Option<String>,
    /// v2 only.
    #[schema(value_type = Option<super::wire::Culture>)]
    pub culture: Option<String>,
    /// Replaces the contact's roles on this customer: at least one, each
    /// suiting the customer (partner roles on partners, account roles on
    /// accounts); the customer's last owner keeps its owner role (409).
    /// Absent: the roles stay.
    #[schema(min_items = 1)]
    pub access_role_names: Option<Vec<String>>,
}

async fn update(
    state: &AppState,
    caller: &Caller,
    customer_id: String,
    contact_id: String,
    body: ContactInfoUpdate,
) -> Result<pb::Contact, Problem> {
    caller.require("contacts:write")?;
    issued_id(&contact_id)?;
    // contact-svc changes roles and information in one transaction, or
    // neither: roles that suit the kind (400), the last owner kept (409).
    // Live tokens of the contact follow within seconds: auth-svc reads the
    // roles afresh on every resolve, and the gateway keeps a resolved token
    // for 2 s at most.
    Ok(state
        .contact
        .clone()
        .update_contact(caller.ctx.request(pb::UpdateContactRequest {
            contact_id,
            customer_id,
            name: body.name,
            email: body.email,
            alternative_email: body.alternative_email,
            phone: body.phone,
            cellular_phone: body.cellular_phone,
            culture: body.culture,
            roles: body.access_role_names.map(|names| pb::RoleNames { names }),
            customer_kind: String::new(),
        }))
        .await?
        .into_inner())
}

/// Change a contact's information, and with `accessRoleNames` its roles on
/// the customer; what is absent stays.
#[utoipa::path(put, path = "/accounts/{customerID}/contacts/{contactID}", tag = "contacts",
    params(("customerID" = String, Path, description = "The customer's id"), ("contactID" = String, Path, description = "The contact's id")),
    request_body = ContactInfoUpdate,
    responses(
        (status = 200, description = "The contact now", body = ContactGet),
        (status = 400, description = "Bad input; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks contacts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact on a customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The roles would take the owner role from the customer's last owner", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:write"])))]
pub async fn put_contact_v1(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, contact_id)): Path<(String, String)>,
    ApiJson(mut body): ApiJson<ContactInfoUpdate>,
) -> Result<Json<ContactGet>, Problem> {
    body.culture = None;
    Ok(Json(
        update(&state, &caller, customer_id, contact_id, body)
            .await?
            .into(),
    ))
}

/// Change a contact's information (v2: with culture), and with
/// `accessRoleNames` its roles on the customer; what is absent stays.
#[utoipa::path(put, path = "/accounts/{customerID}/contacts/{contactID}", tag = "contacts",
    params(("customerID" = String, Path, description = "The customer's id"), ("contactID" = String, Path, description = "The contact's id")),
    request_body = ContactInfoUpdate,
    responses(
        (status = 200, description = "The contact now", body = ContactGetV2),
        (status = 400, description = "Bad input; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks contacts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact on a customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The roles would take the owner role from the customer's last owner", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:write"])))]
pub async fn put_contact_v2(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, contact_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ContactInfoUpdate>,
) -> Result<Json<ContactGetV2>, Problem> {
    Ok(Json(
        update(&state, &caller, customer_id, contact_id, body)
            .await?
            .into(),
    ))
}

/// End the contact's assignment to the customer. The last owner cannot be
/// removed (409). A contact left with no assignment is deleted and its API
/// clients with it.
#[utoipa::path(delete, path = "/accounts/{customerID}/contacts/{contactID}", tag = "contacts",
    params(("customerID" = String, Path, description = "The customer's id"), ("contactID" = String, Path, description = "The contact's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "The token lacks contacts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact on a customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last owner of the customer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:write"])))]
pub async fn delete_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, contact_id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    caller.require("contacts:write")?;
    issued_id(&contact_id)?;
    // A contact left with no assignment is deleted by contact-svc, with its
    // API clients, or not at all.
    state
        .contact
        .clone()
        .remove_assignment(caller.ctx.request(pb::RemoveAssignmentRequest {
            contact_id,
            customer_id,
        }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The reference's ContactAssignV2Model.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ContactAssignV2Model)]
pub struct ContactAssign {
    /// The account (or partner) the contact is assigned to.
    #[serde(rename = "targetAccountID", default)]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub target_account_id: String,
    /// Roles on the target.
    #[serde(default)]
    #[schema(min_items = 1)]
    pub access_role_names: Vec<String>,
}

/// Assign an existing contact of `customerID` to `targetAccountID` with
/// roles there; answers the contact as the target sees it.
#[utoipa::path(post, path = "/accounts/{customerID}/contacts/{contactID}", tag = "contacts",
    params(("customerID" = String, Path, description = "A customer the contact belongs to"), ("contactID" = String, Path, description = "The contact's id")),
    request_body = ContactAssign,
    responses(
        (status = 201, description = "Assigned", body = ContactGetV2),
        (status = 400, description = "Bad roles", body = Problem, content_type = "application/problem+json"),
        (status = 402, description = "The target's Iam_usersMax allows no more users", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks contacts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact, or a customer outside the caller's subtree", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already assigned to the target", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:write"])))]
pub async fn assign_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, contact_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ContactAssign>,
) -> Result<Response, Problem> {
    caller.require("contacts:write")?;
    if !platform::id::is_id(&body.target_account_id) {
        return Err(Problem::field(
            "targetAccountID",
            "must be a 32-character id",
        ));
    }
    issued_id(&contact_id)?;
    // contact-svc checks that the caller reaches both customers and applies
    // the target's rules.
    let c = state
        .contact
        .clone()
        .assign_contact(caller.ctx.request(pb::AssignContactRequest {
            contact_id,
            from_customer_id: customer_id,
            target_customer_id: body.target_account_id,
            roles: body.access_role_names,
            ..Default::default()
        }))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(ContactGetV2::from(c))).into_response())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChange {
    /// Required unless an owner of an ancestor partner resets the password.
    #[schema(format = Password)]
    pub current_password: Option<String>,
    #[schema(required = true, nullable = false, min_length = 6, format = Password)]
    pub new_password: Option<String>,
}

/// Change a contact's password. The contact itself gives its current one
/// (and needs no permission for its own); an owner of an ancestor partner
/// may reset it without.
#[utoipa::path(post, path = "/contacts/{contactID}/password", tag = "contacts",
    params(("contactID" = String, Path, description = "The contact's id")),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Wrong current password or a new one the policy refuses", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks contacts:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["contacts:write"])))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(contact_id): Path<String>,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, Problem> {
    // A contact may always change its own password; anyone else needs
    // contacts:write.
    if caller.principal.contact_id != contact_id {
        caller.require("contacts:write")?;
    }
    issued_id(&contact_id)?;
    // contact-svc decides whether the caller may reset it without the
    // current one (an owner of a partner above) and the policy that applies.
    state
        .contact
        .clone()
        .change_password(caller.ctx.request(pb::ChangePasswordRequest {
            contact_id,
            current_password: body.current_password.unwrap_or_default(),
            new_password: body.new_password.unwrap_or_default(),
            ..Default::default()
        }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
