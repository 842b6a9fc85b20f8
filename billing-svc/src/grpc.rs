//! The BillingService API: parse the request into domain types, have the
//! processor verify a card, store what may be kept, answer. Split by topic:
//! [`payments`] the payment setup of the create flow, [`info`] billing
//! information and payment methods, [`usage`] chargeable activity,
//! [`invoices`] periods and invoices, [`credits`] prepaid credit.
//! AllocateCredit honours an `Idempotency-Key` the gateway forwards
//! ([`platform::idempotency`]): see `allocate_credit` below.

mod credits;
mod info;
mod invoices;
mod payments;
#[cfg(test)]
mod tests;
mod usage;

use platform::context::CallContext;
use platform::idempotency::{self, Key};
use platform::status::Violations;
use proto::account::v1 as account_pb;
use proto::billing::v1 as pb;
use tonic::{Request, Response, Status};

use crate::State;
use crate::error::Error;

pub struct BillingApi {
    pub state: State,
}

/// The target of the lines the payment setup logs, which moved to
/// [`payments`]: the one they had before, which log searches name.
const TARGET: &str = module_path!();

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
}

#[tonic::async_trait]
impl pb::billing_service_server::BillingService for BillingApi {
    async fn setup_payment(
        &self,
        req: Request<pb::SetupPaymentRequest>,
    ) -> Result<Response<pb::PaymentMethod>, Status> {
        Ok(Response::new(self.set_up(req).await?))
    }

    async fn get_payment_method(
        &self,
        req: Request<pb::GetPaymentMethodRequest>,
    ) -> Result<Response<pb::PaymentMethod>, Status> {
        Ok(Response::new(self.method_of(req).await?))
    }

    async fn delete_customer_billing(
        &self,
        req: Request<pb::DeleteCustomerBillingRequest>,
    ) -> Result<Response<pb::DeleteCustomerBillingResponse>, Status> {
        Ok(Response::new(self.delete_billing(req).await?))
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

/// A list request's paging ([`platform::paging::Page`]) with its cursor
/// read by `cursor`; every violation is named at once.
fn page<C>(
    skip: i64,
    take: i64,
    after: &str,
    cursor: impl FnOnce(&str) -> Result<C, String>,
) -> Result<(platform::paging::Page, Option<C>), Error> {
    let mut v = Violations::new();
    platform::paging::Page::parse_typed(&mut v, skip, take, after, cursor)
        .ok_or_else(|| Error::Invalid(v.into_vec()))
}
