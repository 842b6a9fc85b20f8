//! Payment methods: the setup of the create flow (the card verified by the
//! processor, only what PCI DSS lets us keep stored, with the payment's
//! billing contact), reading one, and removing a customer's billing.

use platform::status::Violations;
use proto::billing::v1 as pb;
use tonic::{Request, Status};

use super::{BillingApi, TARGET, check_id};
use crate::State;
use crate::domain::info::{PaymentName, PaymentPhone};
use crate::domain::{CardFields, CardOnFile, PaymentType, VerifiedCard};
use crate::error::Error;
use crate::processor::ProcessorToken;
use crate::store::info::Contact;
use crate::store::payment_method::{self, NewPaymentMethod};

/// Parses a card, naming violations under `prefix` (`payment.creditCard.`
/// in a create, nothing in a payment-method change).
pub(super) fn parse_card(c: &pb::Card, prefix: &str, v: &mut Violations) -> Option<VerifiedCard> {
    match VerifiedCard::parse(&CardFields {
        card_type: &c.r#type,
        number: &c.card_number,
        expiration_date: &c.expiration_date,
        security_code: &c.security_code,
        holder_name: &c.holder_name,
        issue_number: &c.issue_number,
        start_date: &c.start_date,
    }) {
        Ok(card) => Some(card),
        Err(errors) => {
            for (field, message) in errors {
                v.add(format!("{prefix}{field}"), message);
            }
            None
        }
    }
}

/// The row of a verified card: only what PCI DSS lets us keep.
/// `expiration_date` is `kept.expiry` printed, which the row borrows.
fn card_method<'a>(
    customer_id: &'a str,
    kept: &'a CardOnFile,
    token: &'a ProcessorToken,
    expiration_date: &'a str,
) -> NewPaymentMethod<'a> {
    NewPaymentMethod {
        customer_id,
        payment_type: PaymentType::CreditCard.as_str(),
        processor_token: Some(token.as_str()),
        brand: Some(kept.brand.as_str()),
        last4: Some(&kept.last4),
        expiration_date: Some(expiration_date),
        holder_name: Some(kept.holder_name.as_str()).filter(|h| !h.is_empty()),
    }
}

/// Records a verified card as the customer's payment method.
pub(super) async fn keep_card(
    state: &State,
    customer_id: &str,
    kept: &CardOnFile,
    token: &ProcessorToken,
) -> Result<(), Error> {
    let expiration_date = kept.expiry.to_string();
    payment_method::upsert(
        &state.db,
        &card_method(customer_id, kept, token, &expiration_date),
    )
    .await
}

/// The payment's billing contact, parsed (PaymentV2 `name` and `phone`).
struct BillingContact {
    name: PaymentName,
    phone: PaymentPhone,
    /// As account-svc sent it: it owns the address rules and has checked
    /// and refined it already; absent is stored as no address.
    address: proto::common::v1::Address,
}

impl BillingContact {
    fn as_row(&self) -> Contact<'_> {
        let a = &self.address;
        Contact {
            name: self.name.as_str(),
            phone: self.phone.as_str(),
            address: [
                &a.line1, &a.line2, &a.line3, &a.city, &a.state, &a.zip, &a.country,
            ],
        }
    }
}

/// A SetupPaymentRequest past PaymentV2's rules, its raw card gone.
struct Setup {
    customer_id: String,
    validate_only: bool,
    payment_type: PaymentType,
    /// `None` for paperCheck.
    card: Option<VerifiedCard>,
    contact: BillingContact,
}

impl Setup {
    /// Every rule judged at once, so one answer names every problem.
    fn parse(r: pb::SetupPaymentRequest) -> Result<Self, Error> {
        // Violations point where the caller's document holds the payment
        // (e.g. `payment` in AccountCreateV2), so the client can fix them.
        let prefix = if r.field_prefix.is_empty() {
            "payment"
        } else {
            r.field_prefix.as_str()
        };
        let mut v = Violations::new();
        v.require_id("customerID", &r.customer_id);
        // PaymentV2's table order: name, phone, (address: account-svc's),
        // type, creditCard.
        let name = v.check(&format!("{prefix}.name"), PaymentName::parse(&r.name));
        let phone = v.check(&format!("{prefix}.phone"), PaymentPhone::parse(&r.phone));
        let payment_type = v.check(
            &format!("{prefix}.type"),
            PaymentType::parse(&r.payment_type),
        );
        let card = match (payment_type, &r.card) {
            (Some(PaymentType::CreditCard), None) => {
                v.add(format!("{prefix}.creditCard"), "is required for creditCard");
                None
            }
            (Some(PaymentType::CreditCard), Some(c)) => {
                parse_card(c, &format!("{prefix}.creditCard."), &mut v)
            }
            // paperCheck bills the parent partner: a card sent along is ignored, never verified.
            (Some(PaymentType::PaperCheck) | None, _) => None,
        };
        // The raw request holds the card number and security code; it goes now.
        drop(r.card);
        let (Some(payment_type), Some(name), Some(phone)) = (payment_type, name, phone) else {
            return Err(Error::Invalid(v.into_vec()));
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()));
        }
        Ok(Self {
            customer_id: r.customer_id,
            validate_only: r.validate_only,
            payment_type,
            card,
            contact: BillingContact {
                name,
                phone,
                address: r.address.unwrap_or_default(),
            },
        })
    }
}

