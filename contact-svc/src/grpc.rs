//! The ContactService API: parse the request into domain types, call the
//! store, answer. A call with a principal (the gateway's, on a partner's
//! behalf) is decided here ([`crate::behalf`]): its permission, whether it
//! reaches the customer and the customer's rules, asked of account-svc. A
//! call without one is a service acting as itself (account-svc, auth-svc,
//! bootstrap), which passes what it knows about the customer (its kind, its
//! password policy, its `Iam_usersMax`).
//!
//! The calls are split by noun: [`contacts`] creates, reads, lists, updates
//! and removes contacts, [`roles`] the roles a contact holds and the
//! catalogue, [`assignments`] a contact on further customers, [`passwords`]
//! changes and hashing.
//!
//! CreateContact and AssignContact honour an `Idempotency-Key` the gateway
//! forwards ([`platform::idempotency`]): see `create_under_key` and
//! `assign_under_key`.

mod assignments;
mod contacts;
mod passwords;
mod roles;
#[cfg(test)]
mod tests;

use platform::context::CallContext;
use platform::paging;
use platform::status::Violations;
use proto::contact::v1 as pb;
use tonic::{Request, Response, Status};

use crate::State;
use crate::behalf::{self, Rules};
use crate::error::Error;
use crate::store::contact;

pub struct ContactApi {
    pub state: State,
}

/// The target of every line this API logs, whichever noun file writes it:
/// the one the lines had before the split, which log searches name.
const TARGET: &str = module_path!();

/// The [`paging`] scope of a customer's contact list: its total changes
/// when a contact is created on, assigned to or removed from the customer.
fn contacts_scope(customer_id: &str) -> String {
    format!("contacts:{customer_id}")
}

fn check_id(field: &str, id: &str) -> Result<(), Error> {
    let mut v = Violations::new();
    v.require_id(field, id);
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(v.into_vec()))
    }
}

impl ContactApi {
    /// On a partner's behalf: the principal's `permission`, and the rules of
    /// `customer_id` when the principal reaches it (NOT_FOUND otherwise).
    /// `None`: a service acting as itself, which brings the rules itself.
    async fn on_behalf(
        &self,
        ctx: &CallContext,
        permission: &'static str,
        customer_id: &str,
    ) -> Result<Option<Rules>, Status> {
        let Some(principal) = &ctx.principal else {
            return Ok(None);
        };
        behalf::require(principal, permission)?;
        Ok(Some(self.state.peers.rules(ctx, customer_id).await?))
    }

    /// Contacts were created on, assigned to or removed from the customer
    /// (committed): its list's total counts afresh.
    async fn contacts_changed(&self, customer_id: &str) {
        paging::changed(&self.state.cache, &contacts_scope(customer_id)).await;
    }

    /// The contact as `customer_id` sees it: its row and its roles there.
    async fn seen_from(&self, contact_id: &str, customer_id: String) -> Result<pb::Contact, Error> {
        let row = contact::find(&self.state.db, contact_id)
            .await?
            .ok_or(Error::NotFound)?;
        let roles = contact::roles(&self.state.db, contact_id, &customer_id).await?;
        Ok(to_pb(row, customer_id, roles))
    }
}

#[tonic::async_trait]
impl pb::contact_service_server::ContactService for ContactApi {
    async fn create_contact(
        &self,
        req: Request<pb::CreateContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        self.create(req).await
    }

    async fn get_contact(
        &self,
        req: Request<pb::GetContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        Ok(Response::new(self.get(req).await?))
    }

    async fn get_roles(
        &self,
        req: Request<pb::GetRolesRequest>,
    ) -> Result<Response<pb::GetRolesResponse>, Status> {
        Ok(Response::new(self.roles(req).await?))
    }

    async fn set_roles(
        &self,
        req: Request<pb::SetRolesRequest>,
    ) -> Result<Response<pb::GetRolesResponse>, Status> {
        Ok(Response::new(self.replace_roles(req).await?))
    }

    async fn list_roles(
        &self,
        _req: Request<pb::ListRolesRequest>,
    ) -> Result<Response<pb::ListRolesResponse>, Status> {
        Ok(Response::new(roles::catalogue()))
    }

    async fn list_contacts(
        &self,
        req: Request<pb::ListContactsRequest>,
    ) -> Result<Response<pb::ListContactsResponse>, Status> {
        Ok(Response::new(self.list(req).await?))
    }

    async fn count_contacts(
        &self,
        req: Request<pb::CountContactsRequest>,
    ) -> Result<Response<pb::CountContactsResponse>, Status> {
        Ok(Response::new(self.count(req).await?))
    }

    async fn update_contact(
        &self,
        req: Request<pb::UpdateContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        Ok(Response::new(self.update(req).await?))
    }

    async fn assign_contact(
        &self,
        req: Request<pb::AssignContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        self.assign(req).await
    }

    async fn remove_assignment(
        &self,
        req: Request<pb::RemoveAssignmentRequest>,
    ) -> Result<Response<pb::RemoveAssignmentResponse>, Status> {
        Ok(Response::new(self.remove(req).await?))
    }

    async fn change_password(
        &self,
        req: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        Ok(Response::new(self.new_password(req).await?))
    }

    async fn delete_customer_contacts(
        &self,
        req: Request<pb::DeleteCustomerContactsRequest>,
    ) -> Result<Response<pb::DeleteCustomerContactsResponse>, Status> {
        Ok(Response::new(self.delete_customer(req).await?))
    }
}

fn to_pb(row: contact::ContactRow, customer_id: String, roles: Vec<String>) -> pb::Contact {
    pb::Contact {
        contact_id: row.contact_id,
        customer_id,
        login: row.login,
        name: row.name,
        email: row.email,
        cellular_phone: row.cellular_phone,
        roles,
        culture: row.culture,
        alternative_email: row.alternative_email,
        phone: row.phone,
    }
}
