//! Failed setups: creates the card processor refused, kept so a partner
//! can restore them with a new payment ([`crate::domain::failed_setup`]).

use platform::context::CallContext;
use platform::idempotency::{self, Key};
use platform::status::Violations;
use proto::account::v1 as pb;
use tonic::{Request, Response, Status};

use platform::paging::Page;

use super::{AccountApi, FAILED_SETUPS, LOG_TARGET, Stop};
use crate::domain::failed_setup;
use crate::error::Error;
use crate::provisioning::Origin;
use crate::store::customer::CustomerRow;
use crate::store::failed_setup::{self as store_failed_setup, FailedSetupRow};

impl AccountApi {
    pub(super) async fn failed_setups(
        &self,
        req: Request<pb::ListFailedSetupsRequest>,
    ) -> Result<Response<pb::ListFailedSetupsResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let mut v = Violations::new();
        let page = Page::parse(&mut v, r.skip, r.take, &r.after, platform::id::is_id);
        let (Some(page), true) = (page, v.is_empty()) else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        // Unlike ListCustomers the caller's home counts: the setups of
        // accounts it tried to create itself are its own.
        let within = caller.as_ref().map_or("/", |home| home.path.as_str());
        // One row more than asked tells whether another page follows.
        let mut rows = store_failed_setup::list(
            &self.state.db,
            within,
            page.after(),
            page.skip(),
            page.take() + 1,
        )
        .await?;
        let total = platform::paging::total(
            &self.state.cache,
            FAILED_SETUPS,
            within,
            store_failed_setup::count(&self.state.db, within),
        )
        .await?;
        let next_cursor = page.cut(&mut rows, |f| &f.failed_setup_id);
        Ok(Response::new(pb::ListFailedSetupsResponse {
            items: rows.iter().map(failed_setup_to_pb).collect(),
            total,
            next_cursor,
        }))
    }

    pub(super) async fn restore_setup(
        &self,
        req: Request<pb::RestoreFailedSetupRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let key = Key::from_request(&req);
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        if let Some(answer) = self.claim_customer(&ctx, key.as_ref()).await? {
            return Ok(idempotency::replayed(answer));
        }
        let restored = self
            .restore(&ctx, caller, req.into_inner(), key.as_ref())
            .await;
        self.settle(key.as_ref(), restored).await
    }

    /// RestoreFailedSetup past its Idempotency-Key: claims the setup, then
    /// runs the create with the new payment.
    async fn restore(
        &self,
        ctx: &CallContext,
        caller: Option<CustomerRow>,
        r: pb::RestoreFailedSetupRequest,
        key: Option<&Key>,
    ) -> Result<pb::Customer, Stop> {
        // Scope first: an outsider learns nothing, not even that its input
        // was bad.
        let setup = self
            .visible_failed_setup(caller.as_ref(), &r.failed_setup_id)
            .await?;
        if setup.status != "open" {
            return Err(not_open(&setup.status).into());
        }
        let request = restored_request(&setup, r)?;

        let id = setup.failed_setup_id.as_str();
        let customer_id = platform::id::new_id();
        if !store_failed_setup::claim(&self.state.db, id, &customer_id).await? {
            // Another restore got it between our read and our claim.
            let now = self.visible_failed_setup(caller.as_ref(), id).await?;
            return Err(not_open(&now.status).into());
        }
        let origin = Origin::Restore {
            failed_setup_id: id,
            customer_id: &customer_id,
        };
        // Noted from the claim on, so a retry taking the key over after a
        // crash reopens the setup even if no customer row was written yet.
        let noted = match key {
            Some(key) => idempotency::note_resource(&self.state.db, key, &customer_id)
                .await
                .map_err(Stop::Failed),
            None => Ok(()),
        };
        let created = match noted {
            Ok(()) => self.create(ctx, caller, request, origin, key).await,
            Err(stop) => Err(stop),
        };
        self.close_setup(id, &customer_id, created).await
    }

    /// Closes the claimed setup `id` as the create ended: restored as
    /// `customer_id`, or open again for another try.
    async fn close_setup(
        &self,
        id: &str,
        customer_id: &str,
        created: Result<pb::Customer, Stop>,
    ) -> Result<pb::Customer, Stop> {
        match created {
            Ok(created) => {
                // The customer exists whatever happens next; should this
                // write fail, the recovery sweep closes the setup.
                match store_failed_setup::mark_restored(&self.state.db, id, customer_id).await {
                    Ok(_) => {
                        tracing::info!(target: LOG_TARGET, failed_setup_id = id, customer_id, "failed setup restored")
                    }
                    Err(e) => {
                        tracing::warn!(target: LOG_TARGET, failed_setup_id = id, error = %e, "failed setup not closed; the recovery sweep will")
                    }
                }
                Ok(created)
            }
            Err(Stop::Failed(status)) => {
                // A second refusal has opened it already (with the new
                // refusal recorded); any other failure opens it here.
                if let Err(e) = store_failed_setup::release(&self.state.db, id).await {
                    tracing::warn!(target: LOG_TARGET, failed_setup_id = id, error = %e, "failed setup not reopened; the recovery sweep will");
                }
                Err(Stop::Failed(status))
            }
            // As a crash would: the setup stays claimed for the retry that
            // takes the key over (or the recovery sweep).
            Err(crashed @ Stop::Crashed(_)) => Err(crashed),
        }
    }

    /// A failed setup whose parent lies within the caller's subtree, or
    /// NOT_FOUND.
    async fn visible_failed_setup(
        &self,
        caller: Option<&CustomerRow>,
        failed_setup_id: &str,
    ) -> Result<FailedSetupRow, Error> {
        if !platform::id::is_id(failed_setup_id) {
            return Err(Error::FailedSetupNotFound);
        }
        match store_failed_setup::find(&self.state.db, failed_setup_id).await? {
            Some(f) if caller.is_none_or(|home| f.parent_path.starts_with(&home.path)) => Ok(f),
            _ => Err(Error::FailedSetupNotFound),
        }
    }
}

