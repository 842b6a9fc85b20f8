//! A customer's lifecycle (DESIGN §6.1): its state, plan and MSA, and the
//! API access they allow.

use platform::context::CallContext;
use proto::account::v1 as pb;
use tonic::{Request, Response, Status};

use super::{AccountApi, LOG_TARGET, to_pb};
use crate::domain::lifecycle::{self, Target};
use crate::error::Error;
use crate::store::customer::{self, CustomerRow};
use crate::store::settings as store_settings;

impl AccountApi {
    pub(super) async fn new_state(
        &self,
        req: Request<pb::SetStateRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let c = self.visible(caller.as_ref(), &r.customer_id).await?;
        let to =
            lifecycle::change_state(&target(caller.as_ref(), &c), &r.state).map_err(Error::from)?;
        if !customer::set_state(&self.state.db, &c.customer_id, to.as_str()).await? {
            // A concurrent request set it first: answer as if it had come
            // before ours, which it did.
            let now = self.visible(caller.as_ref(), &c.customer_id).await?;
            lifecycle::change_state(&target(caller.as_ref(), &now), &r.state)
                .map_err(Error::from)?;
            return Err(Error::Contended("the state kept changing; retry".into()).into());
        }
        tracing::info!(
            target: LOG_TARGET,
            customer_id = c.customer_id,
            state = to.as_str(),
            "state changed"
        );
        let changed = self.visible(caller.as_ref(), &c.customer_id).await?;
        Ok(Response::new(to_pb(&changed)))
    }

    pub(super) async fn new_plan(
        &self,
        req: Request<pb::ChangePlanRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let c = self.visible(caller.as_ref(), &r.customer_id).await?;
        let p = lifecycle::change_plan(&target(caller.as_ref(), &c), &r.plan_name)
            .map_err(Error::from)?;
        if !customer::set_plan(&self.state.db, &c.customer_id, p.name).await? {
            let now = self.visible(caller.as_ref(), &c.customer_id).await?;
            lifecycle::change_plan(&target(caller.as_ref(), &now), &r.plan_name)
                .map_err(Error::from)?;
            return Err(Error::Contended("the plan kept changing; retry".into()).into());
        }
        // The new plan brings other defaults, so other limits in force.
        self.limits_changed(&c.customer_id).await;
        // And the `planName` filter of the list sees it elsewhere now.
        self.customers_changed().await;
        tracing::info!(
            target: LOG_TARGET,
            customer_id = c.customer_id,
            from = c.plan_name,
            to = p.name,
            "plan changed"
        );
        let changed = self.visible(caller.as_ref(), &c.customer_id).await?;
        Ok(Response::new(to_pb(&changed)))
    }

    pub(super) async fn msa(
        &self,
        req: Request<pb::AcceptMsaRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let c = self.visible(caller.as_ref(), &r.customer_id).await?;
        lifecycle::accept_msa(&target(caller.as_ref(), &c), r.is_accepted).map_err(Error::from)?;
        // Once only: of two racing acceptances the second finds it accepted
        // (or, if a delete won meanwhile, finds nothing).
        if !customer::accept_msa(&self.state.db, &c.customer_id).await? {
            let now = self.visible(caller.as_ref(), &c.customer_id).await?;
            lifecycle::accept_msa(&target(caller.as_ref(), &now), r.is_accepted)
                .map_err(Error::from)?;
            return Err(Error::Contended("the MSA acceptance raced a change; retry".into()).into());
        }
        tracing::info!(target: LOG_TARGET, customer_id = c.customer_id, "MSA accepted");
        let accepted = self.visible(caller.as_ref(), &c.customer_id).await?;
        Ok(Response::new(to_pb(&accepted)))
    }

    pub(super) async fn access(
        &self,
        req: Request<pb::GetAccessRequest>,
    ) -> Result<Response<pb::Access>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let c = self
            .visible(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        // DESIGN §6.1: disabling a partner stops API access for its whole
        // subtree, so every ancestor counts, not only the customer.
        let enabled = !customer::disabled_on_path(&self.state.db, &c.path).await?;
        let api_allowed_networks = if c.is_partner() {
            store_settings::find(&self.state.db, &c.customer_id)
                .await?
                .unwrap_or_default()
                .api_allowed_networks
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        Ok(Response::new(pb::Access {
            enabled,
            api_allowed_networks,
        }))
    }
}

/// What the lifecycle rules need of `c`, as seen by `caller`.
fn target<'a>(caller: Option<&CustomerRow>, c: &'a CustomerRow) -> Target<'a> {
    Target {
        is_partner: c.is_partner(),
        is_root: c.parent_id.is_none(),
        is_callers_home: caller.is_some_and(|home| home.customer_id == c.customer_id),
        state: &c.state,
        plan_name: &c.plan_name,
        msa_accepted: !c.msa_accepted_at.is_empty(),
    }
}
