//! `/accounts/{customerID}/billing`, `…/usage`, `…/invoices` and
//! `…/credits`: a customer's billing information and card, its usage, its
//! invoices and its prepaid credit. billing-svc owns every rule, scopes the
//! customer through account-svc with the caller's principal (outside the
//! caller's subtree: 404) and names bad fields as these bodies spell them;
//! here requests are only translated. Money is integer minor units of an
//! ISO 4217 currency.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use proto::billing::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::wire::AddressViewV2;
use super::wire::PaymentType;
use super::wire::{AddressV2, CreditCardV2};
use crate::AppState;
use crate::auth::Caller;
use crate::extract::{ApiJson, ApiPath as Path, ApiQuery, issued_id, paging};
use crate::problem::Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_billing, put_billing))
        .routes(routes!(set_payment_method))
        .routes(routes!(usage_report))
        .routes(routes!(list_invoices))
        .routes(routes!(get_invoice))
        .routes(routes!(get_credits, allocate_credit))
}

/// An empty proto string is "not set": `null` in JSON.
fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// The card on file, masked: never its number or security code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodView {
    /// The card type in upper case: AMEX, DC, DISCOVER, MC, VISA or MAESTRO.
    pub brand: String,
    /// The last four digits of the card number.
    pub last4: String,
    /// `MM/YY`
    pub expiration_date: String,
    /// Empty when none was given.
    pub holder_name: String,
}

/// A customer's billing information. A create's payment `name`, `phone`
/// and `address` are its first contact and address (DESIGN §6.2).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingInfo {
    #[serde(rename = "customerID")]
    pub customer_id: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    /// Null until one is set.
    pub address: Option<AddressViewV2>,
    /// Null until a payment method was set up.
    #[schema(value_type = Option<PaymentType>)]
    pub payment_type: Option<String>,
    /// The card on file; null for `paperCheck` or none.
    pub payment_method: Option<PaymentMethodView>,
    /// RFC 3339; null until billing information was first set.
    pub updated_at: Option<String>,
}

impl From<pb::BillingInfo> for BillingInfo {
    fn from(b: pb::BillingInfo) -> Self {
        Self {
            customer_id: b.customer_id,
            name: b.name,
            phone: b.phone,
            email: b.email,
            // A stored address always has a first line, a city and a
            // country; an empty one is none.
            address: b
                .address
                .filter(|a| *a != proto::common::v1::Address::default())
                .map(AddressViewV2::from),
            payment_type: non_empty(b.payment_type),
            payment_method: b.payment_method.map(|m| PaymentMethodView {
                brand: m.brand,
                last4: m.last4,
                expiration_date: m.expiration_date,
                holder_name: m.holder_name,
            }),
            updated_at: non_empty(b.updated_at),
        }
    }
}

/// Every field optional; what is absent (or null) stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingInfoUpdate {
    // billing-svc trims text before its checks; a pattern or format here
    // would refuse padded values it accepts, so the rules beyond length are
    // in the descriptions and its 400s.
    /// The billing contact's name: not blank, no control characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// The payment's phone rule (PaymentV2): not blank, at most 100.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub phone: Option<String>,
    /// Where invoices go: `local@domain.tld`.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub email: Option<String>,
    /// Replaces the whole billing address; stored refined as company
    /// addresses are.
    #[serde(default)]
    pub address: Option<AddressV2>,
    /// `paperCheck` drops the card on file; `creditCard` needs one on file
    /// (set it with `PUT …/billing/paymentMethod`).
    #[serde(default)]
    #[schema(value_type = Option<PaymentType>)]
    pub payment_type: Option<String>,
}

/// Permission first (a token without it learns nothing), then the id: one
/// this platform never issues names nothing, so it is 404 without asking.
fn admit(caller: &Caller, permission: &'static str, customer_id: &str) -> Result<(), Problem> {
    caller.require(permission)?;
    issued_id(customer_id)
}

