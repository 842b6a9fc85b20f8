//! The BillingService API: parse the request into domain types, have the
//! processor verify a card, store what may be kept, answer. The payment
//! setup of the create flow is here; the rest is split by topic:
//! [`info`] billing information and payment methods, [`usage`] chargeable
//! activity, [`invoices`] periods and invoices, [`credits`] prepaid credit.
//! AllocateCredit honours an `Idempotency-Key` the gateway forwards
//! ([`platform::idempotency`]): see `idempotent` below.

mod credits;
mod info;
mod invoices;
mod usage;

use platform::context::CallContext;
use platform::idempotency::{self, Key};
use platform::status::Violations;
use proto::account::v1 as account_pb;
use proto::billing::v1 as pb;
use tonic::{Request, Response, Status};

use crate::State;
use crate::domain::info::{PaymentName, PaymentPhone};
use crate::domain::{CardFields, CardOnFile, PaymentType, VerifiedCard};
use crate::error::Error;
use crate::processor::ProcessorToken;
use crate::store::info::Contact;
use crate::store::payment_method::{self, NewPaymentMethod};

pub struct BillingApi {
    pub state: State,
}

fn check_id(field: &str, id: &str) -> Result<(), Error> {
    if platform::id::is_id(id) {
        Ok(())
    } else {
        Err(Error::Invalid(vec![(
            field.into(),
            "must be a 32-character id".into(),
        )]))
    }
}

