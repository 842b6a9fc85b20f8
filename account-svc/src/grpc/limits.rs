//! Limits ([`crate::domain::limit`]): the values in force, own values set
//! and reset within the parent's, and a partner's quota over its accounts.

use platform::context::CallContext;
use platform::idempotency::{self, Claim, Key};
use proto::account::v1 as pb;
use proto::contact::v1 as contact;
use tonic::{Request, Response, Status};

use super::{AccountApi, LOG_TARGET, Stop, is_callers_home};
use crate::domain::limit::{self, Limit, Overrides};
use crate::domain::plan::{self, Plan, USERS_MAX};
use crate::error::Error;
use crate::store::customer::{self, CustomerRow};
use crate::store::limit as store_limit;

impl AccountApi {
    pub(super) async fn limits(
        &self,
        req: Request<pb::ListLimitsRequest>,
    ) -> Result<Response<pb::Limits>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let c = self
            .visible(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        let plan = plan_of(&c)?;
        let overrides = store_limit::overrides(&self.state.db, &c.customer_id).await?;
        let users_used = if req.get_ref().without_usage {
            None
        } else {
            self.users_used(&ctx, &c, plan).await?
        };
        let items = limit::in_force(plan, &overrides)
            .iter()
            .map(|l| limit_to_pb(l, users_used.filter(|_| l.name == USERS_MAX)))
            .collect();
        Ok(Response::new(pb::Limits {
            customer_id: c.customer_id,
            plan_name: c.plan_name,
            items,
        }))
    }

    pub(super) async fn change_limit(
        &self,
        req: Request<pb::SetLimitRequest>,
    ) -> Result<Response<pb::Limit>, Status> {
        // Only a create (POST) carries a key: a change (PUT) is idempotent
        // as it is.
        let key = Key::from_request(&req).filter(|_| req.get_ref().create);
        let ctx = CallContext::from_request(&req)?;
        if let Some(key) = &key {
            // No resource is noted: the override and the answer are written
            // in one transaction, so a claim that went stale left nothing.
            if let Claim::Replay(answer) =
                idempotency::claim::<pb::Limit>(&self.state.db, key).await?
            {
                return Ok(idempotency::replayed(answer));
            }
        }
        let set = self
            .set_limit_as(&ctx, req.into_inner(), key.as_ref())
            .await
            .map_err(Stop::from);
        self.settle(key.as_ref(), set).await
    }