/// The customer's billing information; the card answers masked.
#[utoipa::path(get, path = "/accounts/{customerID}/billing", tag = "billing",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)")),
    responses(
        (status = 200, description = "The billing information", body = BillingInfo),
        (status = 403, description = "The token lacks billing:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["billing:read"])))]
pub async fn get_billing(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
) -> Result<Json<BillingInfo>, Problem> {
    admit(&caller, "billing:read", &customer_id)?;
    let b = state
        .billing
        .clone()
        .get_billing_info(
            caller
                .ctx
                .request(pb::GetBillingInfoRequest { customer_id }),
        )
        .await?
        .into_inner();
    Ok(Json(b.into()))
}

/// Change the billing information; what is absent stays, an address
/// replaces the whole address (validated and refined as a company address).
/// `paperCheck` drops the card on file; `creditCard` needs one (400 naming
/// `paymentType` without).
#[utoipa::path(put, path = "/accounts/{customerID}/billing", tag = "billing",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)")),
    request_body = BillingInfoUpdate,
    responses(
        (status = 200, description = "The billing information now", body = BillingInfo),
        (status = 400, description = "Bad input (or `creditCard` without a card on file); `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks billing:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["billing:write"])))]
pub async fn put_billing(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<BillingInfoUpdate>,
) -> Result<Json<BillingInfo>, Problem> {
    admit(&caller, "billing:write", &customer_id)?;
    let b = state
        .billing
        .clone()
        .update_billing_info(caller.ctx.request(pb::UpdateBillingInfoRequest {
            customer_id,
            name: body.name,
            phone: body.phone,
            email: body.email,
            address: body.address.map(AddressV2::into_pb),
            payment_type: body.payment_type,
        }))
        .await?
        .into_inner();
    Ok(Json(b.into()))
}

/// Make a card the payment method (PaymentCreditCardV2). `type` is read
/// case-insensitively (`visa`, `Maestro`) and answered in upper case;
/// Maestro needs `startDate` (`MM/YY`). The processor verifies the card
/// first: a decline is 409 with the processor's `code` and `reason`, the
/// processor being down 503; either way the previous method stays. Only
/// brand, last four digits and expiry are kept.
#[utoipa::path(put, path = "/accounts/{customerID}/billing/paymentMethod", tag = "billing",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)")),
    request_body = CreditCardV2,
    responses(
        (status = 200, description = "The billing information now", body = BillingInfo),
        (status = 400, description = "Bad card; `errors` names each field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks billing:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The card was declined, is blacklisted or failed fraud screening (`code`, `reason`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The card processor or a service is down; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["billing:write"])))]
pub async fn set_payment_method(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(card): ApiJson<CreditCardV2>,
) -> Result<Json<BillingInfo>, Problem> {
    admit(&caller, "billing:write", &customer_id)?;
    let card = pb::Card {
        r#type: card.kind.unwrap_or_default(),
        card_number: card.card_number.unwrap_or_default(),
        expiration_date: card.expiration_date.unwrap_or_default(),
        security_code: card.security_code.unwrap_or_default(),
        holder_name: card.holder_name.unwrap_or_default(),
        issue_number: card.issue_number.unwrap_or_default(),
        start_date: card.start_date.unwrap_or_default(),
    };
    let b = state
        .billing
        .clone()
        .set_payment_method(caller.ctx.request(pb::SetPaymentMethodRequest {
            customer_id,
            card: Some(card),
        }))
        .await?
        .into_inner();
    Ok(Json(b.into()))
}

#[derive(Debug, Clone, Copy, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UsageGroupBy {
    Day,
    Month,
    Meter,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First instant counted (inclusive): `YYYY-MM-DD` or RFC 3339; default
    /// the first day of the current month (UTC).
    pub from: Option<String>,
    /// End of the range (exclusive): `YYYY-MM-DD` or RFC 3339; default now.
    pub to: Option<String>,
    /// Sum per `day` (default), per `month`, or per `meter` over the range.
    #[serde(rename = "groupBy")]
    #[param(rename = "groupBy", value_type = Option<UsageGroupBy>)]
    pub group_by: Option<String>,
}

/// One sum of a usage report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UsageItem {
    /// `YYYY-MM-DD` for `day`, `YYYY-MM` for `month`, null for `meter`.
    pub period: Option<String>,
    /// e.g. `users`, `api_calls`.
    pub meter: String,
    pub quantity: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    #[serde(rename = "customerID")]
    pub customer_id: String,
    /// The range as applied (RFC 3339).
    pub from: String,
    pub to: String,
    #[schema(value_type = UsageGroupBy)]
    pub group_by: String,
    pub items: Vec<UsageItem>,
}

/// The customer's chargeable activity and, for a partner, its whole
/// subtree's, summed per period and meter.
#[utoipa::path(get, path = "/accounts/{customerID}/usage", tag = "billing",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)"), UsageQuery),
    responses(
        (status = 200, description = "The usage report", body = UsageReport),
        (status = 400, description = "Bad `from`, `to` or `groupBy`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks billing:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["billing:read"])))]
pub async fn usage_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Json<UsageReport>, Problem> {
    admit(&caller, "billing:read", &customer_id)?;
    // billing-svc reads an empty groupBy as the default; one sent empty is
    // not one of the values the document lists.
    if q.group_by.as_deref() == Some("") {
        return Err(Problem::field("groupBy", "must be day, month or meter"));
    }
    let r = state
        .billing
        .clone()
        .get_usage_report(caller.ctx.request(pb::GetUsageReportRequest {
            customer_id,
            from: q.from.unwrap_or_default(),
            to: q.to.unwrap_or_default(),
            group_by: q.group_by.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(Json(UsageReport {
        customer_id: r.customer_id,
        from: r.from,
        to: r.to,
        group_by: r.group_by,
        items: r
            .items
            .into_iter()
            .map(|i| UsageItem {
                period: non_empty(i.period),
                meter: i.meter,
                quantity: i.quantity,
            })
            .collect(),
    }))
}

#[derive(Debug, Clone, Copy, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceLineKind {
    Plan,
    Usage,
}

/// One line of an invoice: the plan's fee, or a meter's usage.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    #[schema(value_type = InvoiceLineKind)]
    pub kind: String,
    pub description: String,
    /// The meter of a usage line; null for the plan line.
    pub meter: Option<String>,
    pub quantity: i64,
    /// The price of `per` units.
    pub unit_amount: i64,
    pub per: i64,
    pub amount: i64,
}

/// A month's invoice: plan fee and usage lines, less the credit applied.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    #[serde(rename = "invoiceID")]
    pub invoice_id: String,
    #[serde(rename = "customerID")]
    pub customer_id: String,
    /// Who pays this invoice: the parent partner when the account pays by
    /// `paperCheck` ("bill to the parent account"), the customer itself
    /// (`customerID`) when it pays by `creditCard`. The payment type at
    /// closing time decides.
    #[serde(rename = "billedToCustomerID")]
    pub billed_to_customer_id: String,
    /// The calendar month billed, `YYYY-MM` (UTC).
    pub period: String,
    pub plan_name: String,
    /// ISO 4217.
    pub currency: String,
    pub lines: Vec<InvoiceLine>,
    /// The sum of the lines.
    pub subtotal: i64,
    /// Prepaid credit used: at most the subtotal.
    pub credits_applied: i64,
    /// `subtotal` − `creditsApplied`.
    pub total: i64,
    /// RFC 3339.
    pub issued_at: String,
}

impl From<pb::Invoice> for Invoice {
    fn from(i: pb::Invoice) -> Self {
        Self {
            invoice_id: i.invoice_id,
            billed_to_customer_id: if i.billed_to_customer_id.is_empty() {
                // A billing-svc that predates the field: the customer paid.
                i.customer_id.clone()
            } else {
                i.billed_to_customer_id
            },
            customer_id: i.customer_id,
            period: i.period,
            plan_name: i.plan_name,
            currency: i.currency,
            lines: i
                .lines
                .into_iter()
                .map(|l| InvoiceLine {
                    kind: l.kind,
                    description: l.description,
                    meter: non_empty(l.meter),
                    quantity: l.quantity,
                    unit_amount: l.unit_amount,
                    // As for plan prices: a price is for at least one unit.
                    per: l.per.max(1),
                    amount: l.amount,
                })
                .collect(),
            subtotal: i.subtotal,
            credits_applied: i.credits_applied,
            total: i.total,
            issued_at: i.issued_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoicePage {
    /// Items on this page.
    pub count: i64,
    /// Invoices of the customer, on every page.
    pub total: i64,
    pub items: Vec<Invoice>,
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
pub struct InvoiceQuery {
    /// Items to skip (default 0), after `after` when both are given.
    /// Deeper pages are walked with `after`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10000)]
    pub skip: Option<String>,
    /// Items per page: 1..=1000, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub take: Option<String>,
    /// The `nextCursor` of the previous page (keyset paging). Opaque: pass
    /// it back as it came.
    #[param(pattern = r"^[2-9][0-9]{3}-(0[1-9]|1[0-2])\.[0-9a-f]{32}$")]
    pub after: Option<String>,
}

/// The customer's invoices, newest period first. Walk them with `after`
/// (the previous page's `nextCursor`): each invoice is met once.
#[utoipa::path(get, path = "/accounts/{customerID}/invoices", tag = "billing",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)"), InvoiceQuery),
    responses(
        (status = 200, description = "A page of invoices", body = InvoicePage),
        (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks billing:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["billing:read"])))]
pub async fn list_invoices(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiQuery(q): ApiQuery<InvoiceQuery>,
) -> Result<Json<InvoicePage>, Problem> {
    caller.require("billing:read")?;
    let (skip, take) = paging(q.skip.as_deref(), q.take.as_deref())?;
    issued_id(&customer_id)?;
    // billing-svc parses the cursor (400 naming `after` when it did not
    // issue it); here it only travels.
    let page = state
        .billing
        .clone()
        .list_invoices(caller.ctx.request(pb::ListInvoicesRequest {
            customer_id,
            skip,
            take,
            after: q.after.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    let items: Vec<Invoice> = page.items.into_iter().map(Invoice::from).collect();
    Ok(Json(InvoicePage {
        count: items.len() as i64,
        total: page.total,
        items,
        next_cursor: non_empty(page.next_cursor),
    }))
}

/// One invoice of the customer.
#[utoipa::path(get, path = "/accounts/{customerID}/invoices/{invoiceID}", tag = "billing",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)"), ("invoiceID" = String, Path, description = "The invoice's id")),
    responses(
        (status = 200, description = "The invoice", body = Invoice),
        (status = 403, description = "The token lacks billing:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invoice of a customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["billing:read"])))]
pub async fn get_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path((customer_id, invoice_id)): Path<(String, String)>,
) -> Result<Json<Invoice>, Problem> {
    admit(&caller, "billing:read", &customer_id)?;
    issued_id(&invoice_id)?;
    let i = state
        .billing
        .clone()
        .get_invoice(caller.ctx.request(pb::GetInvoiceRequest {
            customer_id,
            invoice_id,
        }))
        .await?
        .into_inner();
    Ok(Json(i.into()))
}

#[derive(Debug, Clone, Copy, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CreditEntryKind {
    Allocation,
    Mint,
    Transfer,
    Invoice,
}

/// One entry of the append-only credit ledger.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreditEntry {
    #[serde(rename = "entryID")]
    pub entry_id: String,
    /// Signed: positive adds to the balance.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// `allocation` (received from the parent), `mint` (received from the
    /// root distributor), `transfer` (given to a child) or `invoice`
    /// (applied to an invoice).
    #[schema(value_type = CreditEntryKind)]
    pub kind: String,
    /// The other customer of an allocation, mint or transfer.
    #[serde(rename = "counterpartyID")]
    pub counterparty_id: Option<String>,
    /// The invoice an `invoice` entry paid.
    #[serde(rename = "invoiceID")]
    pub invoice_id: Option<String>,
    pub note: String,
    pub balance_after: i64,
    /// RFC 3339.
    pub created_at: String,
}

impl From<pb::CreditEntry> for CreditEntry {
    fn from(e: pb::CreditEntry) -> Self {
        Self {
            entry_id: e.entry_id,
            amount: e.amount,
            currency: e.currency,
            kind: e.kind,
            counterparty_id: non_empty(e.counterparty_id),
            invoice_id: non_empty(e.invoice_id),
            note: e.note,
            balance_after: e.balance_after,
            created_at: e.created_at,
        }
    }
}

/// A customer's prepaid credit: the balance and a page of the ledger,
/// newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Credits {
    #[serde(rename = "customerID")]
    pub customer_id: String,
    pub balance: i64,
    /// ISO 4217; null until the first credit arrives.
    pub currency: Option<String>,
    /// The root distributor: what it allocates is minted, so its balance
    /// never runs short.
    pub unbounded: bool,
    /// Entries on this page.
    pub count: i64,
    /// Entries in the ledger, on every page.
    pub total: i64,
    pub items: Vec<CreditEntry>,
    /// Pass as `after` for the next page of the ledger; absent on the last
    /// page.
    #[serde(
        rename = "nextCursor",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Entries to skip (default 0), after `after` when both are given.
    /// Deeper pages are walked with `after`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 10000)]
    pub skip: Option<String>,
    /// Entries per page: 1..=1000, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub take: Option<String>,
    /// The `nextCursor` of the previous page (keyset paging).
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub after: Option<String>,
}

/// The customer's credit balance and ledger, newest entry first. Walk the
/// ledger with `after` (the previous page's `nextCursor`): each entry is
/// met once, however many are added meanwhile.
#[utoipa::path(get, path = "/accounts/{customerID}/credits", tag = "billing",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)"), LedgerQuery),
    responses(
        (status = 200, description = "The balance and a page of the ledger", body = Credits),
        (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks billing:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["billing:read"])))]
pub async fn get_credits(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> Result<Json<Credits>, Problem> {
    caller.require("billing:read")?;
    let (skip, take) = paging(q.skip.as_deref(), q.take.as_deref())?;
    issued_id(&customer_id)?;
    let c = state
        .billing
        .clone()
        .get_credits(caller.ctx.request(pb::GetCreditsRequest {
            customer_id,
            skip,
            take,
            after: q.after.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    let items: Vec<CreditEntry> = c.items.into_iter().map(CreditEntry::from).collect();
    Ok(Json(Credits {
        customer_id: c.customer_id,
        balance: c.balance,
        currency: non_empty(c.currency),
        unbounded: c.unbounded,
        count: items.len() as i64,
        total: c.total,
        items,
        next_cursor: non_empty(c.next_cursor),
    }))
}

/// Credit to move from the customer's parent partner to the customer.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CreditAllocation {
    /// Minor units of `currency`.
    #[serde(default, deserialize_with = "crate::extract::opt_integer")]
    #[schema(
        required = true,
        nullable = false,
        minimum = 1,
        maximum = 100000000000i64
    )]
    pub amount: Option<i64>,
    /// ISO 4217, e.g. `USD`; a customer's credit is in one currency (another
    /// one is 400).
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 3,
        max_length = 3,
        pattern = "^[A-Z]{3}$"
    )]
    pub currency: Option<String>,
    /// Printable text.
    #[serde(default)]
    #[schema(max_length = 255)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreditAllocated {
    /// The customer's balance now.
    pub balance: i64,
    pub currency: String,
    /// The customer's new ledger entry.
    pub entry: CreditEntry,
}

/// Allocate credit to a customer from its parent partner, in one
/// transaction. The parent's balance never goes below zero: short of it is
/// 402 with the parent's `balance` and `currency`; the root distributor's is
/// unbounded (it mints).
#[utoipa::path(post, path = "/accounts/{customerID}/credits", tag = "billing",
    params(("customerID" = String, Path, description = "The customer's id (an account or a partner)")),
    request_body = CreditAllocation,
    responses(
        (status = 201, description = "Allocated", body = CreditAllocated),
        (status = 400, description = "Bad `amount`, `currency` or `note`", body = Problem, content_type = "application/problem+json"),
        (status = 402, description = "The parent's balance is short (`balance`, `currency`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks billing:write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer below the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller's own customer or the root distributor: credit moves down from a parent", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; nothing moved", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["billing:write"])))]
pub async fn allocate_credit(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<String>,
    ApiJson(body): ApiJson<CreditAllocation>,
) -> Result<Response, Problem> {
    admit(&caller, "billing:write", &customer_id)?;
    let a = state
        .billing
        .clone()
        .allocate_credit(caller.ctx.request(pb::AllocateCreditRequest {
            customer_id,
            amount: body.amount.unwrap_or_default(),
            currency: body.currency.unwrap_or_default(),
            note: body.note.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    let entry = a
        .entry
        .ok_or_else(|| {
            // A contract breach by billing-svc, not the client's fault.
            tracing::error!("AllocateCredit answered without its entry");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        })?
        .into();
    Ok((
        StatusCode::CREATED,
        Json(CreditAllocated {
            balance: a.balance,
            currency: a.currency,
            entry,
        }),
    )
        .into_response())
}