/// Parses a card, naming violations under `prefix` (`payment.creditCard.`
/// in a create, nothing in a payment-method change).
fn parse_card(c: &pb::Card, prefix: &str, v: &mut Violations) -> Option<VerifiedCard> {
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

impl BillingApi {
    /// The customer as the caller may see it: account-svc answers with the
    /// caller's principal, so one outside its subtree is NOT_FOUND here too.
    async fn customer(
        &self,
        ctx: &CallContext,
        customer_id: &str,
    ) -> Result<account_pb::Customer, Error> {
        if !platform::id::is_id(customer_id) {
            return Err(Error::NotFound("customer"));
        }
        Ok(self
            .state
            .accounts
            .clone()
            .get_customer(ctx.request(account_pb::GetCustomerRequest {
                customer_id: customer_id.to_owned(),
            }))
            .await?
            .into_inner())
    }

    /// Has the processor verify the card. PCI DSS 3.3.1 / 3.4.1: the card
    /// number and security code are dropped here, whatever the processor
    /// said. They are never stored, logged or put in an error message; only
    /// the brand, last four, expiry, holder and the processor's token remain.
    /// Maestro's issue number and start date, which only the processor
    /// needs, go with them.
    async fn verify(
        &self,
        card: VerifiedCard,
        customer_id: &str,
    ) -> Result<(CardOnFile, ProcessorToken), Error> {
        let verified = self.state.processor.verify(&card).await;
        let kept = card.into_on_file();
        let token = verified.map_err(|e| {
            tracing::info!(customer_id, error = %e, last4 = kept.last4, "card not accepted");
            Error::from(e)
        })?;
        Ok((kept, token))
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
async fn keep_card(
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

#[tonic::async_trait]
impl pb::billing_service_server::BillingService for BillingApi {
    async fn setup_payment(
        &self,
        req: Request<pb::SetupPaymentRequest>,
    ) -> Result<Response<pb::PaymentMethod>, Status> {
        let r = req.into_inner();
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
            return Err(Error::Invalid(v.into_vec()).into());
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let contact = BillingContact {
            name,
            phone,
            address: r.address.unwrap_or_default(),
        };

        let customer_id = r.customer_id;
        if r.validate_only {
            // A dry run for callers that judge a whole document before acting
            // (account creation): rules only, no processor call, nothing stored.
            let kept = card.map(VerifiedCard::into_on_file);
            return Ok(Response::new(answer(
                customer_id,
                payment_type,
                kept.as_ref(),
            )));
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
            customer_id = answer.customer_id,
            payment_type = answer.payment_type,
            brand = answer.brand,
            last4 = answer.last4,
            "payment method set up"
        );
        Ok(Response::new(answer))
    }

    async fn get_payment_method(
        &self,
        req: Request<pb::GetPaymentMethodRequest>,
    ) -> Result<Response<pb::PaymentMethod>, Status> {
        let r = req.into_inner();
        check_id("customerID", &r.customer_id)?;
        let row = payment_method::find(&self.state.db, &r.customer_id)
            .await?
            .ok_or(Error::NotFound("payment method"))?;
        Ok(Response::new(to_pb(row)))
    }

    async fn delete_customer_billing(
        &self,
        req: Request<pb::DeleteCustomerBillingRequest>,
    ) -> Result<Response<pb::DeleteCustomerBillingResponse>, Status> {
        let r = req.into_inner();
        check_id("customerID", &r.customer_id)?;
        // Invoices, usage and the credit ledger are financial records and
        // stay; what identifies where to bill goes.
        let removed = payment_method::delete(&self.state.db, &r.customer_id).await?
            + crate::store::info::delete(&self.state.db, &r.customer_id).await?;
        tracing::info!(
            customer_id = r.customer_id,
            removed,
            "customer billing removed"
        );
        Ok(Response::new(pb::DeleteCustomerBillingResponse {}))
    }

    async fn get_billing_info(
        &self,
        req: Request<pb::GetBillingInfoRequest>,
    ) -> Result<Response<pb::BillingInfo>, Status> {
        Ok(Response::new(self.get_info(req).await?))
    }

    async fn update_billing_info(
        &self,
        req: Request<pb::UpdateBillingInfoRequest>,
    ) -> Result<Response<pb::BillingInfo>, Status> {
        Ok(Response::new(self.update_info(req).await?))
    }

    async fn set_payment_method(
        &self,
        req: Request<pb::SetPaymentMethodRequest>,
    ) -> Result<Response<pb::BillingInfo>, Status> {
        Ok(Response::new(self.set_card(req).await?))
    }

    async fn record_usage(
        &self,
        req: Request<pb::RecordUsageRequest>,
    ) -> Result<Response<pb::RecordUsageResponse>, Status> {
        Ok(Response::new(self.record(req).await?))
    }

    async fn get_usage_report(
        &self,
        req: Request<pb::GetUsageReportRequest>,
    ) -> Result<Response<pb::UsageReport>, Status> {
        Ok(Response::new(self.report(req).await?))
    }

    async fn close_period(
        &self,
        req: Request<pb::ClosePeriodRequest>,
    ) -> Result<Response<pb::ClosePeriodResponse>, Status> {
        Ok(Response::new(self.close(req).await?))
    }

    async fn list_invoices(
        &self,
        req: Request<pb::ListInvoicesRequest>,
    ) -> Result<Response<pb::ListInvoicesResponse>, Status> {
        Ok(Response::new(self.invoices(req).await?))
    }

    async fn get_invoice(
        &self,
        req: Request<pb::GetInvoiceRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        Ok(Response::new(self.invoice(req).await?))
    }

    async fn get_credits(
        &self,
        req: Request<pb::GetCreditsRequest>,
    ) -> Result<Response<pb::Credits>, Status> {
        Ok(Response::new(self.credits(req).await?))
    }

    async fn allocate_credit(
        &self,
        req: Request<pb::AllocateCreditRequest>,
    ) -> Result<Response<pb::AllocateCreditResponse>, Status> {
        let key = Key::from_request(&req);
        idempotency::run(&self.state.db, key, |key| self.allocate(req, key)).await
    }
}

/// The deepest `skip` a list takes, as at the gateway: deeper pages are
/// walked with `after`, whose cost does not grow with depth.
const MAX_SKIP: i64 = 10_000;

/// A list request's paging, parsed.
struct Page<C> {
    skip: i64,
    /// One more than asked: a row beyond the page says another follows.
    fetch: i64,
    take: i64,
    /// Where the previous page ended; `None` for the first.
    after: Option<C>,
}

impl<C> Page<C> {
    /// `skip` 0..=[`MAX_SKIP`], `take` 1..=1000 (0: the default 100) and
    /// `after` (empty, or a cursor `cursor` parses); every violation is
    /// named at once.
    fn parse(
        skip: i64,
        take: i64,
        after: &str,
        cursor: impl FnOnce(&str) -> Result<C, String>,
    ) -> Result<Self, Error> {
        let take = if take == 0 { 100 } else { take };
        let mut v = Violations::new();
        if skip < 0 {
            v.add("skip", "must not be negative");
        } else if skip > MAX_SKIP {
            v.add(
                "skip",
                format!("must be at most {MAX_SKIP}; walk deeper with after"),
            );
        }
        if !(1..=1000).contains(&take) {
            v.add("take", "must be between 1 and 1000");
        }
        let after = if after.is_empty() {
            None
        } else {
            v.check("after", cursor(after))
        };
        if v.is_empty() {
            Ok(Self {
                skip,
                fetch: take + 1,
                take,
                after,
            })
        } else {
            Err(Error::Invalid(v.into_vec()))
        }
    }

    /// Cuts the rows fetched to the page; its last row when more follow
    /// (the one the next page's cursor names).
    fn cut<'r, T>(&self, rows: &'r mut Vec<T>) -> Option<&'r T> {
        let more = rows.len() as i64 > self.take;
        rows.truncate(self.take as usize);
        rows.last().filter(|_| more)
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

fn to_pb(row: payment_method::PaymentMethodRow) -> pb::PaymentMethod {
    pb::PaymentMethod {
        customer_id: row.customer_id,
        payment_type: row.payment_type,
        brand: row.brand.unwrap_or_default(),
        last4: row.last4.unwrap_or_default(),
        expiration_date: row.expiration_date.unwrap_or_default(),
        holder_name: row.holder_name.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use pb::billing_service_server::BillingService as _;
    use sqlx::Row as _;
    use tonic::Code;

    use super::*;

    const CUSTOMER: &str = "78717cfafd164deea943cc53d43c2f35";

    /// Each test gets its own SQLite file, removed when the guard drops.
    struct TestApi {
        api: BillingApi,
        dir: std::path::PathBuf,
    }

    impl Drop for TestApi {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    async fn api() -> TestApi {
        api_with(platform::grpc::channel("http://127.0.0.1:9").expect("channel")).await
    }

    /// An API whose account-svc answers on `accounts`.
    async fn api_with(accounts: tonic::transport::Channel) -> TestApi {
        let dir = std::env::temp_dir().join(format!("billing-svc-{}", platform::id::new_id()));
        let storage = platform::config::Storage {
            data_dir: dir.clone(),
            database_url: None,
            schema_prefix: String::new(),
            redis_url: None,
        };
        let accounts = proto::account::v1::account_service_client::AccountServiceClient::new(
            platform::grpc::Traced::new(accounts, platform::fake_peer::caller()),
        );
        let state = State::open(&storage, accounts, platform::cache::Cache::in_memory())
            .await
            .expect("open");
        TestApi {
            api: BillingApi { state },
            dir,
        }
    }

    /// An expiry two years ahead, so the tests do not age.
    fn future_expiry() -> String {
        format!(
            "12/{:02}",
            (time::OffsetDateTime::now_utc().year() + 2) % 100
        )
    }

    /// The payment's billing contact and address as account-svc sends them:
    /// the reference v1 example's, the address already refined.
    fn billed() -> pb::SetupPaymentRequest {
        pb::SetupPaymentRequest {
            name: " Company name ".into(),
            phone: "12365458789".into(),
            address: Some(anaheim()),
            ..Default::default()
        }
    }

    fn anaheim() -> proto::common::v1::Address {
        proto::common::v1::Address {
            line1: "104 South Anaheim Boulevard".into(),
            city: "Anaheim".into(),
            state: "CA".into(),
            zip: "92805-6010".into(),
            country: "US".into(),
            ..Default::default()
        }
    }

    fn card_request(card_type: &str, number: &str, code: &str) -> pb::SetupPaymentRequest {
        pb::SetupPaymentRequest {
            customer_id: CUSTOMER.into(),
            payment_type: "creditCard".into(),
            card: Some(pb::Card {
                r#type: card_type.into(),
                card_number: number.into(),
                expiration_date: future_expiry(),
                security_code: code.into(),
                holder_name: "Ann Lee".into(),
                ..pb::Card::default()
            }),
            field_prefix: String::new(),
            validate_only: false,
            ..billed()
        }
    }

    async fn stored_rows(t: &TestApi) -> Vec<Vec<Option<String>>> {
        let rows = sqlx::query("select * from payment_method")
            .fetch_all(&t.api.state.db.pool)
            .await
            .expect("select");
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<Option<String>, _>(i).expect("text column"))
                    .collect()
            })
            .collect()
    }

    #[tokio::test]
    async fn approved_card_stores_only_brand_last4_expiry_and_token() {
        let t = api().await;
        let answer = t
            .api
            .setup_payment(Request::new(card_request(
                "VISA",
                "4111 1111 1111 1111",
                "123",
            )))
            .await
            .expect("approved")
            .into_inner();
        assert_eq!(
            (
                answer.payment_type.as_str(),
                answer.brand.as_str(),
                answer.last4.as_str(),
                answer.holder_name.as_str()
            ),
            ("creditCard", "VISA", "1111", "Ann Lee")
        );
        assert_eq!(answer.expiration_date, future_expiry());

        let rows = stored_rows(&t).await;
        assert_eq!(rows.len(), 1);
        for value in rows[0].iter().flatten() {
            assert!(
                !value.contains("4111111111111111") && !value.contains("41111111"),
                "card number stored: {value}"
            );
        }
        let row = sqlx::query("select processor_token, brand, last4, expiration_date from payment_method where customer_id = $1")
            .bind(CUSTOMER)
            .fetch_one(&t.api.state.db.pool)
            .await
            .expect("row");
        assert!(
            row.try_get::<String, _>("processor_token")
                .expect("token")
                .starts_with("sbx_")
        );
        assert_eq!(row.try_get::<String, _>("brand").expect("brand"), "VISA");
        assert_eq!(row.try_get::<String, _>("last4").expect("last4"), "1111");

        let got = t
            .api
            .get_payment_method(Request::new(pb::GetPaymentMethodRequest {
                customer_id: CUSTOMER.into(),
            }))
            .await
            .expect("found");
        assert_eq!(got.into_inner(), answer);
    }

    /// A Maestro card request: a start date two years back, issue number 1.
    fn maestro_request(start_date: &str) -> pb::SetupPaymentRequest {
        let mut req = card_request("MAESTRO", "6759649826438453", "123");
        if let Some(card) = req.card.as_mut() {
            card.start_date = start_date.into();
            card.issue_number = "1".into();
        }
        req
    }

    fn past_start_date() -> String {
        format!(
            "01/{:02}",
            (time::OffsetDateTime::now_utc().year() - 2) % 100
        )
    }

    #[tokio::test]
    async fn approved_maestro_card_is_stored_without_its_start_date() {
        let t = api().await;
        let start_date = past_start_date();
        let answer = t
            .api
            .setup_payment(Request::new(maestro_request(&start_date)))
            .await
            .expect("approved")
            .into_inner();
        assert_eq!(
            (answer.brand.as_str(), answer.last4.as_str()),
            ("MAESTRO", "8453")
        );
        let row = payment_method::find(&t.api.state.db, CUSTOMER)
            .await
            .expect("find")
            .expect("row");
        assert_eq!(
            (row.brand.as_deref(), row.last4.as_deref()),
            (Some("MAESTRO"), Some("8453"))
        );
        let rows = stored_rows(&t).await;
        assert_eq!(rows.len(), 1);
        for value in rows[0].iter().flatten() {
            assert!(
                !value.contains("6759649826438453") && !value.contains(&start_date),
                "card number or start date stored: {value}"
            );
        }
    }

    #[tokio::test]
    async fn maestro_card_without_a_start_date_is_invalid() {
        let t = api().await;
        let status = t
            .api
            .setup_payment(Request::new(maestro_request("")))
            .await
            .expect_err("no start date");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            platform::status::field_violations(&status),
            [(
                "payment.creditCard.startDate".to_owned(),
                "is required for MAESTRO".to_owned()
            )]
        );
        assert!(stored_rows(&t).await.is_empty());
    }

    #[tokio::test]
    async fn declined_card_is_failed_precondition_with_the_issuer_code() {
        let t = api().await;
        let status = t
            .api
            .setup_payment(Request::new(card_request(
                "VISA",
                "4000000000000002",
                "123",
            )))
            .await
            .expect_err("declined");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert!(
            !status.message().contains("4000000000000002"),
            "{}",
            status.message()
        );
        let (reason, metadata) = platform::status::reason(&status).expect("ErrorInfo");
        assert_eq!(reason, "CARD_DECLINED");
        assert_eq!(metadata.get("code").map(String::as_str), Some("05"));
        assert_eq!(
            metadata.get("reason").map(String::as_str),
            Some("Do not honor")
        );
        assert!(
            stored_rows(&t).await.is_empty(),
            "a declined card is not stored"
        );
    }

    #[tokio::test]
    async fn blacklisted_card_is_refused_with_its_own_reason() {
        let t = api().await;
        let status = t
            .api
            .setup_payment(Request::new(card_request(
                "VISA",
                "4100000000000019",
                "123",
            )))
            .await
            .expect_err("blacklisted");
        assert_eq!(status.code(), Code::FailedPrecondition);
        let (reason, metadata) = platform::status::reason(&status).expect("ErrorInfo");
        assert_eq!(
            (reason.as_str(), metadata.get("code").map(String::as_str)),
            ("CARD_BLACKLISTED", Some("BL"))
        );
    }

    #[tokio::test]
    async fn unavailable_processor_is_unavailable_and_stores_nothing() {
        let t = api().await;
        let status = t
            .api
            .setup_payment(Request::new(card_request(
                "VISA",
                "4000000000000119",
                "123",
            )))
            .await
            .expect_err("unavailable");
        assert_eq!(status.code(), Code::Unavailable);
        assert!(stored_rows(&t).await.is_empty());
    }

    #[tokio::test]
    async fn invalid_card_names_every_field_under_the_prefix() {
        let t = api().await;
        let mut req = card_request("VISA", "4111111111111112", "12");
        if let Some(card) = req.card.as_mut() {
            card.expiration_date = "13/40".into();
        }
        let status = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            !status.message().contains("4111111111111112"),
            "{}",
            status.message()
        );
        let fields: Vec<String> = platform::status::field_violations(&status)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            [
                "payment.creditCard.cardNumber",
                "payment.creditCard.expirationDate",
                "payment.creditCard.securityCode"
            ]
        );
        assert!(stored_rows(&t).await.is_empty());
    }

    #[tokio::test]
    async fn card_type_must_agree_with_the_number_under_a_given_prefix() {
        let t = api().await;
        let mut req = card_request("AMEX", "4111111111111111", "1234");
        req.field_prefix = "billing".into();
        let status = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect_err("mismatch");
        assert_eq!(
            platform::status::field_violations(&status),
            [(
                "billing.creditCard.cardNumber".to_owned(),
                "does not match card type AMEX".to_owned()
            )]
        );
    }

    #[tokio::test]
    async fn credit_card_without_a_card_or_customer_id_is_invalid() {
        let t = api().await;
        let req = pb::SetupPaymentRequest {
            customer_id: "nope".into(),
            payment_type: "creditCard".into(),
            card: None,
            field_prefix: String::new(),
            validate_only: false,
            ..billed()
        };
        let status = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect_err("invalid");
        let fields: Vec<String> = platform::status::field_violations(&status)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["customerID", "payment.creditCard"]);
        let req = pb::SetupPaymentRequest {
            customer_id: CUSTOMER.into(),
            payment_type: "cash".into(),
            card: None,
            field_prefix: String::new(),
            validate_only: false,
            ..billed()
        };
        let status = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect_err("invalid");
        assert_eq!(
            platform::status::field_violations(&status)[0].0,
            "payment.type"
        );
    }

    #[tokio::test]
    async fn validate_only_checks_the_rules_without_the_processor_or_storage() {
        let t = api().await;
        // A card the processor would decline passes: only the rules are judged.
        let mut req = card_request("VISA", "4000000000000002", "123");
        req.validate_only = true;
        let answer = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect("valid")
            .into_inner();
        assert_eq!(
            (answer.brand.as_str(), answer.last4.as_str()),
            ("VISA", "0002")
        );
        assert!(stored_rows(&t).await.is_empty());
        let mut req = card_request("VISA", "4111111111111112", "123");
        req.validate_only = true;
        let status = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument);
    }

    #[tokio::test]
    async fn paper_check_is_stored_without_a_card() {
        let t = api().await;
        t.api
            .setup_payment(Request::new(card_request(
                "VISA",
                "4111111111111111",
                "123",
            )))
            .await
            .expect("card first");
        let req = pb::SetupPaymentRequest {
            customer_id: CUSTOMER.into(),
            payment_type: "paperCheck".into(),
            card: None,
            field_prefix: String::new(),
            validate_only: false,
            ..billed()
        };
        let answer = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect("stored")
            .into_inner();
        assert_eq!(
            (answer.payment_type.as_str(), answer.brand.as_str()),
            ("paperCheck", "")
        );
        let rows = stored_rows(&t).await;
        assert_eq!(rows.len(), 1);
        let row = payment_method::find(&t.api.state.db, CUSTOMER)
            .await
            .expect("find")
            .expect("row");
        assert_eq!(row.payment_type, "paperCheck");
        assert_eq!(
            (row.brand, row.last4, row.expiration_date),
            (None, None, None),
            "switching to paperCheck clears the card"
        );
    }

    #[tokio::test]
    async fn missing_payment_method_is_not_found_and_delete_is_idempotent() {
        let t = api().await;
        let get = || {
            t.api
                .get_payment_method(Request::new(pb::GetPaymentMethodRequest {
                    customer_id: CUSTOMER.into(),
                }))
        };
        assert_eq!(get().await.expect_err("none").code(), Code::NotFound);
        t.api
            .setup_payment(Request::new(card_request("MC", "5555555555554444", "123")))
            .await
            .expect("approved");
        for _ in 0..2 {
            t.api
                .delete_customer_billing(Request::new(pb::DeleteCustomerBillingRequest {
                    customer_id: CUSTOMER.into(),
                }))
                .await
                .expect("deleted");
        }
        assert_eq!(get().await.expect_err("gone").code(), Code::NotFound);
    }

    // ---- The payment's billing contact (PaymentV2 `name`, `phone`, `address`)

    async fn info(t: &TestApi) -> pb::BillingInfo {
        t.api.info_of(CUSTOMER).await.expect("billing info")
    }

    fn violated(status: &Status) -> Vec<String> {
        platform::status::field_violations(status)
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[tokio::test]
    async fn a_card_setup_keeps_the_payments_name_phone_and_address_as_billing_information() {
        let t = api().await;
        t.api
            .setup_payment(Request::new(card_request(
                "VISA",
                "4111111111111111",
                "123",
            )))
            .await
            .expect("approved");
        let info = info(&t).await;
        assert_eq!(
            info.name, "Company name",
            "trimmed as the reference sends it"
        );
        assert_eq!(info.phone, "12365458789");
        assert_eq!(info.address, Some(anaheim()));
        assert_eq!(info.payment_type, "creditCard");
        assert_eq!(
            info.payment_method.map(|m| m.last4).as_deref(),
            Some("1111")
        );
        assert!(!info.updated_at.is_empty());
    }

    #[tokio::test]
    async fn a_paper_check_setup_keeps_the_billing_contact_too() {
        let t = api().await;
        let req = pb::SetupPaymentRequest {
            customer_id: CUSTOMER.into(),
            payment_type: "paperCheck".into(),
            field_prefix: "payment".into(),
            ..billed()
        };
        t.api
            .setup_payment(Request::new(req))
            .await
            .expect("stored");
        let info = info(&t).await;
        assert_eq!(
            (info.name.as_str(), info.phone.as_str()),
            ("Company name", "12365458789")
        );
        assert_eq!(info.address, Some(anaheim()));
        assert_eq!(info.payment_type, "paperCheck");
        assert_eq!(info.payment_method, None);
    }

    #[tokio::test]
    async fn a_setup_keeps_an_email_set_earlier() {
        let t = api().await;
        crate::store::info::save(
            &t.api.state.db,
            CUSTOMER,
            &crate::store::info::InfoRow {
                name: "Before".into(),
                email: "ap@example.com".into(),
                updated_at: platform::id::now_rfc3339(),
                ..Default::default()
            },
            false,
        )
        .await
        .expect("saved");
        t.api
            .setup_payment(Request::new(card_request("MC", "5555555555554444", "123")))
            .await
            .expect("approved");
        let info = info(&t).await;
        assert_eq!(
            (info.name.as_str(), info.email.as_str()),
            ("Company name", "ap@example.com")
        );
    }

    #[tokio::test]
    async fn validate_only_stores_no_billing_contact() {
        let t = api().await;
        let mut req = card_request("VISA", "4111111111111111", "123");
        req.validate_only = true;
        t.api.setup_payment(Request::new(req)).await.expect("valid");
        assert_eq!(
            crate::store::info::find(&t.api.state.db, CUSTOMER)
                .await
                .expect("find"),
            None
        );
    }

    #[tokio::test]
    async fn a_declined_card_stores_no_billing_contact() {
        let t = api().await;
        t.api
            .setup_payment(Request::new(card_request(
                "VISA",
                "4000000000000002",
                "123",
            )))
            .await
            .expect_err("declined");
        assert_eq!(
            crate::store::info::find(&t.api.state.db, CUSTOMER)
                .await
                .expect("find"),
            None
        );
        assert_eq!(info(&t).await.address, None);
    }

    #[tokio::test]
    async fn payment_name_and_phone_are_required_under_the_prefix() {
        let t = api().await;
        let mut req = card_request("VISA", "4111111111111111", "123");
        req.name = "  ".into();
        req.phone = String::new();
        req.field_prefix = "payment".into();
        let status = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect_err("no contact");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            platform::status::field_violations(&status),
            [
                ("payment.name".to_owned(), "is required".to_owned()),
                ("payment.phone".to_owned(), "is required".to_owned())
            ]
        );
        assert!(stored_rows(&t).await.is_empty());
    }

    #[tokio::test]
    async fn payment_name_over_50_and_phone_over_100_characters_are_refused() {
        let t = api().await;
        let mut req = card_request("VISA", "4111111111111111", "123");
        req.name = "n".repeat(51);
        req.phone = "1".repeat(101);
        req.field_prefix = "billing".into();
        let status = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect_err("too long");
        assert_eq!(violated(&status), ["billing.name", "billing.phone"]);
        assert!(stored_rows(&t).await.is_empty());
    }

    #[tokio::test]
    async fn payment_contact_is_judged_under_validate_only_too() {
        let t = api().await;
        let mut req = card_request("VISA", "4111111111111111", "123");
        req.name = String::new();
        req.validate_only = true;
        let status = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect_err("no name");
        assert_eq!(violated(&status), ["payment.name"]);
    }

    #[tokio::test]
    async fn a_bad_type_and_a_missing_name_are_named_together() {
        let t = api().await;
        let req = pb::SetupPaymentRequest {
            customer_id: CUSTOMER.into(),
            payment_type: "cash".into(),
            name: String::new(),
            ..billed()
        };
        let status = t
            .api
            .setup_payment(Request::new(req))
            .await
            .expect_err("invalid");
        assert_eq!(violated(&status), ["payment.name", "payment.type"]);
    }

    #[tokio::test]
    async fn card_type_in_any_case_is_answered_and_stored_in_upper_case() {
        let t = api().await;
        let answer = t
            .api
            .setup_payment(Request::new(card_request(
                "visa",
                "4111111111111111",
                "123",
            )))
            .await
            .expect("approved")
            .into_inner();
        assert_eq!(answer.brand, "VISA");
        let row = payment_method::find(&t.api.state.db, CUSTOMER)
            .await
            .expect("find")
            .expect("row");
        assert_eq!(row.brand.as_deref(), Some("VISA"));
        let answer = t
            .api
            .setup_payment(Request::new(maestro_request(&past_start_date())))
            .await
            .expect("approved");
        assert_eq!(answer.into_inner().brand, "MAESTRO");
    }

    #[tokio::test]
    async fn a_bad_card_field_is_named_once_under_the_prefix() {
        let t = api().await;
        for (card_type, number, code, field) in [
            (
                "VISACARDXYZ",
                "4111111111111111",
                "123",
                "payment.creditCard.type",
            ),
            ("", "4111111111111111", "123", "payment.creditCard.type"),
            ("VISA", "", "123", "payment.creditCard.cardNumber"),
            (
                "VISA",
                "4111111111111111",
                "",
                "payment.creditCard.securityCode",
            ),
            (
                "AMEX",
                "378282246310005",
                "123",
                "payment.creditCard.securityCode",
            ),
        ] {
            let status = t
                .api
                .setup_payment(Request::new(card_request(card_type, number, code)))
                .await
                .expect_err("invalid");
            assert_eq!(violated(&status), [field], "{card_type:?} {code:?}");
        }
        assert!(stored_rows(&t).await.is_empty());
    }

    #[tokio::test]
    async fn deleting_customer_billing_removes_the_billing_contact() {
        let t = api().await;
        t.api
            .setup_payment(Request::new(card_request(
                "VISA",
                "4111111111111111",
                "123",
            )))
            .await
            .expect("approved");
        t.api
            .delete_customer_billing(Request::new(pb::DeleteCustomerBillingRequest {
                customer_id: CUSTOMER.into(),
            }))
            .await
            .expect("deleted");
        assert_eq!(
            crate::store::info::find(&t.api.state.db, CUSTOMER)
                .await
                .expect("find"),
            None
        );
        let info = info(&t).await;
        assert_eq!(
            (info.name.as_str(), info.phone.as_str(), info.address),
            ("", "", None)
        );
    }

    // ---- AllocateCredit under an Idempotency-Key, with a stand-in account-svc

    /// The root distributor, a partner below it and one below that.
    struct Tree {
        root: String,
        partner: String,
        reseller: String,
    }

    impl Tree {
        fn new() -> Self {
            let id = platform::id::new_id;
            Self {
                root: id(),
                partner: id(),
                reseller: id(),
            }
        }

        /// An API whose account-svc answers GetCustomer over the tree.
        async fn api(&self) -> TestApi {
            use prost::Message as _;
            let customers: HashMap<String, account_pb::Customer> = [
                (&self.root, ""),
                (&self.partner, self.root.as_str()),
                (&self.reseller, self.partner.as_str()),
            ]
            .into_iter()
            .map(|(id, parent)| {
                let c = account_pb::Customer {
                    customer_id: id.clone(),
                    kind: account_pb::CustomerKind::Partner as i32,
                    parent_partner_id: parent.to_owned(),
                    ..Default::default()
                };
                (id.clone(), c)
            })
            .collect();
            let accounts =
                platform::fake_peer::start::<platform::fake_peer::Accounts>(move |method, body| {
                    assert_eq!(method, "GetCustomer");
                    let r = account_pb::GetCustomerRequest::decode(body).expect("request");
                    customers
                        .get(&r.customer_id)
                        .map(prost::Message::encode_to_vec)
                        .ok_or_else(|| Status::not_found("customer"))
                })
                .await;
            api_with(accounts).await
        }

        /// The root's owner, acting through its API client.
        fn root_owner(&self) -> CallContext {
            let principal = proto::common::v1::Principal {
                client_id: "client-1".into(),
                customer_id: self.root.clone(),
                ..Default::default()
            };
            CallContext::new(Some(principal), None, None)
        }
    }

    fn allocation(customer_id: &str, amount: i64) -> pb::AllocateCreditRequest {
        pb::AllocateCreditRequest {
            customer_id: customer_id.to_owned(),
            amount,
            currency: "EUR".into(),
            note: "prepaid".into(),
        }
    }

    fn keyed<T>(ctx: &CallContext, message: T, key: &str, hash: &str) -> Request<T> {
        idempotency::keyed(ctx.request(message), key, hash)
    }

    use platform::idempotency::is_replayed;

    async fn ledger_of(t: &TestApi, customer_id: &str) -> Vec<crate::store::credit::Entry> {
        crate::store::credit::ledger(&t.api.state.db, customer_id, "", 0, 100)
            .await
            .expect("ledger")
    }

    #[tokio::test]
    async fn an_allocation_repeated_under_its_key_answers_the_first_and_moves_credit_once() {
        let tree = Tree::new();
        let t = tree.api().await;
        let ctx = tree.root_owner();
        let first = t
            .api
            .allocate_credit(keyed(&ctx, allocation(&tree.partner, 1000), "k1", "h1"))
            .await
            .expect("allocated");
        assert!(!is_replayed(&first));
        let first = first.into_inner();
        assert_eq!(first.balance, 1000);
        let again = t
            .api
            .allocate_credit(keyed(&ctx, allocation(&tree.partner, 1000), "k1", "h1"))
            .await
            .expect("replayed");
        assert!(is_replayed(&again), "marked x-idempotent-replayed");
        assert_eq!(again.into_inner(), first);
        assert_eq!(ledger_of(&t, &tree.partner).await.len(), 1, "one entry");
        let balance = crate::store::credit::balance(&t.api.state.db, &tree.partner)
            .await
            .expect("balance");
        assert_eq!(balance, Some(("EUR".to_owned(), 1000)), "credited once");
    }

    #[tokio::test]
    async fn an_allocation_key_reused_for_another_request_is_refused_and_moves_nothing() {
        let tree = Tree::new();
        let t = tree.api().await;
        let ctx = tree.root_owner();
        t.api
            .allocate_credit(keyed(&ctx, allocation(&tree.partner, 1000), "k1", "h1"))
            .await
            .expect("allocated");
        let err = t
            .api
            .allocate_credit(keyed(&ctx, allocation(&tree.partner, 2000), "k1", "h2"))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(
            platform::status::reason(&err).map(|(r, _)| r).as_deref(),
            Some("IDEMPOTENCY_KEY_REUSED")
        );
        assert_eq!(ledger_of(&t, &tree.partner).await.len(), 1);
    }

    #[tokio::test]
    async fn a_refused_allocation_frees_its_key_for_a_corrected_retry() {
        let tree = Tree::new();
        let t = tree.api().await;
        let ctx = tree.root_owner();
        t.api
            .allocate_credit(ctx.request(allocation(&tree.partner, 1000)))
            .await
            .expect("minted to the partner");
        let err = t
            .api
            .allocate_credit(keyed(&ctx, allocation(&tree.reseller, 5000), "k1", "h1"))
            .await
            .expect_err("the partner holds 1000");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(
            platform::status::reason(&err).map(|(r, _)| r).as_deref(),
            Some("INSUFFICIENT_CREDIT")
        );
        let retried = t
            .api
            .allocate_credit(keyed(&ctx, allocation(&tree.reseller, 500), "k1", "h2"))
            .await
            .expect("the key was released");
        assert!(!is_replayed(&retried));
        assert_eq!(retried.into_inner().balance, 500);
        assert_eq!(ledger_of(&t, &tree.reseller).await.len(), 1);
    }

    // ---- Lists: keyset paging and totals counted once per change

    async fn credits_page(t: &TestApi, customer_id: &str, take: i64, after: &str) -> pb::Credits {
        t.api
            .get_credits(Request::new(pb::GetCreditsRequest {
                customer_id: customer_id.to_owned(),
                take,
                after: after.to_owned(),
                ..Default::default()
            }))
            .await
            .expect("credits")
            .into_inner()
    }

    #[tokio::test]
    async fn a_ledger_walked_with_after_meets_each_entry_once_newest_first() {
        let tree = Tree::new();
        let t = tree.api().await;
        let ctx = tree.root_owner();
        for amount in 1..=12 {
            t.api
                .allocate_credit(ctx.request(allocation(&tree.partner, amount)))
                .await
                .expect("minted");
        }
        let expected: Vec<String> = ledger_of(&t, &tree.partner)
            .await
            .into_iter()
            .map(|e| e.entry_id)
            .collect();
        let mut seen = Vec::new();
        let mut after = String::new();
        let mut pages = Vec::new();
        loop {
            let page = credits_page(&t, &tree.partner, 5, &after).await;
            if seen.is_empty() {
                // Written during the walk: newer than every cursor, so not met.
                t.api
                    .allocate_credit(ctx.request(allocation(&tree.partner, 100)))
                    .await
                    .expect("minted");
            }
            pages.push((page.items.len(), !page.next_cursor.is_empty()));
            seen.extend(page.items.into_iter().map(|e| e.entry_id));
            if page.next_cursor.is_empty() {
                break;
            }
            assert_eq!(Some(&page.next_cursor), seen.last(), "the last id seen");
            after = page.next_cursor;
        }
        assert_eq!(pages, [(5, true), (5, true), (2, false)]);
        assert_eq!(seen, expected, "each entry once, newest first");
    }

    #[tokio::test]
    async fn a_ledger_total_counts_afresh_when_either_side_of_an_allocation_gets_an_entry() {
        let tree = Tree::new();
        let t = tree.api().await;
        let ctx = tree.root_owner();
        t.api
            .allocate_credit(ctx.request(allocation(&tree.partner, 1000)))
            .await
            .expect("minted");
        assert_eq!(credits_page(&t, &tree.partner, 10, "").await.total, 1);
        assert_eq!(credits_page(&t, &tree.reseller, 10, "").await.total, 0);
        t.api
            .allocate_credit(ctx.request(allocation(&tree.reseller, 100)))
            .await
            .expect("allocated");
        assert_eq!(
            credits_page(&t, &tree.partner, 10, "").await.total,
            2,
            "the giver's transfer"
        );
        assert_eq!(
            credits_page(&t, &tree.reseller, 10, "").await.total,
            1,
            "the receiver's allocation"
        );
    }

    #[tokio::test]
    async fn invoices_walked_with_after_meet_each_period_once_newest_first() {
        let tree = Tree::new();
        let t = tree.api().await;
        let d = crate::domain::invoice::draft("starter", &[], &[]);
        let list = |after: String| pb::ListInvoicesRequest {
            customer_id: tree.partner.clone(),
            take: 2,
            after,
            ..Default::default()
        };
        let first = t.api.list_invoices(Request::new(list(String::new()))).await;
        assert_eq!(first.expect("invoices").into_inner().total, 0);
        for period in ["2026-01", "2026-03", "2026-02"] {
            let issued = crate::store::invoice::issue(
                &t.api.state.db,
                &tree.partner,
                &tree.partner,
                period,
                "starter",
                &d,
            )
            .await
            .expect("issued");
            assert!(matches!(
                issued,
                crate::store::invoice::Issued::Created { .. }
            ));
            crate::totals::invoice_issued(&t.api.state.cache, &tree.partner, false).await;
        }
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let page = t
                .api
                .list_invoices(Request::new(list(after)))
                .await
                .expect("invoices")
                .into_inner();
            assert_eq!(page.total, 3, "counted afresh after each issue");
            seen.extend(page.items.into_iter().map(|i| i.period));
            if page.next_cursor.is_empty() {
                break;
            }
            after = page.next_cursor;
        }
        assert_eq!(seen, ["2026-03", "2026-02", "2026-01"]);
    }

    /// A partner and two accounts below it, on the books since 2020, over a
    /// stand-in account-svc that answers what closing and reading invoices
    /// ask: the plans (none priced), the customers, and each customer.
    async fn two_accounts_below(partner: &str, paper: &str, card: &str) -> TestApi {
        use prost::Message as _;
        let customer =
            |id: &str, kind: account_pb::CustomerKind, parent: &str| account_pb::Customer {
                customer_id: id.to_owned(),
                kind: kind as i32,
                parent_partner_id: parent.to_owned(),
                plan_name: "starter".into(),
                purchase_date: "2020-01-15T00:00:00Z".into(),
                ..Default::default()
            };
        let customers = vec![
            customer(partner, account_pb::CustomerKind::Partner, ""),
            customer(paper, account_pb::CustomerKind::Account, partner),
            customer(card, account_pb::CustomerKind::Account, partner),
        ];
        let accounts =
            platform::fake_peer::start::<platform::fake_peer::Accounts>(move |method, body| {
                match method {
                    "ListPlans" => Ok(account_pb::ListPlansResponse::default().encode_to_vec()),
                    "ListCustomers" => Ok(account_pb::ListCustomersResponse {
                        items: customers.clone(),
                        total: customers.len() as i64,
                        next_cursor: String::new(),
                    }
                    .encode_to_vec()),
                    "GetCustomer" => {
                        let r = account_pb::GetCustomerRequest::decode(body).expect("request");
                        customers
                            .iter()
                            .find(|c| c.customer_id == r.customer_id)
                            .map(prost::Message::encode_to_vec)
                            .ok_or_else(|| Status::not_found("customer"))
                    }
                    other => panic!("unexpected account-svc call {other}"),
                }
            })
            .await;
        api_with(accounts).await
    }

    async fn close(t: &TestApi, period: &str) -> pb::ClosePeriodResponse {
        t.api
            .close_period(Request::new(pb::ClosePeriodRequest {
                period: period.into(),
            }))
            .await
            .unwrap_or_else(|s| panic!("closing {period}: {s:?}"))
            .into_inner()
    }

    /// Each invoice of `customer_id`, newest first: (period, billed to).
    async fn billed_to(t: &TestApi, customer_id: &str) -> Vec<(String, String)> {
        let page = t
            .api
            .list_invoices(Request::new(pb::ListInvoicesRequest {
                customer_id: customer_id.to_owned(),
                ..Default::default()
            }))
            .await
            .expect("invoices")
            .into_inner();
        for i in &page.items {
            let one = t
                .api
                .get_invoice(Request::new(pb::GetInvoiceRequest {
                    customer_id: customer_id.to_owned(),
                    invoice_id: i.invoice_id.clone(),
                }))
                .await
                .expect("invoice")
                .into_inner();
            assert_eq!(&one, i, "GetInvoice answers what the list does");
        }
        page.items
            .into_iter()
            .map(|i| (i.period, i.billed_to_customer_id))
            .collect()
    }

    #[tokio::test]
    async fn a_paper_check_accounts_invoice_is_billed_to_its_parent_and_a_card_accounts_to_itself()
    {
        let id = platform::id::new_id;
        let (partner, paper, card) = (id(), id(), id());
        let t = two_accounts_below(&partner, &paper, &card).await;
        let by_check = pb::SetupPaymentRequest {
            customer_id: paper.clone(),
            payment_type: "paperCheck".into(),
            ..billed()
        };
        t.api
            .setup_payment(Request::new(by_check))
            .await
            .expect("paperCheck");
        let by_card = pb::SetupPaymentRequest {
            customer_id: card.clone(),
            ..card_request("VISA", "4111111111111111", "123")
        };
        t.api
            .setup_payment(Request::new(by_card.clone()))
            .await
            .expect("card");

        let closed = close(&t, "2026-01").await;
        assert_eq!((closed.invoices_created, closed.invoices_existing), (2, 0));
        assert_eq!(
            billed_to(&t, &paper).await,
            [("2026-01".to_owned(), partner.clone())],
            "paperCheck bills the parent partner"
        );
        assert_eq!(
            billed_to(&t, &card).await,
            [("2026-01".to_owned(), card.clone())],
            "a card account pays itself"
        );

        // The payment method at closing time decides; an invoice issued
        // keeps who it was billed to.
        t.api
            .setup_payment(Request::new(pb::SetupPaymentRequest {
                customer_id: paper.clone(),
                ..by_card
            }))
            .await
            .expect("card now");
        close(&t, "2026-02").await;
        assert_eq!(
            billed_to(&t, &paper).await,
            [
                ("2026-02".to_owned(), paper.clone()),
                ("2026-01".to_owned(), partner.clone())
            ]
        );

        // An invoice issued before the column existed reads as the
        // customer's own.
        let done = sqlx::query("update invoice set billed_to = '' where customer_id = $1")
            .bind(&paper)
            .execute(&t.api.state.db.pool)
            .await
            .expect("update");
        assert_eq!(done.rows_affected(), 2);
        assert_eq!(
            billed_to(&t, &paper).await,
            [
                ("2026-02".to_owned(), paper.clone()),
                ("2026-01".to_owned(), paper.clone())
            ]
        );
    }

    #[tokio::test]
    async fn paging_out_of_range_or_a_cursor_not_issued_names_the_parameter() {
        let tree = Tree::new();
        let t = tree.api().await;
        let id = platform::id::new_id();
        for (after, skip, field) in [
            ("nope".to_owned(), 0, "after"),
            (id.to_uppercase(), 0, "after"),
            (String::new(), MAX_SKIP + 1, "skip"),
        ] {
            let status = t
                .api
                .get_credits(Request::new(pb::GetCreditsRequest {
                    customer_id: tree.partner.clone(),
                    skip,
                    after: after.clone(),
                    ..Default::default()
                }))
                .await
                .expect_err("refused");
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "credits {after:?} {skip}"
            );
            let named: Vec<String> = platform::status::field_violations(&status)
                .into_iter()
                .map(|(f, _)| f)
                .collect();
            assert_eq!(named, [field], "credits {after:?} {skip}");
        }
        for (after, skip, field) in [
            (id.clone(), 0, "after"),
            (format!("2026-13.{id}"), 0, "after"),
            (String::new(), MAX_SKIP + 1, "skip"),
        ] {
            let status = t
                .api
                .list_invoices(Request::new(pb::ListInvoicesRequest {
                    customer_id: tree.partner.clone(),
                    skip,
                    after: after.clone(),
                    ..Default::default()
                }))
                .await
                .expect_err("refused");
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "invoices {after:?} {skip}"
            );
            let named: Vec<String> = platform::status::field_violations(&status)
                .into_iter()
                .map(|(f, _)| f)
                .collect();
            assert_eq!(named, [field], "invoices {after:?} {skip}");
        }
    }
}