/// The answer to a setup: what was (or, validating only, would be) stored.
fn answer(
    customer_id: String,
    payment_type: PaymentType,
    kept: Option<&CardOnFile>,
) -> pb::PaymentMethod {
    pb::PaymentMethod {
        customer_id,
        payment_type: payment_type.as_str().into(),
        brand: kept
            .map(|k| k.brand.as_str().to_owned())
            .unwrap_or_default(),
        last4: kept.map(|k| k.last4.clone()).unwrap_or_default(),
        expiration_date: kept.map(|k| k.expiry.to_string()).unwrap_or_default(),
        holder_name: kept
            .map(|k| k.holder_name.as_str().to_owned())
            .unwrap_or_default(),
    }
}

pub(super) fn to_pb(row: payment_method::PaymentMethodRow) -> pb::PaymentMethod {
    pb::PaymentMethod {
        customer_id: row.customer_id,
        payment_type: row.payment_type,
        brand: row.brand.unwrap_or_default(),
        last4: row.last4.unwrap_or_default(),
        expiration_date: row.expiration_date.unwrap_or_default(),
        holder_name: row.holder_name.unwrap_or_default(),
    }
}

impl BillingApi {
    /// Has the processor verify the card. PCI DSS 3.3.1 / 3.4.1: the card
    /// number and security code are dropped here, whatever the processor
    /// said. They are never stored, logged or put in an error message; only
    /// the brand, last four, expiry, holder and the processor's token remain.
    /// Maestro's issue number and start date, which only the processor
    /// needs, go with them.
    pub(super) async fn verify(
        &self,
        card: VerifiedCard,
        customer_id: &str,
    ) -> Result<(CardOnFile, ProcessorToken), Error> {
        let verified = self.state.processor.verify(&card).await;
        let kept = card.into_on_file();
        let token = verified.map_err(|e| {
            tracing::info!(
                target: TARGET,
                customer_id,
                error = %e,
                last4 = kept.last4,
                "card not accepted"
            );
            Error::from(e)
        })?;
        Ok((kept, token))
    }

    pub(super) async fn set_up(
        &self,
        req: Request<pb::SetupPaymentRequest>,
    ) -> Result<pb::PaymentMethod, Status> {
        let Setup {
            customer_id,
            validate_only,
            payment_type,
            card,
            contact,
        } = Setup::parse(req.into_inner())?;
        if validate_only {
            // A dry run for callers that judge a whole document before acting
            // (account creation): rules only, no processor call, nothing stored.
            let kept = card.map(VerifiedCard::into_on_file);
            return Ok(answer(customer_id, payment_type, kept.as_ref()));
        }
        // The payment method and the billing contact that came with it are
        // written together (DESIGN §6.2: payment `name`, `phone`, `address`
        // become the customer's billing information); a decline or an
        // outage returns before either is.
        let kept = match card {
            None => {
                payment_method::set_up(
                    &self.state.db,
                    &NewPaymentMethod {
                        customer_id: &customer_id,
                        payment_type: payment_type.as_str(),
                        processor_token: None,
                        brand: None,
                        last4: None,
                        expiration_date: None,
                        holder_name: None,
                    },
                    &contact.as_row(),
                )
                .await?;
                None
            }
            Some(card) => {
                let (kept, token) = self.verify(card, &customer_id).await?;
                let expiration_date = kept.expiry.to_string();
                payment_method::set_up(
                    &self.state.db,
                    &card_method(&customer_id, &kept, &token, &expiration_date),
                    &contact.as_row(),
                )
                .await?;
                Some(kept)
            }
        };
        let answer = answer(customer_id, payment_type, kept.as_ref());
        tracing::info!(
            target: TARGET,
            customer_id = answer.customer_id,
            payment_type = answer.payment_type,
            brand = answer.brand,
            last4 = answer.last4,
            "payment method set up"
        );
        Ok(answer)
    }

    pub(super) async fn method_of(
        &self,
        req: Request<pb::GetPaymentMethodRequest>,
    ) -> Result<pb::PaymentMethod, Status> {
        let r = req.into_inner();
        check_id("customerID", &r.customer_id)?;
        let row = payment_method::find(&self.state.db, &r.customer_id)
            .await?
            .ok_or(Error::NotFound("payment method"))?;
        Ok(to_pb(row))
    }

    pub(super) async fn delete_billing(
        &self,
        req: Request<pb::DeleteCustomerBillingRequest>,
    ) -> Result<pb::DeleteCustomerBillingResponse, Status> {
        let r = req.into_inner();
        check_id("customerID", &r.customer_id)?;
        // Invoices, usage and the credit ledger are financial records and
        // stay; what identifies where to bill goes.
        let removed = payment_method::delete(&self.state.db, &r.customer_id).await?
            + crate::store::info::delete(&self.state.db, &r.customer_id).await?;
        tracing::info!(
            target: TARGET,
            customer_id = r.customer_id,
            removed,
            "customer billing removed"
        );
        Ok(pb::DeleteCustomerBillingResponse {})
    }
}