    pub(super) async fn default_limit(
        &self,
        req: Request<pb::ResetLimitRequest>,
    ) -> Result<Response<pb::Limit>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let c = self.visible(caller.as_ref(), &r.customer_id).await?;
        let plan = plan_of(&c)?;
        let t = limit::Target {
            plan,
            is_callers_home: is_callers_home(caller.as_ref(), &c),
            // Returning to the default never needs the parent: a default is
            // the plan's, not a value anyone handed down.
            parent: None,
        };
        let l = limit::reset(&t, &r.name).map_err(Error::from)?;
        let name = l.name;
        let used = if name == USERS_MAX {
            self.users_used(&ctx, &c, plan).await?
        } else {
            None
        };
        if store_limit::delete(&self.state.db, &c.customer_id, name).await? {
            tracing::info!(
                target: LOG_TARGET,
                customer_id = c.customer_id,
                name,
                "limit reset to default"
            );
        }
        self.limits_changed(&c.customer_id).await;
        Ok(Response::new(limit_to_pb(&l, used)))
    }

    pub(super) async fn quota(
        &self,
        req: Request<pb::GetQuotaRequest>,
    ) -> Result<Response<pb::Quota>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        // An account has no descendants to sum: like a partner's settings,
        // its quota does not exist (NOT_FOUND), and its own limits are at
        // ListLimits.
        let p = self
            .visible_partner(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        let accounts = store_limit::accounts_within(&self.state.db, &p.path).await?;
        let plans = accounts
            .iter()
            .map(|a| {
                plan::find(&a.plan_name).ok_or_else(|| {
                    Error::Internal(format!(
                        "account {} has unknown plan {:?}",
                        a.customer_id, a.plan_name
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let items = limit::quota(plans.iter().zip(&accounts).map(|(p, a)| (*p, &a.overrides)));
        let with_users: Vec<String> = plans
            .iter()
            .zip(&accounts)
            .filter(|(p, _)| p.limit(USERS_MAX).is_some())
            .map(|(_, a)| a.customer_id.clone())
            .collect();
        let counts = self.contact_counts(&ctx, with_users).await?;
        let users_used = counts.values().fold(0_i64, |sum, n| sum.saturating_add(*n));
        Ok(Response::new(pb::Quota {
            customer_id: p.customer_id,
            items: items
                .into_iter()
                .map(|i| pb::QuotaItem {
                    name: i.name.into(),
                    allocated: i.allocated,
                    used: (i.name == USERS_MAX).then_some(users_used),
                    accounts: i.accounts,
                })
                .collect(),
        }))
    }

    /// SetLimit past its Idempotency-Key: a create stores the first own
    /// value and keeps its answer under `key` in one transaction.
    async fn set_limit_as(
        &self,
        ctx: &CallContext,
        r: pb::SetLimitRequest,
        key: Option<&Key>,
    ) -> Result<pb::Limit, Error> {
        let caller = self.caller(ctx).await?;
        // Scope first: an outsider learns nothing, not even that its input
        // was bad.
        let c = self.visible(caller.as_ref(), &r.customer_id).await?;
        let plan = plan_of(&c)?;
        let parent = self.parent_limits(&c).await?;
        let t = limit::Target {
            plan,
            is_callers_home: is_callers_home(caller.as_ref(), &c),
            parent: parent
                .as_ref()
                .map(|(plan, overrides)| limit::Parent { plan, overrides }),
        };
        let l = limit::set(&t, &r.name, r.value).map_err(Error::from)?;
        let name = l.name;
        // Counted before the write, so a contact-svc that is down fails the
        // request before anything changed.
        let used = if name == USERS_MAX {
            self.users_used(ctx, &c, plan).await?
        } else {
            None
        };
        let answer = limit_to_pb(&l, used);
        if r.create {
            let mut tx = self.state.db.pool.begin().await?;
            if !store_limit::insert(&mut tx, &c.customer_id, name, r.value).await? {
                return Err(Error::LimitExists(name));
            }
            if let Some(key) = key {
                idempotency::complete(&mut tx, key, &answer).await?;
            }
            tx.commit().await?;
        } else {
            store_limit::upsert(&self.state.db, &c.customer_id, name, r.value).await?;
        }
        self.limits_changed(&c.customer_id).await;
        tracing::info!(
            target: LOG_TARGET,
            customer_id = c.customer_id,
            name,
            value = r.value,
            "limit set"
        );
        Ok(answer)
    }

    /// How many contacts are assigned to each of `customer_ids` (what
    /// counts toward Iam_usersMax), asked of contact-svc in one call.
    async fn contact_counts(
        &self,
        ctx: &CallContext,
        customer_ids: Vec<String>,
    ) -> Result<std::collections::HashMap<String, i64>, Error> {
        if customer_ids.is_empty() {
            return Ok(Default::default());
        }
        let counts = self
            .state
            .contacts
            .clone()
            .count_contacts(
                ctx.internal()
                    .request(contact::CountContactsRequest { customer_ids }),
            )
            .await
            .map_err(Error::Upstream)?
            .into_inner()
            .counts;
        Ok(counts)
    }

    /// The usage of `c`'s Iam_usersMax when its plan has one.
    async fn users_used(
        &self,
        ctx: &CallContext,
        c: &CustomerRow,
        plan: &Plan,
    ) -> Result<Option<i64>, Error> {
        if plan.limit(USERS_MAX).is_none() {
            return Ok(None);
        }
        let counts = self
            .contact_counts(ctx, vec![c.customer_id.clone()])
            .await?;
        Ok(Some(counts.get(&c.customer_id).copied().unwrap_or(0)))
    }

    /// The plan and own limit values of `c`'s parent partner, if it has one.
    async fn parent_limits(
        &self,
        c: &CustomerRow,
    ) -> Result<Option<(&'static Plan, Overrides)>, Error> {
        let Some(parent_id) = &c.parent_id else {
            return Ok(None);
        };
        let Some(parent) = customer::find(&self.state.db, parent_id).await? else {
            return Ok(None);
        };
        let overrides = store_limit::overrides(&self.state.db, parent_id).await?;
        Ok(Some((plan_of(&parent)?, overrides)))
    }

    /// A customer's cached limits are stale once one changes: the next
    /// reader (the gateway's rate limiter) fetches them again.
    pub(super) async fn limits_changed(&self, customer_id: &str) {
        self.state
            .cache
            .del(&platform::cache::limits_key(customer_id))
            .await;
    }
}

/// The plan of a stored customer; only this version's catalogue names are
/// ever stored, so another is a row edited by hand.
fn plan_of(c: &CustomerRow) -> Result<&'static Plan, Error> {
    plan::find(&c.plan_name).ok_or_else(|| {
        Error::Internal(format!(
            "customer {} has unknown plan {:?}",
            c.customer_id, c.plan_name
        ))
    })
}

fn limit_to_pb(l: &Limit, used: Option<i64>) -> pb::Limit {
    pb::Limit {
        name: l.name.into(),
        value: l.value,
        default_value: l.default,
        overridden: l.overridden,
        used,
    }
}
