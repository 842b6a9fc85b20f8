//! Billing information and payment-method changes of existing customers.

use platform::context::CallContext;
use platform::status::Violations;
use proto::account::v1 as account_pb;
use proto::billing::v1 as pb;
use proto::common::v1::Address;
use tonic::Request;

use super::BillingApi;
use super::payments::{keep_card, parse_card, to_pb};
use crate::domain::{PaymentType, info};
use crate::error::Error;
use crate::store::info as store;
use crate::store::payment_method;

impl BillingApi {
    /// What billing holds for a customer it has already resolved.
    pub(super) async fn info_of(&self, customer_id: &str) -> Result<pb::BillingInfo, Error> {
        let row = store::find(&self.state.db, customer_id).await?;
        let method = payment_method::find(&self.state.db, customer_id).await?;
        let (payment_type, payment_method) = match method {
            Some(m) if m.last4.is_some() => (m.payment_type.clone(), Some(to_pb(m))),
            Some(m) => (m.payment_type, None),
            None => (String::new(), None),
        };
        let row = row.unwrap_or_default();
        let [line1, line2, line3, city, state, zip, country] = row.address;
        let address =
            (!line1.is_empty() || !city.is_empty() || !country.is_empty()).then_some(Address {
                line1,
                line2,
                line3,
                city,
                state,
                zip,
                country,
            });
        Ok(pb::BillingInfo {
            customer_id: customer_id.to_owned(),
            name: row.name,
            phone: row.phone,
            email: row.email,
            address,
            payment_type,
            payment_method,
            updated_at: row.updated_at,
        })
    }

    pub(super) async fn get_info(
        &self,
        req: Request<pb::GetBillingInfoRequest>,
    ) -> Result<pb::BillingInfo, Error> {
        let ctx = CallContext::from_request(&req)?;
        let c = self.customer(&ctx, &req.get_ref().customer_id).await?;
        self.info_of(&c.customer_id).await
    }

    /// The address as account-svc refined it, or `None` with account-svc's
    /// problems recorded in `v`.
    async fn refined_address(
        &self,
        ctx: &CallContext,
        a: Address,
        v: &mut Violations,
    ) -> Result<Option<Address>, Error> {
        let checked = self
            .state
            .accounts
            .clone()
            .validate_address(ctx.internal().request(account_pb::ValidateAddressRequest {
                address: Some(a),
                field_prefix: "address".into(),
            }))
            .await?
            .into_inner();
        if checked.status == 2 || checked.address.is_none() {
            for e in checked.errors {
                v.add(e.field, e.message);
            }
            if v.is_empty() {
                v.add("address", "is not a valid address");
            }
            Ok(None)
        } else {
            Ok(checked.address)
        }
    }

    pub(super) async fn update_info(
        &self,
        req: Request<pb::UpdateBillingInfoRequest>,
    ) -> Result<pb::BillingInfo, Error> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        // Scope first: an outsider learns nothing, not even that its input was bad.
        let c = self.customer(&ctx, &r.customer_id).await?;
        let mut v = Violations::new();
        let name = r
            .name
            .as_deref()
            .and_then(|s| v.check("name", info::name(s)));
        let phone = r
            .phone
            .as_deref()
            .and_then(|s| v.check("phone", info::phone(s)));
        let email = r
            .email
            .as_deref()
            .and_then(|s| v.check("email", info::email(s)));
        let payment_type = r
            .payment_type
            .as_deref()
            .and_then(|s| v.check("paymentType", PaymentType::parse(s)));
        let address = match r.address {
            None => None,
            // The v2 address rules are account-svc's: it validates and refines.
            Some(a) => self.refined_address(&ctx, a, &mut v).await?,
        };
        let current = payment_method::find(&self.state.db, &c.customer_id).await?;
        if payment_type == Some(PaymentType::CreditCard)
            && current.as_ref().is_none_or(|m| m.last4.is_none())
        {
            v.add(
                "paymentType",
                "creditCard needs a card on file: set one with PUT …/billing/paymentMethod",
            );
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()));
        }
        let mut row = store::find(&self.state.db, &c.customer_id)
            .await?
            .unwrap_or_default();
        if let Some(name) = name {
            row.name = name;
        }
        if let Some(phone) = phone {
            row.phone = phone;
        }
        if let Some(email) = email {
            row.email = email;
        }
        if let Some(a) = address {
            row.address = [a.line1, a.line2, a.line3, a.city, a.state, a.zip, a.country];
        }
        row.updated_at = platform::id::now_rfc3339();
        let to_paper_check = payment_type == Some(PaymentType::PaperCheck);
        store::save(&self.state.db, &c.customer_id, &row, to_paper_check).await?;
        tracing::info!(
            customer_id = c.customer_id,
            to_paper_check,
            "billing information updated"
        );
        self.info_of(&c.customer_id).await
    }

    pub(super) async fn set_card(
        &self,
        req: Request<pb::SetPaymentMethodRequest>,
    ) -> Result<pb::BillingInfo, Error> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let c = match self.customer(&ctx, &r.customer_id).await {
            Ok(c) => c,
            Err(e) => {
                drop(r.card); // never kept past the answer
                return Err(e);
            }
        };
        let mut v = Violations::new();
        let card = match &r.card {
            Some(card) => parse_card(card, "", &mut v),
            None => {
                v.add("cardNumber", "is required");
                None
            }
        };
        // The raw request holds the card number and security code; it goes now.
        drop(r.card);
        let Some(card) = card.filter(|_| v.is_empty()) else {
            return Err(Error::Invalid(v.into_vec()));
        };
        // A decline or an outage returns here, before anything is written:
        // the previous method stays.
        let (kept, token) = self.verify(card, &c.customer_id).await?;
        keep_card(&self.state, &c.customer_id, &kept, &token).await?;
        tracing::info!(
            customer_id = c.customer_id,
            brand = kept.brand.as_str(),
            last4 = kept.last4,
            "payment method changed"
        );
        self.info_of(&c.customer_id).await
    }
}
