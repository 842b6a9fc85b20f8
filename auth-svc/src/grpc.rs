//! The AuthService API: parse the request into domain types, call the store
//! (contact-svc for roles and permissions, account-svc for the hierarchy),
//! answer.
//!
//! A call with a principal (from the gateway) is limited by its permissions
//! and its subtree (DESIGN §5); a call without one comes from a service or
//! bootstrap and is trusted. Peers are called as this service
//! (`ctx.internal()`) except account-svc's GetCustomer on a principal's
//! behalf (`ctx.request`), so account-svc applies the subtree rule.
//!
//! The calls are split by noun: [`clients`] API clients and their secrets,
//! [`access_requests`] a partner's API access requests, [`tokens`] issuing,
//! authenticating, introspecting and revoking tokens.
//!
//! Tokens and secrets are never logged; client ids are.
//!
//! CreateClient and RequestApiAccess honour an `Idempotency-Key` the
//! gateway forwards ([`platform::idempotency`]): see `create` and
//! `request_access`. A replayed CreateClient carries no secret
//! (`kept_answer`).

mod access_requests;
mod clients;
#[cfg(test)]
mod tests;
mod tokens;

use platform::context::CallContext;
use platform::idempotency::{self, Key};
use proto::account::v1::{Customer, GetCustomerRequest};
use proto::auth::v1 as pb;
use proto::common::v1::Principal;
use proto::contact::v1::{GetRolesRequest, GetRolesResponse};
use tonic::{Code, Request, Response, Status};

use crate::State;
use crate::domain::access::{Manage, is_customer_path};
use crate::error::Error;
use crate::store::client::ClientRow;

pub struct AuthApi {
    pub state: State,
}

/// The target of every line this API logs, whichever noun file writes it:
/// the one the lines had before the split, which log searches name.
const TARGET: &str = module_path!();

/// Bad client id or secret: one answer for both, so a caller cannot probe
/// which client ids exist.
const INVALID_CLIENT: Error = Error::Unauthenticated("invalid client");
const INVALID_TOKEN: Error = Error::Unauthenticated("invalid token");
/// Missing or not the principal's to manage: one answer for both.
const NO_CLIENT: Error = Error::NotFound("no such client");
const NO_CONTACT: Error = Error::NotFound("no such contact");
const NO_PARTNER: Error = Error::NotFound("no such partner");
const NO_ACCESS_REQUEST: Error = Error::NotFound("no such access request");
const NO_MANAGE: Error = Error::PermissionDenied("missing permission clients:manage-own");
const NO_MANAGE_ALL: Error = Error::PermissionDenied("missing permission clients:manage-all");
const NOT_AN_ANCESTOR: Error =
    Error::PermissionDenied("only an owner of an ancestor partner may decide");

/// How far the principal may manage clients, or PERMISSION_DENIED. The
/// gateway checks this too; this is the second lock on the same door.
fn manage(p: &Principal) -> Result<Manage, Error> {
    Manage::of(&p.scopes).ok_or(NO_MANAGE)
}

/// A customer's path as account-svc answered it, if it is one a subtree
/// test can rely on; a customer without one is a fault of the peer, and
/// guessing would widen or hide what a principal sees.
fn checked_path(c: &Customer) -> Result<String, Error> {
    if is_customer_path(&c.path) {
        Ok(c.path.clone())
    } else {
        Err(Error::Internal(format!(
            "account-svc answered customer {} with path {:?}",
            c.customer_id, c.path
        )))
    }
}

impl AuthApi {
    /// The roles a contact holds on a customer and their permissions, asked
    /// as this service.
    async fn roles(
        &self,
        ctx: &CallContext,
        contact_id: &str,
        customer_id: &str,
    ) -> Result<GetRolesResponse, Error> {
        Ok(self
            .state
            .contacts
            .clone()
            .get_roles(ctx.internal().request(GetRolesRequest {
                contact_id: contact_id.to_owned(),
                customer_id: customer_id.to_owned(),
            }))
            .await
            .map_err(Error::upstream)?
            .into_inner())
    }

    /// The customer as the call's principal may see it (`None`: missing or
    /// outside its subtree); without a principal, any customer.
    async fn customer(
        &self,
        ctx: &CallContext,
        customer_id: &str,
    ) -> Result<Option<Customer>, Error> {
        match self
            .state
            .accounts
            .clone()
            .get_customer(ctx.request(GetCustomerRequest {
                customer_id: customer_id.to_owned(),
            }))
            .await
        {
            Ok(c) => Ok(Some(c.into_inner())),
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(Error::upstream(s)),
        }
    }

    /// The path of the principal's home partner.
    async fn home_path(&self, ctx: &CallContext, p: &Principal) -> Result<String, Error> {
        let home = self.customer(ctx, &p.customer_id).await?.ok_or_else(|| {
            // account-svc answers a principal whose home is gone as
            // UNAUTHENTICATED; NOT_FOUND for its own home is a peer fault.
            Error::Internal(format!(
                "home partner {} of a principal not found",
                p.customer_id
            ))
        })?;
        checked_path(&home)
    }

