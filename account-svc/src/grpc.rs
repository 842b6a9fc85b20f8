//! The AccountService API. Every call with a principal is limited to the
//! principal's partner and its descendants; what lies outside is NOT_FOUND.
//!
//! Here is what every call shares (the caller, its scope, the answer of a
//! create under its key) and the trait impl, which hands each call to the
//! module of its noun: [`customers`], [`company`], [`lifecycle`] (state,
//! plan, MSA, access), [`settings`] (partner settings and contact rules),
//! [`limits`] and [`failed_setups`]. Creating a customer crosses three
//! services: [`crate::provisioning`] holds that flow, [`crate::recovery`]
//! finishes what a failure interrupted.
//!
//! Creates (CreateCustomer, RestoreFailedSetup, SetLimit with `create`) honour
//! the client's Idempotency-Key ([`platform::idempotency`]): the key is
//! claimed before any work, the customer's id noted before its row is
//! written, and the answer kept in the transaction that makes the customer
//! active (or stores the limit), so a retry replays it. A failure releases
//! the key; a retry that finds the claim of a dead request undoes what that
//! request left, as the recovery sweep would, then creates anew.

mod company;
mod customers;
mod failed_setups;
mod lifecycle;
mod limits;
mod settings;
#[cfg(test)]
mod tests;

use platform::context::CallContext;
use platform::idempotency::{self, Key};
use proto::account::v1 as pb;
use tonic::{Request, Response, Status};

use crate::State;
use crate::domain::Program;
use crate::error::Error;
use crate::store::customer::{self, CustomerRow};
use company::company_to_pb;

pub struct AccountApi {
    pub state: State,
}

/// The [`platform::paging`] scopes of this service's lists. One scope for
/// all customers, not one per subtree: a create changes the totals of every
/// ancestor's subtree, and writes are rare beside reads.
const CUSTOMERS: &str = "customers";
pub(crate) const FAILED_SETUPS: &str = "failed_setups";

/// The target of the API's log lines, whichever module writes them: it
/// stayed `account_svc::grpc` when the API was split by noun, since log
/// filters and the stack tests (`stack/tests/binary.rs`) look for it.
pub(crate) const LOG_TARGET: &str = "account_svc::grpc";

impl AccountApi {
    /// The caller's home customer, or `None` for an internal caller.
    async fn caller(&self, ctx: &CallContext) -> Result<Option<CustomerRow>, Error> {
        let Some(p) = &ctx.principal else {
            return Ok(None);
        };
        match customer::find(&self.state.db, &p.customer_id).await? {
            Some(home) if home.status == "active" => Ok(Some(home)),
            _ => Err(Error::HomeGone),
        }
    }

    /// A visible partner within the caller's subtree, or NOT_FOUND: accounts
    /// have no settings, and saying "an account" would tell an outsider the
    /// id exists.
    async fn visible_partner(
        &self,
        caller: Option<&CustomerRow>,
        customer_id: &str,
    ) -> Result<CustomerRow, Error> {
        match self.visible(caller, customer_id).await? {
            c if c.is_partner() => Ok(c),
            _ => Err(Error::NotFound),
        }
    }

    /// Answers a create under `key`: a failure releases the key so the
    /// client may retry; a crash (the test failpoint) leaves it claimed, as
    /// a process that died would.
    async fn settle<M>(
        &self,
        key: Option<&Key>,
        result: Result<M, Stop>,
    ) -> Result<Response<M>, Status> {
        match result {
            Ok(answer) => Ok(Response::new(answer)),
            Err(Stop::Failed(status)) => {
                if let Some(key) = key {
                    idempotency::release(&self.state.db, key).await;
                }
                Err(status)
            }
            Err(Stop::Crashed(status)) => Err(status),
        }
    }

    /// The set of listed customers changed (one turned active or stopped
    /// being active, or a plan changed, which the `planName` filter sees):
    /// list totals count afresh. Rows that are provisioning or deleting are
    /// never listed, so writing or removing those changes no total.
    pub(crate) async fn customers_changed(&self) {
        platform::paging::changed(&self.state.cache, CUSTOMERS).await;
    }

    /// A visible customer within the caller's subtree, or NOT_FOUND.
    pub(crate) async fn visible(
        &self,
        caller: Option<&CustomerRow>,
        customer_id: &str,
    ) -> Result<CustomerRow, Error> {
        if !platform::id::is_id(customer_id) {
            return Err(Error::NotFound);
        }
        match customer::find(&self.state.db, customer_id).await? {
            Some(c) if c.status == "active" && in_scope(caller, &c) => Ok(c),
            _ => Err(Error::NotFound),
        }
    }
}

/// How a create ends without an answer.
#[derive(Debug)]
pub(crate) enum Stop {
    /// It failed: what it did is undone, and its Idempotency-Key is
    /// released so the client may try again.
    Failed(Status),
    /// The test failpoint ([`State::crash_after_customer_row`]) stopped it
    /// as a crash would: nothing is undone, nothing released.
    Crashed(Status),
}

impl From<Status> for Stop {
    fn from(s: Status) -> Self {
        Stop::Failed(s)
    }
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e.into())
    }
}

fn in_scope(caller: Option<&CustomerRow>, c: &CustomerRow) -> bool {
    caller.is_none_or(|home| c.path.starts_with(&home.path))
}