/// The create a restore runs: the kept request with the new payment and
/// the owner's password, which the setup never kept.
fn restored_request(
    setup: &FailedSetupRow,
    r: pb::RestoreFailedSetupRequest,
) -> Result<pb::CreateCustomerRequest, Error> {
    let mut v = Violations::new();
    if r.payment.is_none() {
        v.add("payment", "is required");
    }
    // The rest of the password rule is contact-svc's, applied by the
    // create as `general.owner.password`.
    if r.owner_password.is_empty() {
        v.add("ownerPassword", "is required");
    }
    if !v.is_empty() {
        return Err(Error::Invalid(v.into_vec()));
    }
    let mut request = failed_setup::decode_request(&setup.request).map_err(Error::Internal)?;
    // The new payment replaces the card; the billing contact and address
    // kept with the setup stay unless the restore gives new ones.
    let kept = request.payment.take().unwrap_or_default();
    request.payment = r.payment.map(|mut p| {
        if p.name.is_empty() {
            p.name = kept.name;
        }
        if p.phone.is_empty() {
            p.phone = kept.phone;
        }
        if p.address.is_none() {
            p.address = kept.address;
        }
        p
    });
    request.owner.get_or_insert_default().password = r.owner_password;
    Ok(request)
}

/// Why a setup cannot be restored now.
fn not_open(status: &str) -> Error {
    match status {
        "restored" => Error::Conflict("the failed setup was restored already".into()),
        _ => Error::Conflict("a restore of the failed setup is under way; retry".into()),
    }
}

fn failed_setup_to_pb(f: &FailedSetupRow) -> pb::FailedSetup {
    let restored = f.status == "restored";
    pb::FailedSetup {
        failed_setup_id: f.failed_setup_id.clone(),
        parent_partner_id: f.parent_id.clone(),
        account_name: f.account_name.clone(),
        plan_name: f.plan_name.clone(),
        reason: f.reason.clone(),
        code: f.code.clone(),
        message: f.message.clone(),
        brand: f.brand.clone(),
        last4: f.last4.clone(),
        // The contract knows `open` and `restored`: a restore under way may
        // still fail and leave the setup open, so until it succeeds it is open.
        status: if restored { "restored" } else { "open" }.into(),
        // Until then the id names a customer that may never exist.
        customer_id: if restored {
            f.customer_id.clone()
        } else {
            String::new()
        },
        created_at: f.created_at.clone(),
        restored_at: f.restored_at.clone(),
    }
}
