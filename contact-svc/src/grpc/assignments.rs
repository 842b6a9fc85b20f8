//! A contact on further customers: assigned to one, removed from one (the
//! contact goes with its last assignment).

use platform::context::CallContext;
use platform::idempotency::{self, Key};
use platform::status::Violations;
use proto::contact::v1 as pb;
use tonic::{Request, Response, Status};

use super::roles::role_names;
use super::{ContactApi, TARGET, check_id, to_pb};
use crate::behalf;
use crate::domain::{Kind, Role, UsersMax};
use crate::error::Error;
use crate::store::contact::{self, Answer};

impl ContactApi {
    pub(super) async fn assign(
        &self,
        req: Request<pb::AssignContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let key = Key::from_request(&req);
        let mut r = req.into_inner();
        if ctx.principal.is_some() {
            // The principal must reach both customers; the target's rules
            // decide the roles and the limit.
            self.on_behalf(&ctx, behalf::WRITE, &r.from_customer_id)
                .await?;
            check_id("targetAccountID", &r.target_customer_id)?;
            if let Some(target) = self
                .on_behalf(&ctx, behalf::WRITE, &r.target_customer_id)
                .await?
            {
                r.target_kind = target.kind;
                r.users_max = target.users_max;
            }
        }
        idempotency::run(&self.state.db, key, |key| self.assign_under_key(r, key)).await
    }

    /// AssignContact's work, under the request's Idempotency-Key if any.
    async fn assign_under_key(
        &self,
        r: pb::AssignContactRequest,
        key: Option<Key>,
    ) -> Result<pb::Contact, Status> {
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        v.require_id("customerID", &r.from_customer_id);
        v.require_id("targetAccountID", &r.target_customer_id);
        let kind = v.check("targetKind", Kind::parse(&r.target_kind));
        if r.roles.is_empty() {
            v.add("accessRoleNames", "at least one role is required");
        }
        let roles = role_names(&mut v, &r.roles, kind);
        let users_max = v.check("usersMax", UsersMax::parse(r.users_max));
        let Some(users_max) = users_max else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let target_customer_id = r.target_customer_id.clone();
        let assigned = contact::assign(
            &self.state.db,
            &r.contact_id,
            &r.from_customer_id,
            &r.target_customer_id,
            &roles,
            users_max,
            Answer {
                key: key.as_ref(),
                shape: |row, roles| to_pb(row, target_customer_id, roles),
            },
        )
        .await?;
        self.contacts_changed(&r.target_customer_id).await;
        tracing::info!(
            target: TARGET,
            contact_id = r.contact_id,
            from_customer_id = r.from_customer_id,
            target_customer_id = r.target_customer_id,
            roles = ?roles,
            "contact assigned"
        );
        Ok(assigned)
    }

    pub(super) async fn remove(
        &self,
        req: Request<pb::RemoveAssignmentRequest>,
    ) -> Result<pb::RemoveAssignmentResponse, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        self.on_behalf(&ctx, behalf::WRITE, &r.customer_id).await?;
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        v.require_id("customerID", &r.customer_id);
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        // A contact left with no assignment goes with its API clients: they
        // are removed before the deletion commits, so a failure leaves both.
        let contact_deleted = contact::remove_assignment(
            &self.state.db,
            &r.contact_id,
            &r.customer_id,
            Role::is_owner_role,
            || async { Ok(self.state.peers.forget_clients(&ctx, &r.contact_id).await?) },
        )
        .await?;
        self.contacts_changed(&r.customer_id).await;
        tracing::info!(
            target: TARGET,
            contact_id = r.contact_id,
            customer_id = r.customer_id,
            contact_deleted,
            "contact assignment removed"
        );
        Ok(pb::RemoveAssignmentResponse { contact_deleted })
    }
}
