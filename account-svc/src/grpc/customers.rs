//! Customers: create, read, list, delete, and the plans on offer.

use platform::context::CallContext;
use platform::idempotency::{self, Key};
use platform::status::Violations;
use proto::account::v1 as pb;
use tonic::{Request, Response, Status};

use platform::paging::Page;

use super::{AccountApi, CUSTOMERS, LOG_TARGET, in_scope, to_pb};
use crate::domain::plan;
use crate::domain::{AccountName, parse_comments, parse_reason};
use crate::error::Error;
use crate::provisioning::Origin;
use crate::recovery;
use crate::store::customer::{self, Deletion, ListFilter};

impl AccountApi {
    pub(super) async fn new_customer(
        &self,
        req: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let key = Key::from_request(&req);
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        if let Some(answer) = self.claim_customer(&ctx, key.as_ref()).await? {
            return Ok(idempotency::replayed(answer));
        }
        let created = self
            .create(
                &ctx,
                caller,
                req.into_inner(),
                Origin::Request,
                key.as_ref(),
            )
            .await;
        self.settle(key.as_ref(), created).await
    }

    pub(super) async fn customer(
        &self,
        req: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let c = self
            .visible(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        Ok(Response::new(to_pb(&c)))
    }

    pub(super) async fn customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let mut v = Violations::new();
        if !r.parent_partner_id.is_empty() && !platform::id::is_id(&r.parent_partner_id) {
            v.add("parentPartnerID", "must be a 32-character id");
        }
        let page = Page::parse(&mut v, r.skip, r.take, &r.after, platform::id::is_id);
        let (Some(page), true) = (page, v.is_empty()) else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        let (within, exclude) = match &caller {
            Some(home) => (home.path.as_str(), home.customer_id.as_str()),
            None => ("/", ""),
        };
        let user_name_key = r.user_name.trim().to_lowercase();
        let filter = ListFilter {
            within,
            exclude,
            parent_id: &r.parent_partner_id,
            user_name_key: &user_name_key,
            plan_name: r.plan_name.trim(),
        };
        // One row more than asked tells whether another page follows.
        let mut rows = customer::list(
            &self.state.db,
            &filter,
            customer::Page {
                after: page.after(),
                skip: page.skip(),
                take: page.take() + 1,
            },
        )
        .await?;
        let total = platform::paging::total(
            &self.state.cache,
            CUSTOMERS,
            &filter.cache_key(),
            customer::count(&self.state.db, &filter),
        )
        .await?;
        let next_cursor = page.cut(&mut rows, |c| &c.customer_id);
        Ok(Response::new(pb::ListCustomersResponse {
            items: rows.iter().map(to_pb).collect(),
            total,
            next_cursor,
        }))
    }

    pub(super) async fn name_taken(
        &self,
        req: Request<pb::UserNameTakenRequest>,
    ) -> Result<Response<pb::UserNameTakenResponse>, Status> {
        // Names are unique platform-wide, so the answer is platform-wide too:
        // that is what a partner needs before choosing one. A name no create
        // would accept is never "free": that answer would be a promise the
        // create then breaks.
        let r = req.get_ref();
        let parsed = if r.v1 {
            AccountName::parse_v1(&r.user_name)
        } else {
            AccountName::parse(&r.user_name)
        };
        let name = parsed.map_err(|e| {
            Error::Invalid(vec![(
                if r.v1 { "userName" } else { "accountName" }.into(),
                e,
            )])
        })?;
        let taken = customer::user_name_taken(&self.state.db, &name.key()).await?;
        Ok(Response::new(pb::UserNameTakenResponse { taken }))
    }

    pub(super) async fn delete(
        &self,
        req: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pb::DeleteCustomerResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let mut v = Violations::new();
        let reason = v.check("reason", parse_reason(&r.reason));
        let comments = v.check("comments", parse_comments(&r.comments));
        let (Some(reason), Some(comments)) = (reason, comments) else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        if !platform::id::is_id(&r.customer_id) {
            return Err(Error::NotFound.into());
        }
        let c = match customer::find(&self.state.db, &r.customer_id).await? {
            Some(c)
                if (c.status == "active" || c.status == "deleting")
                    && in_scope(caller.as_ref(), &c) =>
            {
                c
            }
            _ => return Err(Error::NotFound.into()),
        };
        if c.parent_id.is_none() {
            return Err(Error::Conflict("the root distributor cannot be deleted".into()).into());
        }
        if caller
            .as_ref()
            .is_some_and(|home| home.customer_id == c.customer_id)
        {
            return Err(
                Error::Conflict("a partner cannot delete itself; its parent can".into()).into(),
            );
        }
        if c.status == "active" {
            if customer::has_children(&self.state.db, &c.customer_id).await? {
                return Err(Error::Conflict(
                    "the partner still has customers; delete them first".into(),
                )
                .into());
            }
            let p = ctx.principal.clone().unwrap_or_default();
            let deletion = Deletion {
                client_id: &p.client_id,
                contact_id: &p.contact_id,
                reason: &reason,
                comments: &comments,
            };
            customer::begin_delete(&self.state.db, &c, &deletion).await?;
            self.customers_changed().await;
        }
        // The customer is hidden from here on; if a peer is down the delete is
        // finished by a retry of this call or by the recovery sweep.
        recovery::finish_delete(&self.state, &ctx.internal(), &c.customer_id).await?;
        tracing::info!(target: LOG_TARGET, customer_id = c.customer_id, "customer deleted");
        Ok(Response::new(pb::DeleteCustomerResponse {}))
    }

    pub(super) async fn customer_plans(
        &self,
        req: Request<pb::ListCustomerPlansRequest>,
    ) -> Result<Response<pb::ListCustomerPlansResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let c = self
            .visible(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        let plans = plan::sellable()
            .map(|p| pb::CustomerPlan {
                name: p.name.into(),
                pretty_name: p.pretty_name.into(),
                is_current: !c.is_partner() && p.name == c.plan_name,
            })
            .collect();
        Ok(Response::new(pb::ListCustomerPlansResponse { plans }))
    }

    pub(super) async fn plans(
        &self,
        _req: Request<pb::ListPlansRequest>,
    ) -> Result<Response<pb::ListPlansResponse>, Status> {
        let plans = plan::PLANS
            .iter()
            .map(|p| pb::Plan {
                name: p.name.into(),
                pretty_name: p.pretty_name.into(),
                kind: p.kind.as_str().into(),
                limits: p
                    .limits
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), *v))
                    .collect(),
                prices: p
                    .prices
                    .iter()
                    .map(|(item, amount, currency, per)| pb::Price {
                        item: (*item).into(),
                        amount: *amount,
                        currency: (*currency).into(),
                        per: *per,
                    })
                    .collect(),
            })
            .collect();
        Ok(Response::new(pb::ListPlansResponse { plans }))
    }

    pub(super) async fn root(
        &self,
        _req: Request<pb::GetRootRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        match customer::find_root(&self.state.db).await? {
            Some(c) if c.status == "active" => Ok(Response::new(to_pb(&c))),
            _ => Err(Error::NotFound.into()),
        }
    }
}