    /// Deletes the cache entries of revoked tokens, so the gateway stops
    /// accepting them at once rather than when its copy expires.
    async fn forget_tokens(&self, hashes: &[String]) {
        for hash in hashes {
            self.state
                .cache
                .del(&platform::cache::token_key(hash))
                .await;
        }
    }
}

#[tonic::async_trait]
impl pb::auth_service_server::AuthService for AuthApi {
    async fn create_client(
        &self,
        req: Request<pb::CreateClientRequest>,
    ) -> Result<Response<pb::CreateClientResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let key = Key::from_request(&req);
        idempotency::run(&self.state.db, key, |key| {
            self.create(ctx, req.into_inner(), key)
        })
        .await
    }

    async fn list_clients(
        &self,
        req: Request<pb::ListClientsRequest>,
    ) -> Result<Response<pb::ListClientsResponse>, Status> {
        Ok(Response::new(self.clients(req).await?))
    }

    async fn get_client(
        &self,
        req: Request<pb::GetClientRequest>,
    ) -> Result<Response<pb::Client>, Status> {
        Ok(Response::new(self.client(req).await?))
    }

    async fn delete_client(
        &self,
        req: Request<pb::DeleteClientRequest>,
    ) -> Result<Response<pb::DeleteClientResponse>, Status> {
        Ok(Response::new(self.delete(req).await?))
    }

    async fn rotate_secret(
        &self,
        req: Request<pb::RotateSecretRequest>,
    ) -> Result<Response<pb::CreateClientResponse>, Status> {
        Ok(Response::new(self.rotate(req).await?))
    }

    async fn request_api_access(
        &self,
        req: Request<pb::RequestApiAccessRequest>,
    ) -> Result<Response<pb::AccessRequest>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let key = Key::from_request(&req);
        idempotency::run(&self.state.db, key, |key| {
            self.request_access(ctx, req.into_inner(), key)
        })
        .await
    }

    async fn list_api_access(
        &self,
        req: Request<pb::ListApiAccessRequest>,
    ) -> Result<Response<pb::ListApiAccessResponse>, Status> {
        Ok(Response::new(self.access_requests(req).await?))
    }

    async fn decide_api_access(
        &self,
        req: Request<pb::DecideApiAccessRequest>,
    ) -> Result<Response<pb::AccessRequest>, Status> {
        Ok(Response::new(self.decide(req).await?))
    }

    async fn issue_token(
        &self,
        req: Request<pb::IssueTokenRequest>,
    ) -> Result<Response<pb::IssueTokenResponse>, Status> {
        Ok(Response::new(self.issue(req).await?))
    }

    async fn verify_client(
        &self,
        req: Request<pb::VerifyClientRequest>,
    ) -> Result<Response<pb::Client>, Status> {
        Ok(Response::new(self.verify(req).await?))
    }

    async fn authenticate(
        &self,
        req: Request<pb::AuthenticateRequest>,
    ) -> Result<Response<pb::AuthenticateResponse>, Status> {
        Ok(Response::new(self.authenticated(req).await?))
    }

    async fn introspect(
        &self,
        req: Request<pb::IntrospectRequest>,
    ) -> Result<Response<pb::Introspection>, Status> {
        Ok(Response::new(self.introspection(req).await?))
    }

    async fn revoke_token(
        &self,
        req: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        Ok(Response::new(self.revoke(req).await?))
    }

    async fn delete_contact_clients(
        &self,
        req: Request<pb::DeleteContactClientsRequest>,
    ) -> Result<Response<pb::DeleteCustomerClientsResponse>, Status> {
        Ok(Response::new(self.remove_contact_clients(req).await?))
    }

    async fn delete_customer_clients(
        &self,
        req: Request<pb::DeleteCustomerClientsRequest>,
    ) -> Result<Response<pb::DeleteCustomerClientsResponse>, Status> {
        Ok(Response::new(self.remove_customer_clients(req).await?))
    }
}

/// A client as the API shows it at `now` (Unix seconds): the previous
/// secret's expiry only while it still works.
fn to_pb(row: ClientRow, now: i64) -> pb::Client {
    let previous_secret_expires_at = row
        .previous_secret_hmac
        .as_ref()
        .and(row.previous_secret_expires_at)
        .filter(|until| now < *until)
        .and_then(|until| time::OffsetDateTime::from_unix_timestamp(until).ok())
        .map(platform::id::rfc3339)
        .unwrap_or_default();
    pb::Client {
        client_id: row.client_id,
        contact_id: row.contact_id,
        customer_id: row.customer_id,
        name: row.name,
        created_at: row.created_at,
        last_used_at: row.last_used_at.unwrap_or_default(),
        previous_secret_expires_at,
    }
}
