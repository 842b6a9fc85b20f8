//! A partner's API access requests: filed, listed, decided by an owner of
//! an ancestor.

use platform::context::CallContext;
use platform::idempotency::Key;
use platform::paging::{self, Page};
use platform::status::Violations;
use proto::account::v1::{Customer, CustomerKind};
use proto::auth::v1 as pb;
use tonic::{Request, Status};

use super::{
    AuthApi, NO_ACCESS_REQUEST, NO_MANAGE_ALL, NO_PARTNER, NOT_AN_ANCESTOR, TARGET, manage,
};
use crate::domain::access::{AccessStatus, ContactIds, Manage};
use crate::error::Error;
use crate::store::access_request::{self, AccessRequestRow};

/// The [`paging`] scope of a partner's API access requests.
fn access_requests_scope(customer_id: &str) -> String {
    format!("access_requests:{customer_id}")
}

/// Space-separated list (roles, contact ids) to its items; "" is none.
fn split(list: &str) -> Vec<String> {
    list.split_whitespace().map(str::to_owned).collect()
}

fn access_to_pb(row: AccessRequestRow) -> pb::AccessRequest {
    pb::AccessRequest {
        request_id: row.request_id,
        customer_id: row.customer_id,
        status: row.status,
        contact_ids: split(&row.contact_ids),
        requested_by: row.requested_by,
        decided_by: row.decided_by,
        created_at: row.created_at,
        decided_at: row.decided_at.unwrap_or_default(),
    }
}

impl AuthApi {
    /// RequestApiAccess's work, under the request's Idempotency-Key if any.
    pub(super) async fn request_access(
        &self,
        ctx: CallContext,
        r: pb::RequestApiAccessRequest,
        key: Option<Key>,
    ) -> Result<pb::AccessRequest, Status> {
        if let Some(p) = &ctx.principal
            && Manage::of(&p.scopes) != Some(Manage::All)
        {
            return Err(NO_MANAGE_ALL.into());
        }
        let contact_ids = ContactIds::parse(&r.contact_ids).map_err(Error::Invalid)?;
        let partner = self.partner(&ctx, &r.customer_id).await?;
        if partner.kind() != CustomerKind::Partner {
            return Err(Error::FailedPrecondition(
                "API access is for partners; an account holds no API clients".into(),
            )
            .into());
        }
        if partner.parent_partner_id.is_empty() {
            return Err(
                Error::FailedPrecondition("the root distributor has API access".into()).into(),
            );
        }
        // One look-up per contact, in turn: at most 50, and a request is rare.
        let mut v = Violations::new();
        for (i, contact_id) in contact_ids.as_slice().iter().enumerate() {
            if self
                .roles(&ctx, contact_id, &r.customer_id)
                .await?
                .roles
                .is_empty()
            {
                v.add(format!("contactIDs[{i}]"), "holds no role on this partner");
            }
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let requested_by = ctx.principal.as_ref().map_or("", |p| p.contact_id.as_str());
        let row = access_request::insert_keeping(
            &self.state.db,
            &r.customer_id,
            &contact_ids.stored(),
            requested_by,
            key.as_ref(),
            |row| access_to_pb(row.clone()),
        )
        .await?;
        paging::changed(&self.state.cache, &access_requests_scope(&row.customer_id)).await;
        tracing::info!(
            target: TARGET,
            request_id = row.request_id,
            customer_id = row.customer_id,
            "API access requested"
        );
        Ok(access_to_pb(row))
    }

    /// The partner an access-request call is about, as the principal may
    /// see it; NOT_FOUND when it may not or the id is no id.
    async fn partner(&self, ctx: &CallContext, customer_id: &str) -> Result<Customer, Error> {
        if !platform::id::is_id(customer_id) {
            return Err(NO_PARTNER);
        }
        self.customer(ctx, customer_id).await?.ok_or(NO_PARTNER)
    }

    pub(super) async fn access_requests(
        &self,
        req: Request<pb::ListApiAccessRequest>,
    ) -> Result<pb::ListApiAccessResponse, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        if let Some(p) = &ctx.principal {
            manage(p)?;
        }
        let mut v = Violations::new();
        let page = Page::parse(&mut v, r.skip, r.take, &r.after, platform::id::is_id);
        let (Some(page), true) = (page, v.is_empty()) else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        let customer_id = &r.customer_id;
        match &ctx.principal {
            Some(_) => {
                self.partner(&ctx, customer_id).await?;
            }
            None if !platform::id::is_id(customer_id) => return Err(NO_PARTNER.into()),
            None => {}
        }
        let db = &self.state.db;
        // One row more than asked tells whether another page follows.
        let mut rows =
            access_request::list(db, customer_id, page.after(), page.skip(), page.take() + 1)
                .await?;
        let next_cursor = page.cut(&mut rows, |r| &r.request_id);
        // The partner decides the whole set: no filter beside the scope.
        let total = paging::total(
            &self.state.cache,
            &access_requests_scope(customer_id),
            "",
            access_request::count(db, customer_id),
        )
        .await?;
        Ok(pb::ListApiAccessResponse {
            requests: rows.into_iter().map(access_to_pb).collect(),
            total,
            next_cursor,
        })
    }

    pub(super) async fn decide(
        &self,
        req: Request<pb::DecideApiAccessRequest>,
    ) -> Result<pb::AccessRequest, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        match &ctx.principal {
            Some(p) => {
                if Manage::of(&p.scopes) != Some(Manage::All) {
                    return Err(NOT_AN_ANCESTOR.into());
                }
                // Outside the subtree stays NOT_FOUND (DESIGN §5); the
                // partner's own owners see it but may not approve themselves.
                self.partner(&ctx, &r.customer_id).await?;
                if r.customer_id == p.customer_id {
                    return Err(NOT_AN_ANCESTOR.into());
                }
            }
            None if !platform::id::is_id(&r.customer_id) => return Err(NO_PARTNER.into()),
            None => {}
        }
        if !platform::id::is_id(&r.request_id) {
            return Err(NO_ACCESS_REQUEST.into());
        }
        let status = AccessStatus::decision(r.approve);
        let decided_by = ctx.principal.as_ref().map_or("", |p| p.contact_id.as_str());
        let db = &self.state.db;
        let Some(row) =
            access_request::decide(db, &r.customer_id, &r.request_id, status, decided_by).await?
        else {
            return Err(
                match access_request::find(db, &r.customer_id, &r.request_id).await? {
                    Some(found) => Error::FailedPrecondition(format!(
                        "the request is already {}",
                        found.status
                    )),
                    None => NO_ACCESS_REQUEST,
                }
                .into(),
            );
        };
        tracing::info!(
            target: TARGET,
            request_id = row.request_id,
            customer_id = row.customer_id,
            status = row.status,
            "API access decided"
        );
        Ok(access_to_pb(row))
    }
}