// Each call is answered in the module of its noun (see the module doc).
#[tonic::async_trait]
impl pb::account_service_server::AccountService for AccountApi {
    async fn create_customer(
        &self,
        req: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        self.new_customer(req).await
    }

    async fn get_customer(
        &self,
        req: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        self.customer(req).await
    }

    async fn list_customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        self.customers(req).await
    }

    async fn user_name_taken(
        &self,
        req: Request<pb::UserNameTakenRequest>,
    ) -> Result<Response<pb::UserNameTakenResponse>, Status> {
        self.name_taken(req).await
    }

    async fn delete_customer(
        &self,
        req: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pb::DeleteCustomerResponse>, Status> {
        self.delete(req).await
    }

    async fn list_customer_plans(
        &self,
        req: Request<pb::ListCustomerPlansRequest>,
    ) -> Result<Response<pb::ListCustomerPlansResponse>, Status> {
        self.customer_plans(req).await
    }

    async fn list_plans(
        &self,
        req: Request<pb::ListPlansRequest>,
    ) -> Result<Response<pb::ListPlansResponse>, Status> {
        self.plans(req).await
    }

    async fn get_root(
        &self,
        req: Request<pb::GetRootRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        self.root(req).await
    }

    async fn get_company(
        &self,
        req: Request<pb::GetCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        self.company(req).await
    }

    async fn update_company(
        &self,
        req: Request<pb::UpdateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        self.change_company(req).await
    }

    async fn validate_address(
        &self,
        req: Request<pb::ValidateAddressRequest>,
    ) -> Result<Response<pb::AddressValidation>, Status> {
        self.check_address(req).await
    }

    async fn set_state(
        &self,
        req: Request<pb::SetStateRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        self.new_state(req).await
    }

    async fn change_plan(
        &self,
        req: Request<pb::ChangePlanRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        self.new_plan(req).await
    }

    async fn accept_msa(
        &self,
        req: Request<pb::AcceptMsaRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        self.msa(req).await
    }

    async fn get_access(
        &self,
        req: Request<pb::GetAccessRequest>,
    ) -> Result<Response<pb::Access>, Status> {
        self.access(req).await
    }

    async fn list_failed_setups(
        &self,
        req: Request<pb::ListFailedSetupsRequest>,
    ) -> Result<Response<pb::ListFailedSetupsResponse>, Status> {
        self.failed_setups(req).await
    }

    async fn restore_failed_setup(
        &self,
        req: Request<pb::RestoreFailedSetupRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        self.restore_setup(req).await
    }

    async fn get_contact_rules(
        &self,
        req: Request<pb::GetContactRulesRequest>,
    ) -> Result<Response<pb::ContactRules>, Status> {
        self.contact_rules(req).await
    }

    async fn get_settings(
        &self,
        req: Request<pb::GetSettingsRequest>,
    ) -> Result<Response<pb::PartnerSettings>, Status> {
        self.settings(req).await
    }

    async fn update_settings(
        &self,
        req: Request<pb::UpdateSettingsRequest>,
    ) -> Result<Response<pb::PartnerSettings>, Status> {
        self.change_settings(req).await
    }

    async fn list_limits(
        &self,
        req: Request<pb::ListLimitsRequest>,
    ) -> Result<Response<pb::Limits>, Status> {
        self.limits(req).await
    }

    async fn set_limit(
        &self,
        req: Request<pb::SetLimitRequest>,
    ) -> Result<Response<pb::Limit>, Status> {
        self.change_limit(req).await
    }

    async fn reset_limit(
        &self,
        req: Request<pb::ResetLimitRequest>,
    ) -> Result<Response<pb::Limit>, Status> {
        self.default_limit(req).await
    }

    async fn get_quota(
        &self,
        req: Request<pb::GetQuotaRequest>,
    ) -> Result<Response<pb::Quota>, Status> {
        self.quota(req).await
    }
}

/// Whether the caller acts for `c` itself (its home partner).
fn is_callers_home(caller: Option<&CustomerRow>, c: &CustomerRow) -> bool {
    caller.is_some_and(|home| home.customer_id == c.customer_id)
}

pub(crate) fn to_pb(c: &CustomerRow) -> pb::Customer {
    pb::Customer {
        customer_id: c.customer_id.clone(),
        kind: if c.is_partner() {
            pb::CustomerKind::Partner
        } else {
            pb::CustomerKind::Account
        } as i32,
        partner_program: c.partner_program.clone(),
        user_name: c.user_name.clone(),
        parent_partner_id: c.parent_id.clone().unwrap_or_default(),
        plan_name: c.plan_name.clone(),
        programs: vec![Program::of_kind(c.is_partner()).as_str().to_owned()],
        purchase_date: c.created_at.clone(),
        state: c.state.clone(),
        company: Some(company_to_pb(c)),
        owner_contact_id: c.owner_contact_id.clone(),
        path: c.path.clone(),
        msa_accepted: !c.msa_accepted_at.is_empty(),
        msa_accepted_at: c.msa_accepted_at.clone(),
        // Written by this service from a parsed map; a row that does not
        // parse answers none rather than failing the read.
        options: serde_json::from_str(&c.options).unwrap_or_default(),
    }
}
