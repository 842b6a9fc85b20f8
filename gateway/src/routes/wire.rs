//! The wire types more than one route module speaks: the account models of
//! both versions, addresses, cards, programmes, cultures. One module, so a
//! route module imports from here and never from a sibling.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub enum PaymentType {
    CreditCard,
    PaperCheck,
}

/// The reference's programs: what a customer is.
#[derive(Debug, Clone, Copy, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Program {
    Partner,
    Account,
}

#[derive(Debug, Clone, Copy, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum PartnerProgram {
    Partner,
    Advisor,
}

/// The European address model (the reference's AddressV2).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AddressV2Model)]
pub struct AddressV2 {
    /// v1's `street` is accepted here too, so v1 bodies keep working on v2.
    #[serde(alias = "street")]
    #[schema(required = true, nullable = false, min_length = 1, max_length = 100)]
    pub address_line1: Option<String>,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub address_line2: Option<String>,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub address_line3: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub city: Option<String>,
    /// Required (name or ISO 3166-2 code) in US, CA, NL, IT and DE.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub state: Option<String>,
    /// In the national format where the platform knows it.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub zip: Option<String>,
    /// ISO 3166 country name or alpha-2 code.
    #[schema(required = true, nullable = false, min_length = 2, max_length = 50)]
    pub country: Option<String>,
}

/// The reference's PaymentCreditCardV2. The card goes to the processor and
/// is dropped: only brand, last four digits and expiry are kept. `Debug` is
/// written by hand so that no log ever shows the number or the code.
#[derive(Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PaymentCreditCardV2Model)]
pub struct CreditCardV2 {
    /// AMEX, DC, DISCOVER, MC, VISA or MAESTRO, in any case.
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
    /// At most 2 characters; not every card has one.
    #[serde(default)]
    #[schema(max_length = 2)]
    pub issue_number: Option<String>,
    /// `MM/YY`; required for Maestro.
    #[serde(default)]
    #[schema(pattern = "^(0[1-9]|1[0-2])/[0-9]{2}$")]
    pub start_date: Option<String>,
    /// `MM/YY`
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(0[1-9]|1[0-2])/[0-9]{2}$"
    )]
    pub expiration_date: Option<String>,
    #[schema(required = true, nullable = false, pattern = "^[0-9]{3,4}$")]
    pub security_code: Option<String>,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub holder_name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AddressGetV2Model)]
pub struct AddressViewV2 {
    pub address_line1: String,
    pub address_line2: String,
    pub address_line3: String,
    pub city: String,
    /// ISO 3166-2 subdivision code without the country prefix, where one applies.
    pub state: String,
    pub zip: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// The OpenAPI schema of a `culture` (fields name it with `value_type`):
/// any `ll-CC` tag, an ISO 639-1 language and an ISO 3166-1 alpha-2
/// country, case-insensitive, answered upper case (DESIGN §6.2). The
/// reference's list ("e.g. 'EN-US', 'EN-GB', …") gives the examples, not a
/// closed set; which codes exist is the services' to check (account-svc for
/// companies and settings, contact-svc for contacts). A schema only, never
/// a value: the fields stay strings.
pub struct Culture;

/// An account or partner as the reference's AccountGetV1 shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = AccountGetV1Model)]
pub struct AccountGet {
    /// `["partner"]` or `["account"]`.
    #[schema(value_type = Vec<Program>)]
    pub programs: Vec<String>,
    #[serde(rename = "customerID")]
    pub customer_id: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    /// When the customer was created, as the reference's examples write it:
    /// ISO 8601 with milliseconds and offset (`2017-04-20T09:50:26.203+00:00`).
    #[serde(rename = "purchaseDate")]
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")]
    pub purchase_date: String,
    /// Empty for the root distributor.
    #[serde(rename = "parentPartnerID")]
    pub parent_partner_id: String,
    #[serde(rename = "planName")]
    pub plan_name: String,
    /// `enabled` or `disabled`.
    pub state: String,
    /// `account` or `partner`.
    pub kind: String,
    /// The owner contact created with the customer.
    #[serde(rename = "ownerContactID", default)]
    pub owner_contact_id: String,
    /// For partners: `distributor`, `partner` or `advisor`.
    #[serde(
        rename = "partnerProgram",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub partner_program: String,
}

/// An account or partner as v2 shows it (the reference's AccountGetV2).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = AccountGetV2Model)]
pub struct AccountGetV2 {
    /// `["partner"]` or `["account"]`.
    #[schema(value_type = Vec<Program>)]
    pub programs: Vec<String>,
    #[serde(rename = "customerID")]
    pub customer_id: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    /// The day the customer was created, `YYYY-MM-DD` (UTC).
    #[serde(rename = "purchaseDate")]
    #[schema(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub purchase_date: String,
    #[serde(rename = "parentPartnerID")]
    pub parent_partner_id: String,
    #[serde(rename = "planName")]
    pub plan_name: String,
    /// `enabled` or `disabled`.
    pub state: String,
    /// `account` or `partner`.
    pub kind: String,
    #[serde(
        rename = "partnerProgram",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub partner_program: String,
    #[serde(rename = "ownerContactID", default)]
    pub owner_contact_id: String,
    #[serde(rename = "msaAccepted", default)]
    pub msa_accepted: bool,
    /// The OptionsV2 given at creation.
    #[serde(default)]
    pub options: std::collections::BTreeMap<String, String>,
}

/// The reference's PaymentV2: how the customer pays, and its billing
/// contact and address (what `GET accounts/{customerID}/billing` answers).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PaymentV2Model)]
pub struct PaymentV2 {
    #[schema(required = true, nullable = false, min_length = 1, max_length = 50)]
    pub name: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 100)]
    pub phone: Option<String>,
    #[schema(required = true, nullable = false)]
    pub address: Option<AddressV2>,
    /// `creditCard` (needs `creditCard`; the parent must have payment
    /// processing) or `paperCheck` (bills the parent).
    #[serde(rename = "type")]
    #[schema(required = true, nullable = false, value_type = Option<PaymentType>)]
    pub kind: Option<String>,
    pub credit_card: Option<CreditCardV2>,
}

/// Field paths as v1's model spells them: `street` is v2's `addressLine1`,
/// the name is `userName`, and the owner's fields sit in `general` itself.
pub fn v1_field(field: &str) -> String {
    let field = field
        .replace("address.addressLine1", "address.street")
        .replace("general.accountName", "general.userName");
    match field.strip_prefix("general.owner.") {
        Some(rest) => format!("general.{rest}"),
        None if field == "general.owner" => "general".into(),
        None => field,
    }
}
