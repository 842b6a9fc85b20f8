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
//! Tokens and secrets are never logged; client ids are.
//!
//! CreateClient and RequestApiAccess honour an `Idempotency-Key` the
//! gateway forwards ([`platform::idempotency`]): see `idempotent` below. A
//! replayed CreateClient carries no secret (`kept_answer`).

use platform::context::CallContext;
use platform::db::Db;
use platform::idempotency::{self, Key};
use platform::paging;
use platform::status::Violations;
use proto::account::v1::{Customer, CustomerKind, GetCustomerRequest};
use proto::auth::v1 as pb;
use proto::common::v1::Principal;
use proto::contact::v1::{GetContactRequest, GetRolesRequest, GetRolesResponse};
use tonic::{Code, Request, Response, Status};

use crate::State;
use crate::domain::access::{
    AccessStatus, ContactIds, Manage, Viewer, is_customer_path, may_hold_clients, may_manage,
};
use crate::domain::secret::{StoredSecret, new_token, token_hash};
use crate::domain::{ClientId, ClientName, GracePeriod, Scope, Secret};
use crate::error::Error;
use crate::store::access_request::{self, AccessRequestRow};
use crate::store::client::{self, ClientRow, ListFilter, NewClient, Removal, Visible};
use crate::store::token::{self, NewToken};
use platform::paging::Page;

pub struct AuthApi {
    pub state: State,
}

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

/// The [`paging`] scope of the client lists. One scope for every list, not
/// one per customer: a client shows in its contact's list and in the list
/// of every ancestor's owners, so a write would have to reach them all, and
/// clients are written rarely beside being read.
const CLIENTS: &str = "clients";

/// The [`paging`] scope of a partner's API access requests.
fn access_requests_scope(customer_id: &str) -> String {
    format!("access_requests:{customer_id}")
}

/// Whether `s` may be a cursor of the client list: a client id (bootstrap's
/// chosen ids are not platform ids).
fn is_client_cursor(s: &str) -> bool {
    ClientId::parse(s).is_ok()
}

/// Space-separated list (roles, contact ids) to its items; "" is none.
fn split(list: &str) -> Vec<String> {
    list.split_whitespace().map(str::to_owned).collect()
}

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

/// Keeps `answer` under `key` apart from the create (see create_internal).
async fn keep(db: &Db, key: &Key, answer: &pb::CreateClientResponse) -> Result<(), Error> {
    let mut tx = db.pool.begin().await?;
    idempotency::complete(&mut tx, key, answer).await?;
    tx.commit().await?;
    Ok(())
}

/// CreateClient's answer as kept under an Idempotency-Key: everything but
/// the secret. The secret is shown once, in the first answer, and stored
/// nowhere in plaintext (the client row holds its HMAC), so a replay
/// answers the same client with `client_secret` empty; a caller that lost
/// the secret rotates it (RotateSecret).
fn kept_answer(row: &ClientRow) -> pb::CreateClientResponse {
    pb::CreateClientResponse {
        client: Some(to_pb(row.clone(), platform::id::unix_now())),
        client_secret: String::new(),
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

    /// The client the call may manage, or NOT_FOUND: without a principal,
    /// any client; with one, only what [`may_manage`] allows.
    async fn managed_client(&self, ctx: &CallContext, client_id: &str) -> Result<ClientRow, Error> {
        let manage = ctx.principal.as_ref().map(manage).transpose()?;
        // Bootstrap ids are not platform ids, so any valid client id is looked up.
        if ClientId::parse(client_id).is_err() {
            return Err(NO_CLIENT);
        }
        let client = client::find(&self.state.db, client_id)
            .await?
            .ok_or(NO_CLIENT)?;
        let Some(p) = &ctx.principal else {
            return Ok(client);
        };
        // The home path matters only for another contact's client under
        // manage-all; everything else is decided without asking account-svc.
        let home_path = if manage == Some(Manage::All) && client.contact_id != p.contact_id {
            self.home_path(ctx, p).await?
        } else {
            String::new()
        };
        let viewer = Viewer {
            scopes: &p.scopes,
            contact_id: &p.contact_id,
            home_path: &home_path,
        };
        if may_manage(&viewer, &client.contact_id, &client.customer_path) {
            Ok(client)
        } else {
            Err(NO_CLIENT)
        }
    }

    /// The client these credentials name, or INVALID_CLIENT. The HMACs are
    /// computed even for an unknown client, so the time taken does not tell
    /// whether the client id exists.
    async fn verified_client(&self, client_id: &str, secret: &str) -> Result<ClientRow, Status> {
        let found = client::find(&self.state.db, client_id).await?;
        let stored = found.as_ref().map(|c| StoredSecret {
            current: &c.secret_hmac,
            previous: c
                .previous_secret_hmac
                .as_deref()
                .zip(c.previous_secret_expires_at),
        });
        let verified = self
            .state
            .key
            .verify_stored(secret, stored, platform::id::unix_now());
        match found.filter(|_| verified) {
            Some(c) => Ok(c),
            None => {
                // Debug-escaped: the id is whatever the caller sent.
                tracing::info!(client_id = ?client_id, "refused: invalid client");
                Err(INVALID_CLIENT.into())
            }
        }
    }

    /// Creates a client under the id and secret the caller chose (bootstrap),
    /// or gives an existing one of the same contact and customer the secret,
    /// so a restart with the same settings converges instead of failing.
    async fn put_given_client(&self, new: &NewClient<'_>) -> Result<ClientRow, Error> {
        let db = &self.state.db;
        // Two rounds at most: an insert that loses a race with another
        // creation of the same id finds that client on the second look.
        for _ in 0..2 {
            if let Some(mut existing) = client::find(db, new.client_id).await? {
                if existing.contact_id != new.contact_id || existing.customer_id != new.customer_id
                {
                    return Err(Error::ClientIdTaken);
                }
                if !client::set_secret(db, new).await? {
                    continue; // removed meanwhile: create it again
                }
                existing.secret_hmac = new.secret_hmac.to_owned();
                existing.customer_path = new.customer_path.to_owned();
                existing.previous_secret_hmac = None;
                existing.previous_secret_expires_at = None;
                tracing::info!(client_id = new.client_id, "client secret replaced");
                return Ok(existing);
            }
            match client::insert(db, new).await {
                Err(Error::ClientIdTaken) => continue,
                other => return other,
            }
        }
        Err(Error::ClientIdTaken)
    }

    /// CreateClient for a service or bootstrap: the contact and customer are
    /// taken as given; the id and secret may be too.
    async fn create_internal(
        &self,
        ctx: &CallContext,
        r: pb::CreateClientRequest,
        key: Option<&Key>,
    ) -> Result<(ClientRow, Secret), Error> {
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        v.require_id("customerID", &r.customer_id);
        let name = v.check("name", ClientName::parse(&r.name));
        let given = match (r.client_id.is_empty(), r.client_secret.is_empty()) {
            (true, true) => None,
            (false, false) => {
                let id = v.check("clientID", ClientId::parse(&r.client_id));
                let secret = v.check("clientSecret", Secret::parse(&r.client_secret));
                id.zip(secret)
            }
            (false, true) => {
                v.add("clientSecret", "is required when clientID is given");
                None
            }
            (true, false) => {
                v.add("clientID", "is required when clientSecret is given");
                None
            }
        };
        let Some(name) = name.filter(|_| v.is_empty()) else {
            return Err(Error::Invalid(v.into_vec()));
        };
        // Bootstrap creates the root before its client, so the customer
        // exists; a missing one is the caller's mistake, not '' to store.
        let customer = self
            .customer(&ctx.internal(), &r.customer_id)
            .await?
            .ok_or(Error::NotFound("no such customer"))?;
        let customer_path = checked_path(&customer)?;
        match given {
            Some((id, secret)) => {
                let new = NewClient {
                    client_id: id.as_str(),
                    contact_id: &r.contact_id,
                    customer_id: &r.customer_id,
                    customer_path: &customer_path,
                    name: name.as_str(),
                    secret_hmac: &self.state.key.secret_hmac(secret.expose()),
                };
                let row = self.put_given_client(&new).await?;
                // Bootstrap's given client converges by itself (a repeat
                // gives the same client the same secret), so its answer is
                // kept after the fact rather than in put_given_client's
                // statements: a crash in between only leaves the key to go
                // stale, and a retry converges on the same client.
                if let Some(key) = key {
                    keep(&self.state.db, key, &kept_answer(&row)).await?;
                }
                Ok((row, secret))
            }
            None => {
                let secret = Secret::generate();
                let client_id = platform::id::new_id();
                let new = NewClient {
                    client_id: &client_id,
                    contact_id: &r.contact_id,
                    customer_id: &r.customer_id,
                    customer_path: &customer_path,
                    name: name.as_str(),
                    secret_hmac: &self.state.key.secret_hmac(secret.expose()),
                };
                let row = client::insert_keeping(&self.state.db, &new, key, kept_answer).await?;
                Ok((row, secret))
            }
        }
    }

    /// CreateClient on a principal's behalf: for itself (manage-own) or any
    /// contact of its subtree (manage-all) that may hold clients, on a
    /// partner whose API access is approved.
    async fn create_for(
        &self,
        ctx: &CallContext,
        p: &Principal,
        r: pb::CreateClientRequest,
        key: Option<&Key>,
    ) -> Result<(ClientRow, Secret), Error> {
        let manage = manage(p)?;
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        if !r.customer_id.is_empty() {
            v.require_id("customerID", &r.customer_id);
        }
        // A chosen id and secret are for bootstrap: a generated secret is
        // the only one known to carry 256 random bits.
        if !r.client_id.is_empty() {
            v.add("clientID", "is chosen by the platform");
        }
        if !r.client_secret.is_empty() {
            v.add("clientSecret", "is chosen by the platform");
        }
        let name = v.check("name", ClientName::parse(&r.name));
        let Some(name) = name.filter(|_| v.is_empty()) else {
            return Err(Error::Invalid(v.into_vec()));
        };
        if manage == Manage::Own && r.contact_id != p.contact_id {
            return Err(Error::PermissionDenied(
                "clients:manage-own lets a contact create clients only for itself",
            ));
        }
        let customer_id = if r.customer_id.is_empty() {
            self.home_customer_of(ctx, &r.contact_id).await?
        } else {
            r.customer_id.clone()
        };
        // With the principal: a customer outside its subtree is NOT_FOUND,
        // and so is the contact, whose existence it must not learn.
        let customer = self.customer(ctx, &customer_id).await?.ok_or(NO_CONTACT)?;
        let customer_path = checked_path(&customer)?;
        let roles = self.roles(ctx, &r.contact_id, &customer_id).await?.roles;
        if !may_hold_clients(&roles) {
            return Err(Error::FieldPrecondition {
                field: "contactID",
                message: "the contact needs role AG_PRIVATELABELOWNERS or AG_PRIVATELABELPUBLICAPI to hold API clients",
            });
        }
        // The root distributor needs nobody's approval; every partner below
        // it needs an approved request naming the contact.
        let approved = customer.parent_partner_id.is_empty()
            || access_request::approved_for(&self.state.db, &customer_id, &r.contact_id).await?;
        if !approved {
            return Err(Error::PermissionDenied(
                "API access for this partner is not approved; ask its parent to approve an API access request",
            ));
        }
        let secret = Secret::generate();
        let client_id = platform::id::new_id();
        let new = NewClient {
            client_id: &client_id,
            contact_id: &r.contact_id,
            customer_id: &customer_id,
            customer_path: &customer_path,
            name: name.as_str(),
            secret_hmac: &self.state.key.secret_hmac(secret.expose()),
        };
        let row = client::insert_keeping(&self.state.db, &new, key, kept_answer).await?;
        Ok((row, secret))
    }

    /// CreateClient's work, under the request's Idempotency-Key if any.
    async fn create(
        &self,
        ctx: CallContext,
        r: pb::CreateClientRequest,
        key: Option<Key>,
    ) -> Result<pb::CreateClientResponse, Status> {
        let (row, secret) = match &ctx.principal {
            Some(p) => self.create_for(&ctx, p, r, key.as_ref()).await?,
            None => self.create_internal(&ctx, r, key.as_ref()).await?,
        };
        self.clients_changed().await;
        tracing::info!(
            client_id = row.client_id,
            contact_id = row.contact_id,
            customer_id = row.customer_id,
            "client created"
        );
        Ok(pb::CreateClientResponse {
            client_secret: secret.expose().to_owned(),
            ..kept_answer(&row)
        })
    }

    /// RequestApiAccess's work, under the request's Idempotency-Key if any.
    async fn request_access(
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
            request_id = row.request_id,
            customer_id = row.customer_id,
            "API access requested"
        );
        Ok(access_to_pb(row))
    }

    /// The customer a contact belongs to first (contact-svc's home customer).
    async fn home_customer_of(&self, ctx: &CallContext, contact_id: &str) -> Result<String, Error> {
        let contact = self
            .state
            .contacts
            .clone()
            .get_contact(ctx.internal().request(GetContactRequest {
                contact_id: contact_id.to_owned(),
                customer_id: String::new(),
            }))
            .await;
        match contact {
            Ok(c) if !c.get_ref().customer_id.is_empty() => Ok(c.into_inner().customer_id),
            Ok(_) => Err(NO_CONTACT),
            Err(s) if s.code() == Code::NotFound => Err(NO_CONTACT),
            Err(s) => Err(Error::upstream(s)),
        }
    }

    /// The partner an access-request call is about, as the principal may
    /// see it; NOT_FOUND when it may not or the id is no id.
    async fn partner(&self, ctx: &CallContext, customer_id: &str) -> Result<Customer, Error> {
        if !platform::id::is_id(customer_id) {
            return Err(NO_PARTNER);
        }
        self.customer(ctx, customer_id).await?.ok_or(NO_PARTNER)
    }

    /// Clients were created or removed (committed): list totals count
    /// afresh.
    async fn clients_changed(&self) {
        paging::changed(&self.state.cache, CLIENTS).await;
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
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let manage = ctx.principal.as_ref().map(manage).transpose()?;
        let mut v = Violations::new();
        match (
            &ctx.principal,
            r.contact_id.as_str(),
            r.customer_id.as_str(),
        ) {
            // A service names whose clients it wants.
            (None, "", "") => v.add("contactID", "contactID or customerID is required"),
            (_, contact_id, customer_id) => {
                if !contact_id.is_empty() {
                    v.require_id("contactID", contact_id);
                }
                if !customer_id.is_empty() {
                    v.require_id("customerID", customer_id);
                }
            }
        }
        let page = Page::parse(&mut v, r.skip, r.take, &r.after, is_client_cursor);
        let (Some(page), true) = (page, v.is_empty()) else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        // With manage-all, every client of the principal's subtree; its own
        // are always included, as GetClient would show them.
        let home_path = match (&ctx.principal, manage) {
            (Some(p), Some(Manage::All)) => self.home_path(&ctx, p).await?,
            _ => String::new(),
        };
        let visible = match (&ctx.principal, manage) {
            (None, _) => Visible::Any,
            (Some(p), Some(Manage::All)) => Visible::OwnAndWithin {
                contact_id: &p.contact_id,
                path: &home_path,
            },
            (Some(p), _) => Visible::Own(&p.contact_id),
        };
        let filter = ListFilter {
            visible,
            contact_id: &r.contact_id,
            customer_id: &r.customer_id,
        };
        let db = &self.state.db;
        // One row more than asked tells whether another page follows.
        let mut rows =
            client::list(db, &filter, page.after(), page.skip(), page.take() + 1).await?;
        let next_cursor = page.cut(&mut rows, |c| &c.client_id);
        let total = paging::total(
            &self.state.cache,
            CLIENTS,
            &filter.cache_key(),
            client::count(db, &filter),
        )
        .await?;
        let now = platform::id::unix_now();
        Ok(Response::new(pb::ListClientsResponse {
            clients: rows.into_iter().map(|c| to_pb(c, now)).collect(),
            total,
            next_cursor,
        }))
    }

    async fn get_client(
        &self,
        req: Request<pb::GetClientRequest>,
    ) -> Result<Response<pb::Client>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let client = self.managed_client(&ctx, &req.get_ref().client_id).await?;
        Ok(Response::new(to_pb(client, platform::id::unix_now())))
    }

    async fn delete_client(
        &self,
        req: Request<pb::DeleteClientRequest>,
    ) -> Result<Response<pb::DeleteClientResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let client = self.managed_client(&ctx, &req.get_ref().client_id).await?;
        let (deleted, revoked) =
            client::delete(&self.state.db, Removal::Client(&client.client_id)).await?;
        self.forget_tokens(&revoked).await;
        self.clients_changed().await;
        if deleted == 0 {
            // Deleted by someone else between the look-up and now; its
            // tokens are revoked all the same.
            return Err(NO_CLIENT.into());
        }
        tracing::info!(
            client_id = client.client_id,
            revoked = revoked.len(),
            "client deleted"
        );
        Ok(Response::new(pb::DeleteClientResponse {}))
    }

    async fn rotate_secret(
        &self,
        req: Request<pb::RotateSecretRequest>,
    ) -> Result<Response<pb::CreateClientResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let grace = GracePeriod::parse(r.grace_period_seconds)
            .map_err(|m| Error::Invalid(vec![("gracePeriodSeconds".to_owned(), m)]))?;
        let client = self.managed_client(&ctx, &r.client_id).await?;
        let secret = Secret::generate();
        let now = platform::id::unix_now();
        let rotated = client::rotate_secret(
            &self.state.db,
            &client.client_id,
            &self.state.key.secret_hmac(secret.expose()),
            grace.previous_until(now),
        )
        .await?
        .ok_or(NO_CLIENT)?;
        tracing::info!(
            client_id = rotated.client_id,
            grace_period_seconds = r.grace_period_seconds,
            "client secret rotated"
        );
        Ok(Response::new(pb::CreateClientResponse {
            client: Some(to_pb(rotated, now)),
            client_secret: secret.expose().to_owned(),
        }))
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
        Ok(Response::new(pb::ListApiAccessResponse {
            requests: rows.into_iter().map(access_to_pb).collect(),
            total,
            next_cursor,
        }))
    }

    async fn decide_api_access(
        &self,
        req: Request<pb::DecideApiAccessRequest>,
    ) -> Result<Response<pb::AccessRequest>, Status> {
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
            request_id = row.request_id,
            customer_id = row.customer_id,
            status = row.status,
            "API access decided"
        );
        Ok(Response::new(access_to_pb(row)))
    }

    async fn issue_token(
        &self,
        req: Request<pb::IssueTokenRequest>,
    ) -> Result<Response<pb::IssueTokenResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let client = self.verified_client(&r.client_id, &r.client_secret).await?;
        let access = self
            .roles(&ctx, &client.contact_id, &client.customer_id)
            .await?;
        // The contact was removed from the customer: its clients are dead.
        if access.roles.is_empty() {
            tracing::info!(
                client_id = client.client_id,
                "token refused: contact holds no roles"
            );
            return Err(Error::Unauthenticated("client has no access").into());
        }
        // Asked only after the client proved itself, so the refusal tells
        // nothing about permissions to a caller without credentials.
        let scope = Scope::parse(&r.scope);
        let granted = scope
            .grant(&access.permissions)
            .map_err(Error::InvalidScope)?;
        let access_token = new_token();
        let issued_at = platform::id::unix_now();
        // At most a day (checked at start), so the cast cannot wrap.
        let expires_in = self.state.token_ttl.as_secs() as i64;
        let issued = token::issue(
            &self.state.db,
            &NewToken {
                token_hash: &token_hash(&access_token),
                client_id: &client.client_id,
                contact_id: &client.contact_id,
                customer_id: &client.customer_id,
                roles: &access.roles.join(" "),
                scopes: &scope.stored(),
                issued_at,
                expires_at: issued_at + expires_in,
            },
        )
        .await?;
        if !issued {
            // The client was removed while its roles were being looked up.
            return Err(INVALID_CLIENT.into());
        }
        tracing::info!(client_id = client.client_id, "token issued");
        Ok(Response::new(pb::IssueTokenResponse {
            access_token,
            expires_in,
            scope: granted.join(" "),
        }))
    }

    async fn verify_client(
        &self,
        req: Request<pb::VerifyClientRequest>,
    ) -> Result<Response<pb::Client>, Status> {
        let r = req.into_inner();
        let client = self.verified_client(&r.client_id, &r.client_secret).await?;
        Ok(Response::new(to_pb(client, platform::id::unix_now())))
    }

    async fn authenticate(
        &self,
        req: Request<pb::AuthenticateRequest>,
    ) -> Result<Response<pb::AuthenticateResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        if r.access_token.is_empty() {
            return Err(INVALID_TOKEN.into());
        }
        let hash = token_hash(&r.access_token);
        let row = token::find_live(&self.state.db, &hash, platform::id::unix_now())
            .await?
            .ok_or(INVALID_TOKEN)?;
        // Roles are read afresh on every authentication, not taken from the
        // token row: the gateway caches a principal only seconds, so a role
        // change or a removed contact reaches existing tokens that fast. If
        // contact-svc is down the answer is its UNAVAILABLE, never a stale
        // principal.
        let access = self.roles(&ctx, &row.contact_id, &row.customer_id).await?;
        if access.roles.is_empty() {
            tracing::info!(client_id = row.client_id, "token refused: access ended");
            return Err(Error::Unauthenticated("access ended").into());
        }
        let scopes = Scope::parse(&row.scopes).effective(&access.permissions);
        Ok(Response::new(pb::AuthenticateResponse {
            principal: Some(Principal {
                client_id: row.client_id,
                contact_id: row.contact_id,
                customer_id: row.customer_id,
                roles: access.roles,
                scopes,
            }),
            expires_at: row.expires_at,
            issued_at: row.issued_at,
        }))
    }

    async fn introspect(
        &self,
        req: Request<pb::IntrospectRequest>,
    ) -> Result<Response<pb::Introspection>, Status> {
        let ctx = CallContext::from_request(&req)?;
        if ctx.principal.is_none() {
            return Err(
                Error::PermissionDenied("introspection answers for a client's subtree").into(),
            );
        }
        let inactive = || Ok(Response::new(pb::Introspection::default()));
        let access_token = req.into_inner().access_token;
        let token = match pb::auth_service_server::AuthService::authenticate(
            self,
            ctx.internal()
                .request(pb::AuthenticateRequest { access_token }),
        )
        .await
        {
            Ok(t) => t.into_inner(),
            Err(s) if s.code() == Code::Unauthenticated => return inactive(),
            Err(s) => return Err(s),
        };
        let home = token
            .principal
            .as_ref()
            .map(|p| p.customer_id.clone())
            .unwrap_or_default();
        // Visible only when the token's partner is in the caller's subtree:
        // account-svc decides with the caller's principal. A caller whose
        // own home is gone (UNAUTHENTICATED) sees nothing either.
        match self
            .state
            .accounts
            .clone()
            .get_customer(ctx.request(GetCustomerRequest { customer_id: home }))
            .await
        {
            Ok(_) => Ok(Response::new(pb::Introspection {
                active: true,
                token: Some(token),
            })),
            Err(s) if matches!(s.code(), Code::NotFound | Code::Unauthenticated) => inactive(),
            Err(s) => Err(s),
        }
    }

    async fn revoke_token(
        &self,
        req: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        let r = req.into_inner();
        if !r.token.is_empty() {
            let hash = token_hash(&r.token);
            if token::revoke(&self.state.db, &hash, &r.client_id).await? {
                tracing::info!(client_id = r.client_id, "token revoked");
            }
            // Also when nothing changed: a revoke retried after a crash between
            // the update and this line still clears the gateway's copy.
            self.forget_tokens(&[hash]).await;
        }
        Ok(Response::new(pb::RevokeTokenResponse {}))
    }

    async fn delete_contact_clients(
        &self,
        req: Request<pb::DeleteContactClientsRequest>,
    ) -> Result<Response<pb::DeleteCustomerClientsResponse>, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let (deleted, revoked) =
            client::delete(&self.state.db, Removal::Contact(&r.contact_id)).await?;
        // Only after the commit, so the gateway cannot cache a token again
        // from a row not yet revoked. Should this step be lost, its copies
        // lapse within the seconds the gateway keeps them.
        self.forget_tokens(&revoked).await;
        if deleted > 0 {
            self.clients_changed().await;
        }
        tracing::info!(
            contact_id = r.contact_id,
            deleted,
            revoked = revoked.len(),
            "contact clients removed"
        );
        Ok(Response::new(pb::DeleteCustomerClientsResponse {}))
    }

    async fn delete_customer_clients(
        &self,
        req: Request<pb::DeleteCustomerClientsRequest>,
    ) -> Result<Response<pb::DeleteCustomerClientsResponse>, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        v.require_id("customerID", &r.customer_id);
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let (deleted, revoked) =
            client::delete(&self.state.db, Removal::Customer(&r.customer_id)).await?;
        self.forget_tokens(&revoked).await;
        if deleted > 0 {
            self.clients_changed().await;
        }
        tracing::info!(
            customer_id = r.customer_id,
            deleted,
            revoked = revoked.len(),
            "customer clients removed"
        );
        Ok(Response::new(pb::DeleteCustomerClientsResponse {}))
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

#[cfg(test)]
mod tests {
    use pb::auth_service_server::AuthService as _;
    use platform::config::Storage;
    use proto::account::v1::account_service_client::AccountServiceClient;
    use proto::contact::v1::contact_service_client::ContactServiceClient;
    use tonic::Code;
    use tonic::transport::Channel;

    use super::*;
    use crate::domain::access::{MANAGE_ALL, MANAGE_OWN};
    use platform::fake_peer::{self, Accounts, Contacts};

    /// A data directory of its own, removed when the test ends.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new() -> Self {
            Self(std::env::temp_dir().join(format!("auth-svc-{}", platform::id::new_id())))
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn storage(dir: &TempDir) -> Storage {
        Storage {
            data_dir: dir.0.clone(),
            database_url: None,
            schema_prefix: String::new(),
            redis_url: None,
        }
    }

    /// A state on its own SQLite file, with contact-svc and account-svc
    /// nowhere: a call that reaches either fails UNAVAILABLE, which is how
    /// these tests see that a peer was (or was not) asked. The flows that
    /// need the peers are the end-to-end tests' to cover.
    async fn api(dir: &TempDir) -> AuthApi {
        let nowhere = || platform::grpc::channel("http://127.0.0.1:1").expect("channel");
        api_with(dir, nowhere(), nowhere()).await
    }

    /// A state whose peers answer on these channels.
    async fn api_with(dir: &TempDir, accounts: Channel, contacts: Channel) -> AuthApi {
        let signer = platform::fake_peer::caller();
        let state = State::open(
            &storage(dir),
            platform::cache::Cache::in_memory(),
            ContactServiceClient::new(platform::grpc::Traced::new(contacts, signer.clone())),
            AccountServiceClient::new(platform::grpc::Traced::new(accounts, signer)),
        )
        .await
        .expect("open");
        AuthApi { state }
    }

    /// A client written through the store, as CreateClient would after its
    /// peers agreed.
    async fn put_client(
        api: &AuthApi,
        contact_id: &str,
        customer_id: &str,
        customer_path: &str,
    ) -> (ClientRow, Secret) {
        let secret = Secret::generate();
        let client_id = platform::id::new_id();
        let row = client::insert(
            &api.state.db,
            &NewClient {
                client_id: &client_id,
                contact_id,
                customer_id,
                customer_path,
                name: "ci",
                secret_hmac: &api.state.key.secret_hmac(secret.expose()),
            },
        )
        .await
        .expect("insert");
        (row, secret)
    }

    /// Every stored client of a contact, read from the store.
    async fn stored_clients(api: &AuthApi, contact_id: &str) -> Vec<ClientRow> {
        let mine = ListFilter {
            visible: Visible::Own(contact_id),
            contact_id: "",
            customer_id: "",
        };
        client::list(&api.state.db, &mine, "", 0, 1000)
            .await
            .expect("list")
    }

    /// Every stored API access request of a partner, newest first.
    async fn stored_requests(api: &AuthApi, customer_id: &str) -> Vec<AccessRequestRow> {
        access_request::list(&api.state.db, customer_id, "", 0, 1000)
            .await
            .expect("list")
    }

    async fn put_token(api: &AuthApi, client: &ClientRow, scopes: &str) -> String {
        let access_token = new_token();
        let now = platform::id::unix_now();
        let issued = token::issue(
            &api.state.db,
            &NewToken {
                token_hash: &token_hash(&access_token),
                client_id: &client.client_id,
                contact_id: &client.contact_id,
                customer_id: &client.customer_id,
                roles: "AG_PRIVATELABELOWNERS",
                scopes,
                issued_at: now,
                expires_at: now + 60,
            },
        )
        .await
        .expect("issue");
        assert!(issued);
        access_token
    }

    fn principal(contact_id: &str, customer_id: &str, scopes: &[&str]) -> Principal {
        Principal {
            client_id: platform::id::new_id(),
            contact_id: contact_id.to_owned(),
            customer_id: customer_id.to_owned(),
            roles: vec!["AG_PRIVATELABELOWNERS".into()],
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// A request carrying `p` the way the gateway sends it.
    fn acting<T>(p: &Principal, message: T) -> Request<T> {
        CallContext::new(Some(p.clone()), None, None).request(message)
    }

    fn verify(api: &AuthApi, client_id: &str, secret: &str) -> impl Future<Output = bool> {
        let req = Request::new(pb::VerifyClientRequest {
            client_id: client_id.to_owned(),
            client_secret: secret.to_owned(),
        });
        async move { api.verify_client(req).await.is_ok() }
    }

    #[tokio::test]
    async fn internal_callers_list_clients_by_contact_or_customer() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (contact_id, customer_id) = (platform::id::new_id(), platform::id::new_id());
        let (mine, _) = put_client(&api, &contact_id, &customer_id, "/r/").await;

        let listed = api
            .list_clients(Request::new(pb::ListClientsRequest {
                contact_id: contact_id.clone(),
                ..Default::default()
            }))
            .await
            .expect("listed")
            .into_inner();
        assert_eq!(listed.clients.len(), 1);
        assert_eq!(listed.clients[0].client_id, mine.client_id);
        let other = api
            .list_clients(Request::new(pb::ListClientsRequest {
                customer_id: platform::id::new_id(),
                ..Default::default()
            }))
            .await
            .expect("listed")
            .into_inner();
        assert!(other.clients.is_empty());
        let none = api
            .list_clients(Request::new(pb::ListClientsRequest::default()))
            .await
            .expect_err("no filter");
        assert_eq!(none.code(), Code::InvalidArgument);
    }

    fn fields(err: &Status) -> Vec<String> {
        platform::status::field_violations(err)
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }

    #[tokio::test]
    async fn client_pages_walk_by_cursor_in_id_order_with_a_total_that_follows_deletes() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (me, home) = (platform::id::new_id(), platform::id::new_id());
        let mut mine = Vec::new();
        for _ in 0..5 {
            mine.push(
                put_client(&api, &me, &home, "/root/home/")
                    .await
                    .0
                    .client_id,
            );
        }
        put_client(&api, &platform::id::new_id(), &home, "/root/home/").await;
        let own = principal(&me, &home, &[MANAGE_OWN]);
        let page = |after: &str, skip: i64, take: i64| {
            api.list_clients(acting(
                &own,
                pb::ListClientsRequest {
                    after: after.to_owned(),
                    skip,
                    take,
                    ..Default::default()
                },
            ))
        };
        let mut walked = Vec::new();
        let mut after = String::new();
        loop {
            let p = page(&after, 0, 2).await.expect("page").into_inner();
            assert_eq!(p.total, 5, "another contact's client is not counted");
            walked.extend(p.clients.iter().map(|c| c.client_id.clone()));
            if p.next_cursor.is_empty() {
                break;
            }
            assert_eq!(p.clients.len(), 2, "a page with more to follow is full");
            after = p.next_cursor;
        }
        assert_eq!(walked, mine, "each client once, in id order");
        let skipped = page(&mine[0], 1, 2).await.expect("page").into_inner();
        let ids: Vec<&str> = skipped
            .clients
            .iter()
            .map(|c| c.client_id.as_str())
            .collect();
        assert_eq!(
            ids,
            [mine[2].as_str(), mine[3].as_str()],
            "skip counts past the cursor"
        );
        assert_eq!(skipped.next_cursor, mine[3]);
        let exact = page(&mine[2], 0, 2).await.expect("page").into_inner();
        assert_eq!(exact.next_cursor, "", "nothing follows an exact fit");
        // A bootstrap client's chosen id is a cursor too; a URL is not.
        assert!(page("root-bootstrap", 0, 2).await.is_ok());
        let bad = page("https://x/", 0, 2).await.expect_err("not a cursor");
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(fields(&bad), ["after"]);
        let bad = page("", -1, 1001).await.expect_err("bad paging");
        assert_eq!(fields(&bad), ["skip", "take"]);

        // The total is cached between pages, and a delete counts afresh.
        api.delete_client(acting(
            &own,
            pb::DeleteClientRequest {
                client_id: mine[0].clone(),
            },
        ))
        .await
        .expect("deleted");
        assert_eq!(page("", 0, 2).await.expect("page").get_ref().total, 4);
    }

    #[tokio::test]
    async fn access_request_pages_walk_newest_first_by_cursor() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (partner, contact) = (platform::id::new_id(), platform::id::new_id());
        let mut filed = Vec::new();
        for _ in 0..5 {
            let row = access_request::insert(&api.state.db, &partner, &contact, "")
                .await
                .expect("filed");
            filed.push(row.request_id);
        }
        filed.reverse();
        let page = |after: &str, take: i64| {
            api.list_api_access(Request::new(pb::ListApiAccessRequest {
                customer_id: partner.clone(),
                after: after.to_owned(),
                take,
                ..Default::default()
            }))
        };
        let mut walked = Vec::new();
        let mut after = String::new();
        loop {
            let p = page(&after, 2).await.expect("page").into_inner();
            assert_eq!(p.total, 5);
            walked.extend(p.requests.iter().map(|r| r.request_id.clone()));
            // One filed mid-walk is newer than the cursor: not met again.
            if walked.len() == 2 {
                access_request::insert(&api.state.db, &partner, &contact, "")
                    .await
                    .expect("filed");
            }
            if p.next_cursor.is_empty() {
                break;
            }
            after = p.next_cursor;
        }
        assert_eq!(walked, filed, "each request once, newest first");
        let bad = page("nope", 2).await.expect_err("not a cursor");
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(fields(&bad), ["after"]);
    }

    #[tokio::test]
    async fn a_bad_secret_and_an_unknown_client_get_the_same_answer() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (client, secret) = put_client(
            &api,
            &platform::id::new_id(),
            &platform::id::new_id(),
            "/r/",
        )
        .await;
        let stored = client::find(&api.state.db, &client.client_id)
            .await
            .expect("find")
            .expect("row");
        assert_ne!(
            stored.secret_hmac,
            secret.expose(),
            "the secret itself is never stored"
        );

        let issue = |client_id: &str, secret: &str| {
            api.issue_token(Request::new(pb::IssueTokenRequest {
                client_id: client_id.to_owned(),
                client_secret: secret.to_owned(),
                scope: "anything".into(),
            }))
        };
        let bad_secret = issue(&client.client_id, "not-the-secret")
            .await
            .expect_err("bad secret");
        assert_eq!(bad_secret.code(), Code::Unauthenticated);
        let unknown = issue("nobody", secret.expose())
            .await
            .expect_err("unknown client");
        assert_eq!(
            (unknown.code(), unknown.message()),
            (bad_secret.code(), bad_secret.message())
        );
        // The right secret passes the check and goes on to contact-svc.
        let on = issue(&client.client_id, secret.expose())
            .await
            .expect_err("no contact-svc");
        assert_eq!(on.code(), Code::Unavailable);
    }

    #[tokio::test]
    async fn a_bootstrap_client_takes_its_given_secret_and_keeps_its_id() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (contact_id, customer_id) = (platform::id::new_id(), platform::id::new_id());
        let (first_hmac, second_hmac) = (
            api.state.key.secret_hmac("first-secret-0123"),
            api.state.key.secret_hmac("second-secret-0123"),
        );
        let given = NewClient {
            client_id: "root-client",
            contact_id: &contact_id,
            customer_id: &customer_id,
            customer_path: "/root/",
            name: "bootstrap",
            secret_hmac: &first_hmac,
        };

        let first = api.put_given_client(&given).await.expect("created");
        assert_eq!(first.name, "bootstrap");
        assert!(verify(&api, "root-client", "first-secret-0123").await);
        let again = api
            .put_given_client(&NewClient {
                secret_hmac: &second_hmac,
                ..given
            })
            .await
            .expect("updated");
        assert_eq!(again.client_id, first.client_id);
        assert!(verify(&api, "root-client", "second-secret-0123").await);
        assert!(!verify(&api, "root-client", "first-secret-0123").await);

        let taken = api
            .put_given_client(&NewClient {
                contact_id: "another-contact",
                ..given
            })
            .await
            .expect_err("another contact");
        assert!(matches!(taken, Error::ClientIdTaken));
    }

    #[tokio::test]
    async fn create_client_checks_what_it_can_before_asking_peers() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (me, home) = (platform::id::new_id(), platform::id::new_id());
        let request = |contact_id: &str, name: &str| pb::CreateClientRequest {
            contact_id: contact_id.to_owned(),
            customer_id: String::new(),
            name: name.to_owned(),
            client_id: String::new(),
            client_secret: String::new(),
        };

        let unnamed = api
            .create_client(Request::new(pb::CreateClientRequest {
                customer_id: home.clone(),
                ..request(&me, " ")
            }))
            .await
            .expect_err("no name");
        assert_eq!(unnamed.code(), Code::InvalidArgument);
        assert_eq!(platform::status::field_violations(&unnamed)[0].0, "name");

        let no_permission = api
            .create_client(acting(
                &principal(&me, &home, &["accounts:read"]),
                request(&me, "ci"),
            ))
            .await
            .expect_err("no permission");
        assert_eq!(no_permission.code(), Code::PermissionDenied);
        assert_eq!(
            no_permission.message(),
            "missing permission clients:manage-own"
        );

        let own = principal(&me, &home, &[MANAGE_OWN]);
        let for_another = api
            .create_client(acting(&own, request(&platform::id::new_id(), "ci")))
            .await
            .expect_err("another contact");
        assert_eq!(for_another.code(), Code::PermissionDenied);

        let chosen_secret = api
            .create_client(acting(
                &own,
                pb::CreateClientRequest {
                    client_id: "mine".into(),
                    client_secret: "my-own-secret-value".into(),
                    ..request(&me, "ci")
                },
            ))
            .await
            .expect_err("chosen secret");
        assert_eq!(chosen_secret.code(), Code::InvalidArgument);

        // Everything else needs the peers.
        let onward = api
            .create_client(acting(&own, request(&me, "ci")))
            .await
            .expect_err("peers down");
        assert_eq!(onward.code(), Code::Unavailable);
        let listed = stored_clients(&api, &me).await;
        assert!(listed.is_empty(), "nothing was created");
    }

    #[tokio::test]
    async fn a_principal_sees_only_the_clients_it_may_manage() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (me, home) = (platform::id::new_id(), platform::id::new_id());
        let (mine, _) = put_client(&api, &me, &home, "/root/home/").await;
        let (theirs, _) = put_client(&api, &platform::id::new_id(), &home, "/root/home/").await;
        let get = |p: &Principal, client_id: &str| {
            api.get_client(acting(
                p,
                pb::GetClientRequest {
                    client_id: client_id.to_owned(),
                },
            ))
        };

        let own = principal(&me, &home, &[MANAGE_OWN]);
        assert_eq!(
            get(&own, &mine.client_id)
                .await
                .expect("mine")
                .get_ref()
                .client_id,
            mine.client_id
        );
        let hidden = get(&own, &theirs.client_id).await.expect_err("theirs");
        let missing = get(&own, &platform::id::new_id())
            .await
            .expect_err("missing");
        assert_eq!(hidden.code(), Code::NotFound);
        assert_eq!(
            (hidden.code(), hidden.message()),
            (missing.code(), missing.message()),
            "another's client looks exactly like a missing one"
        );
        let listed = api
            .list_clients(acting(&own, pb::ListClientsRequest::default()))
            .await
            .expect("listed")
            .into_inner()
            .clients;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].client_id, mine.client_id);

        let nothing = principal(&me, &home, &["accounts:read"]);
        assert_eq!(
            get(&nothing, &mine.client_id)
                .await
                .expect_err("no permission")
                .code(),
            Code::PermissionDenied
        );
        assert_eq!(
            api.list_clients(acting(&nothing, pb::ListClientsRequest::default()))
                .await
                .expect_err("no permission")
                .code(),
            Code::PermissionDenied
        );

        // manage-all needs the principal's home path for another's client.
        let all = principal(&me, &home, &[MANAGE_ALL]);
        assert_eq!(
            get(&all, &mine.client_id)
                .await
                .expect("own, no peer needed")
                .get_ref()
                .client_id,
            mine.client_id
        );
        assert_eq!(
            get(&all, &theirs.client_id)
                .await
                .expect_err("account-svc down")
                .code(),
            Code::Unavailable
        );

        let deleted = api
            .delete_client(acting(
                &own,
                pb::DeleteClientRequest {
                    client_id: theirs.client_id.clone(),
                },
            ))
            .await
            .expect_err("not its own");
        assert_eq!(deleted.code(), Code::NotFound);
        assert!(
            client::find(&api.state.db, &theirs.client_id)
                .await
                .expect("find")
                .is_some()
        );
    }

    #[tokio::test]
    async fn deleting_a_contacts_clients_revokes_their_tokens_and_spares_the_rest() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let db = &api.state.db;
        let (gone, stays) = (platform::id::new_id(), platform::id::new_id());
        let (home, second) = (platform::id::new_id(), platform::id::new_id());
        // The contact's clients on two customers, and another contact's on one.
        let (first, _) = put_client(&api, &gone, &home, "/root/home/").await;
        let (other, _) = put_client(&api, &gone, &second, "/root/second/").await;
        let (kept, _) = put_client(&api, &stays, &home, "/root/home/").await;
        let tokens = [
            put_token(&api, &first, "").await,
            put_token(&api, &other, "").await,
        ];
        let kept_token = put_token(&api, &kept, "").await;
        let key = |t: &str| platform::cache::token_key(&token_hash(t));
        for t in tokens.iter().chain([&kept_token]) {
            api.state
                .cache
                .set(&key(t), "cached", std::time::Duration::from_secs(60))
                .await;
        }

        let remove = |contact_id: &str| {
            api.delete_contact_clients(Request::new(pb::DeleteContactClientsRequest {
                contact_id: contact_id.to_owned(),
            }))
        };
        remove(&gone).await.expect("removed");
        remove(&gone).await.expect("removing again is fine");

        let now = platform::id::unix_now();
        for c in [&first, &other] {
            assert!(
                client::find(db, &c.client_id)
                    .await
                    .expect("find")
                    .is_none()
            );
        }
        for t in &tokens {
            assert!(
                token::find_live(db, &token_hash(t), now)
                    .await
                    .expect("find")
                    .is_none()
            );
            assert_eq!(api.state.cache.get(&key(t)).await, None);
        }
        assert!(
            client::find(db, &kept.client_id)
                .await
                .expect("find")
                .is_some()
        );
        assert!(
            token::find_live(db, &token_hash(&kept_token), now)
                .await
                .expect("find")
                .is_some()
        );
        assert!(api.state.cache.get(&key(&kept_token)).await.is_some());

        // A token issue racing the removal finds no client to issue for.
        let late = token_hash(&new_token());
        let t = NewToken {
            token_hash: &late,
            client_id: &first.client_id,
            contact_id: &gone,
            customer_id: &home,
            roles: "Owner",
            scopes: "",
            issued_at: now,
            expires_at: now + 60,
        };
        assert!(!token::issue(db, &t).await.expect("issue"));

        for bad in ["", "x", &gone.to_uppercase()] {
            let e = remove(bad).await.expect_err("not an id");
            assert_eq!(e.code(), Code::InvalidArgument, "{bad:?}");
            let fields: Vec<String> = platform::status::field_violations(&e)
                .into_iter()
                .map(|(f, _)| f)
                .collect();
            assert_eq!(fields, ["contactID"]);
        }
    }

    #[tokio::test]
    async fn deleting_a_client_revokes_its_tokens_at_once() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (me, home) = (platform::id::new_id(), platform::id::new_id());
        let (mine, _) = put_client(&api, &me, &home, "/root/home/").await;
        let (kept, _) = put_client(&api, &me, &home, "/root/home/").await;
        let token = put_token(&api, &mine, "").await;
        let other_token = put_token(&api, &kept, "").await;
        let cache_key = platform::cache::token_key(&token_hash(&token));
        api.state
            .cache
            .set(&cache_key, "cached", std::time::Duration::from_secs(60))
            .await;

        let own = principal(&me, &home, &[MANAGE_OWN]);
        let delete = || {
            api.delete_client(acting(
                &own,
                pb::DeleteClientRequest {
                    client_id: mine.client_id.clone(),
                },
            ))
        };
        delete().await.expect("deleted");
        assert!(
            client::find(&api.state.db, &mine.client_id)
                .await
                .expect("find")
                .is_none()
        );
        assert_eq!(api.state.cache.get(&cache_key).await, None);
        let now = platform::id::unix_now();
        assert!(
            token::find_live(&api.state.db, &token_hash(&token), now)
                .await
                .expect("find")
                .is_none()
        );
        assert!(
            token::find_live(&api.state.db, &token_hash(&other_token), now)
                .await
                .expect("find")
                .is_some(),
            "another client's token lives on"
        );
        assert_eq!(delete().await.expect_err("gone").code(), Code::NotFound);
    }

    #[tokio::test]
    async fn a_rotated_out_secret_works_for_its_grace_period_only() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (client, first) = put_client(
            &api,
            &platform::id::new_id(),
            &platform::id::new_id(),
            "/root/",
        )
        .await;
        let rotate = |grace: i64| {
            api.rotate_secret(Request::new(pb::RotateSecretRequest {
                client_id: client.client_id.clone(),
                grace_period_seconds: grace,
            }))
        };

        let bad = rotate(604_801).await.expect_err("too long");
        assert_eq!(
            platform::status::field_violations(&bad)[0].0,
            "gracePeriodSeconds"
        );
        assert_eq!(
            rotate(-1).await.expect_err("negative").code(),
            Code::InvalidArgument
        );

        let rotated = rotate(3600).await.expect("rotated").into_inner();
        let second = rotated.client_secret;
        assert_ne!(second, first.expose());
        let until = rotated.client.expect("client").previous_secret_expires_at;
        assert_eq!(until.len(), "2026-11-23T01:02:03.000000Z".len(), "{until}");
        assert!(verify(&api, &client.client_id, &second).await);
        assert!(
            verify(&api, &client.client_id, first.expose()).await,
            "the old one, within grace"
        );

        let rotated = rotate(0).await.expect("rotated").into_inner();
        let third = rotated.client_secret;
        assert_eq!(
            rotated.client.expect("client").previous_secret_expires_at,
            ""
        );
        assert!(verify(&api, &client.client_id, &third).await);
        assert!(
            !verify(&api, &client.client_id, &second).await,
            "no grace asked"
        );
        assert!(!verify(&api, &client.client_id, first.expose()).await);

        // A grace period that has run out, as the clock would leave it.
        rotate(60).await.expect("rotated");
        sqlx::query("update client set previous_secret_expires_at = $1 where client_id = $2")
            .bind(platform::id::unix_now() - 1)
            .bind(&client.client_id)
            .execute(&api.state.db.pool)
            .await
            .expect("expire");
        assert!(!verify(&api, &client.client_id, &third).await, "grace over");
        let shown = api
            .get_client(Request::new(pb::GetClientRequest {
                client_id: client.client_id.clone(),
            }))
            .await
            .expect("get")
            .into_inner();
        assert_eq!(
            shown.previous_secret_expires_at, "",
            "an expired grace is not shown"
        );

        let missing = api
            .rotate_secret(Request::new(pb::RotateSecretRequest {
                client_id: platform::id::new_id(),
                grace_period_seconds: 0,
            }))
            .await
            .expect_err("missing");
        assert_eq!(missing.code(), Code::NotFound);
    }

    #[tokio::test]
    async fn a_live_token_is_checked_against_current_roles_and_a_dead_one_is_refused() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (contact_id, customer_id) = (platform::id::new_id(), platform::id::new_id());
        let (client, _) = put_client(&api, &contact_id, &customer_id, "/root/").await;
        let (first, second) = (
            put_token(&api, &client, "").await,
            put_token(&api, &client, "").await,
        );
        let authenticate = |access_token: &str| {
            api.authenticate(Request::new(pb::AuthenticateRequest {
                access_token: access_token.into(),
            }))
        };

        // Live: roles are asked afresh, and contact-svc down is 503, never
        // the roles the row remembers.
        assert_eq!(
            authenticate(&first)
                .await
                .expect_err("contact-svc down")
                .code(),
            Code::Unavailable
        );
        assert_eq!(
            authenticate("garbage").await.expect_err("garbage").code(),
            Code::Unauthenticated
        );
        assert!(
            client::find(&api.state.db, &client.client_id)
                .await
                .expect("find")
                .expect("row")
                .last_used_at
                .is_some()
        );

        // RFC 7009: another client's revoke succeeds and changes nothing.
        api.revoke_token(Request::new(pb::RevokeTokenRequest {
            token: first.clone(),
            client_id: "another".into(),
        }))
        .await
        .expect("foreign revoke is ok");
        assert_eq!(
            authenticate(&first).await.expect_err("still live").code(),
            Code::Unavailable
        );
        api.revoke_token(Request::new(pb::RevokeTokenRequest {
            token: first.clone(),
            client_id: client.client_id.clone(),
        }))
        .await
        .expect("own revoke");
        assert_eq!(
            authenticate(&first).await.expect_err("revoked").code(),
            Code::Unauthenticated
        );
        api.revoke_token(Request::new(pb::RevokeTokenRequest {
            token: "never-issued".into(),
            client_id: client.client_id.clone(),
        }))
        .await
        .expect("revoking an unknown token succeeds");

        let remove = || {
            api.delete_customer_clients(Request::new(pb::DeleteCustomerClientsRequest {
                customer_id: customer_id.clone(),
            }))
        };
        remove().await.expect("removed");
        remove().await.expect("removing again is fine");
        assert_eq!(
            authenticate(&second)
                .await
                .expect_err("customer gone")
                .code(),
            Code::Unauthenticated
        );
        assert!(
            client::find(&api.state.db, &client.client_id)
                .await
                .expect("find")
                .is_none()
        );
        let now = platform::id::unix_now();
        let late = token_hash(&new_token());
        let t = NewToken {
            token_hash: &late,
            client_id: &client.client_id,
            contact_id: &contact_id,
            customer_id: &customer_id,
            roles: "Owner",
            scopes: "",
            issued_at: now,
            expires_at: now + 60,
        };
        assert!(
            !token::issue(&api.state.db, &t).await.expect("issue"),
            "no token for a removed client"
        );
    }

    #[tokio::test]
    async fn an_access_request_is_decided_once() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let db = &api.state.db;
        let (partner, contact) = (platform::id::new_id(), platform::id::new_id());
        let first = access_request::insert(db, &partner, &contact, "")
            .await
            .expect("insert");
        let second = access_request::insert(db, &partner, &contact, "")
            .await
            .expect("insert");
        let decide = |customer_id: &str, request_id: &str, approve: bool| {
            api.decide_api_access(Request::new(pb::DecideApiAccessRequest {
                customer_id: customer_id.to_owned(),
                request_id: request_id.to_owned(),
                approve,
            }))
        };
        assert!(
            !access_request::approved_for(db, &partner, &contact)
                .await
                .expect("approved?")
        );

        let approved = decide(&partner, &first.request_id, true)
            .await
            .expect("approved")
            .into_inner();
        assert_eq!(approved.status, "approved");
        assert_ne!(approved.decided_at, "");
        assert!(
            access_request::approved_for(db, &partner, &contact)
                .await
                .expect("approved?")
        );
        assert!(
            !access_request::approved_for(db, &partner, &platform::id::new_id())
                .await
                .expect("approved?")
        );

        let again = decide(&partner, &first.request_id, false)
            .await
            .expect_err("decided");
        assert_eq!(again.code(), Code::FailedPrecondition);
        assert_eq!(again.message(), "the request is already approved");
        let elsewhere = decide(&platform::id::new_id(), &second.request_id, true)
            .await
            .expect_err("other partner");
        assert_eq!(elsewhere.code(), Code::NotFound);

        let rejected = decide(&partner, &second.request_id, false)
            .await
            .expect("rejected")
            .into_inner();
        assert_eq!(rejected.status, "rejected");
        assert_eq!(
            decide(&partner, &second.request_id, true)
                .await
                .expect_err("final")
                .message(),
            "the request is already rejected"
        );

        let listed = api
            .list_api_access(Request::new(pb::ListApiAccessRequest {
                customer_id: partner.clone(),
                ..Default::default()
            }))
            .await
            .expect("listed")
            .into_inner()
            .requests;
        let ids: Vec<&str> = listed.iter().map(|r| r.request_id.as_str()).collect();
        assert_eq!(
            ids,
            [second.request_id.as_str(), first.request_id.as_str()],
            "newest first"
        );
        assert_eq!(listed[1].contact_ids, vec![contact.clone()]);
    }

    #[tokio::test]
    async fn access_requests_need_an_owner() {
        let dir = TempDir::new();
        let api = api(&dir).await;
        let (me, home, partner) = (
            platform::id::new_id(),
            platform::id::new_id(),
            platform::id::new_id(),
        );
        let own = principal(&me, &home, &[MANAGE_OWN]);
        let asked = api
            .request_api_access(acting(
                &own,
                pb::RequestApiAccessRequest {
                    customer_id: partner.clone(),
                    contact_ids: vec![me.clone()],
                },
            ))
            .await
            .expect_err("manage-own");
        assert_eq!(asked.code(), Code::PermissionDenied);
        let decided = api
            .decide_api_access(acting(
                &own,
                pb::DecideApiAccessRequest {
                    customer_id: partner.clone(),
                    request_id: platform::id::new_id(),
                    approve: true,
                },
            ))
            .await
            .expect_err("manage-own");
        assert_eq!(decided.code(), Code::PermissionDenied);
        assert_eq!(
            decided.message(),
            "only an owner of an ancestor partner may decide"
        );

        let all = principal(&me, &home, &[MANAGE_ALL]);
        let bad = api
            .request_api_access(acting(
                &all,
                pb::RequestApiAccessRequest {
                    customer_id: partner.clone(),
                    contact_ids: vec![me.clone(), "nope".into()],
                },
            ))
            .await
            .expect_err("bad contact id");
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(
            platform::status::field_violations(&bad)[0].0,
            "contactIDs[1]"
        );
    }

    #[tokio::test]
    async fn clients_from_before_paths_keep_working_after_the_migration() {
        let dir = TempDir::new();
        let db = platform::db::Db::open(&storage(&dir), "auth", &crate::MIGRATIONS[..1])
            .await
            .expect("version 1");
        sqlx::query(
            "insert into client (client_id, contact_id, customer_id, name, secret_hmac, created_at, updated_at) \
             values ('old', 'k', 'c', 'n', 'h', 't', 't')",
        )
        .execute(&db.pool)
        .await
        .expect("insert");
        db.pool.close().await;
        let api = api(&dir).await;
        let old = client::find(&api.state.db, "old")
            .await
            .expect("find")
            .expect("row");
        assert_eq!(old.customer_path, "");
        assert_eq!(
            (old.previous_secret_hmac, old.previous_secret_expires_at),
            (None, None)
        );
    }

    #[tokio::test]
    async fn the_generated_server_key_survives_a_restart() {
        let dir = TempDir::new();
        let stored = api(&dir).await.state.key.secret_hmac("some-secret-value");
        let reopened = api(&dir).await;
        assert!(
            reopened
                .state
                .key
                .verify("some-secret-value", Some(&stored))
        );
    }

    // ---- Idempotency-Key, with stand-in peers

    /// A root distributor and a partner below it, each with a contact that
    /// holds AG_PRIVATELABELOWNERS there; contact-svc knows no one else.
    struct Tree {
        root: String,
        partner: String,
        root_owner: String,
        partner_owner: String,
    }

    impl Tree {
        fn new() -> Self {
            let id = platform::id::new_id;
            Self {
                root: id(),
                partner: id(),
                root_owner: id(),
                partner_owner: id(),
            }
        }

        /// account-svc's GetCustomer and contact-svc's GetRoles over it.
        async fn api(&self, dir: &TempDir) -> AuthApi {
            use prost::Message as _;
            let customers: std::collections::HashMap<String, Customer> = [
                Customer {
                    customer_id: self.root.clone(),
                    kind: CustomerKind::Partner as i32,
                    path: format!("/{}/", self.root),
                    ..Default::default()
                },
                Customer {
                    customer_id: self.partner.clone(),
                    kind: CustomerKind::Partner as i32,
                    parent_partner_id: self.root.clone(),
                    path: format!("/{}/{}/", self.root, self.partner),
                    ..Default::default()
                },
            ]
            .into_iter()
            .map(|c| (c.customer_id.clone(), c))
            .collect();
            let accounts = fake_peer::start::<Accounts>(move |method, body| {
                assert_eq!(method, "GetCustomer");
                let r = GetCustomerRequest::decode(body).expect("request");
                customers
                    .get(&r.customer_id)
                    .map(prost::Message::encode_to_vec)
                    .ok_or_else(|| Status::not_found("customer"))
            })
            .await;
            let owners = [
                (self.root_owner.clone(), self.root.clone()),
                (self.partner_owner.clone(), self.partner.clone()),
            ];
            let contacts = fake_peer::start::<Contacts>(move |method, body| {
                assert_eq!(method, "GetRoles");
                let r = GetRolesRequest::decode(body).expect("request");
                let owner = owners.contains(&(r.contact_id, r.customer_id));
                Ok(GetRolesResponse {
                    roles: if owner {
                        vec!["AG_PRIVATELABELOWNERS".into()]
                    } else {
                        Vec::new()
                    },
                    permissions: Vec::new(),
                }
                .encode_to_vec())
            })
            .await;
            api_with(dir, accounts, contacts).await
        }
    }

    /// `message` from `p`, carrying `Idempotency-Key: key` over a body
    /// hashing to `hash`, as the gateway sends it.
    fn keyed<T>(p: &Principal, message: T, key: &str, hash: &str) -> Request<T> {
        idempotency::keyed(acting(p, message), key, hash)
    }

    use platform::idempotency::is_replayed;

    fn reason_of(err: &Status) -> Option<String> {
        platform::status::reason(err).map(|(reason, _)| reason)
    }

    fn new_client(contact_id: &str, customer_id: &str, name: &str) -> pb::CreateClientRequest {
        pb::CreateClientRequest {
            contact_id: contact_id.to_owned(),
            customer_id: customer_id.to_owned(),
            name: name.to_owned(),
            ..Default::default()
        }
    }

    /// The answers kept under idempotency keys, decoded from their hex.
    async fn kept_responses(api: &AuthApi) -> Vec<Vec<u8>> {
        use sqlx::Row as _;
        sqlx::query("select response from idempotency_key")
            .fetch_all(&api.state.db.pool)
            .await
            .expect("select")
            .iter()
            .map(|r| {
                hex::decode(r.try_get::<String, _>("response").expect("response")).expect("hex")
            })
            .collect()
    }

    #[tokio::test]
    async fn a_client_created_again_under_its_key_is_the_same_client_without_its_secret() {
        let dir = TempDir::new();
        let tree = Tree::new();
        let api = tree.api(&dir).await;
        let me = principal(&tree.root_owner, &tree.root, &[MANAGE_OWN]);
        let request = new_client(&tree.root_owner, &tree.root, "ci");

        let first = api
            .create_client(keyed(&me, request.clone(), "k1", "h1"))
            .await
            .expect("created");
        assert!(!is_replayed(&first));
        let first = first.into_inner();
        assert!(!first.client_secret.is_empty(), "the secret, shown once");
        let again = api
            .create_client(keyed(&me, request, "k1", "h1"))
            .await
            .expect("replayed");
        assert!(is_replayed(&again), "marked x-idempotent-replayed");
        let again = again.into_inner();
        assert_eq!(again.client, first.client, "the same client");
        assert_eq!(again.client_secret, "", "the secret is not kept");

        let listed = stored_clients(&api, &tree.root_owner).await;
        assert_eq!(listed.len(), 1, "one client");
        let client_id = first.client.as_ref().map(|c| c.client_id.as_str());
        assert!(verify(&api, client_id.unwrap_or_default(), &first.client_secret).await);
        let kept = kept_responses(&api).await;
        assert_eq!(kept.len(), 1);
        let secret = first.client_secret.as_bytes();
        assert!(
            !kept[0].windows(secret.len()).any(|w| w == secret),
            "no secret in the kept answer"
        );
    }

    #[tokio::test]
    async fn a_client_key_reused_for_another_request_is_refused_and_creates_nothing() {
        let dir = TempDir::new();
        let tree = Tree::new();
        let api = tree.api(&dir).await;
        let me = principal(&tree.root_owner, &tree.root, &[MANAGE_OWN]);
        api.create_client(keyed(
            &me,
            new_client(&tree.root_owner, &tree.root, "ci"),
            "k1",
            "h1",
        ))
        .await
        .expect("created");
        let err = api
            .create_client(keyed(
                &me,
                new_client(&tree.root_owner, &tree.root, "other"),
                "k1",
                "h2",
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason_of(&err).as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));
        let listed = stored_clients(&api, &tree.root_owner).await;
        assert_eq!(listed.len(), 1);
    }

    #[tokio::test]
    async fn a_failed_client_create_frees_its_key_for_a_corrected_retry() {
        let dir = TempDir::new();
        let tree = Tree::new();
        let api = tree.api(&dir).await;
        let all = principal(&tree.root_owner, &tree.root, &[MANAGE_ALL]);
        // A contact with no role here may hold no client.
        let roleless = platform::id::new_id();
        let err = api
            .create_client(keyed(
                &all,
                new_client(&roleless, &tree.root, "ci"),
                "k1",
                "h1",
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let retried = api
            .create_client(keyed(
                &all,
                new_client(&tree.root_owner, &tree.root, "ci"),
                "k1",
                "h2",
            ))
            .await
            .expect("the key was released");
        assert!(!is_replayed(&retried));
        assert_eq!(
            retried.into_inner().client.map(|c| c.contact_id),
            Some(tree.root_owner.clone())
        );
    }

    #[tokio::test]
    async fn an_access_request_filed_again_under_its_key_is_the_same_request() {
        let dir = TempDir::new();
        let tree = Tree::new();
        let api = tree.api(&dir).await;
        let parent = principal(&tree.root_owner, &tree.root, &[MANAGE_ALL]);
        let request = pb::RequestApiAccessRequest {
            customer_id: tree.partner.clone(),
            contact_ids: vec![tree.partner_owner.clone()],
        };
        let first = api
            .request_api_access(keyed(&parent, request.clone(), "k1", "h1"))
            .await
            .expect("filed");
        assert!(!is_replayed(&first));
        let first = first.into_inner();
        let again = api
            .request_api_access(keyed(&parent, request, "k1", "h1"))
            .await
            .expect("replayed");
        assert!(is_replayed(&again));
        assert_eq!(again.into_inner(), first);
        let filed = stored_requests(&api, &tree.partner).await;
        assert_eq!(filed.len(), 1, "one request");

        let err = api
            .request_api_access(keyed(
                &parent,
                pb::RequestApiAccessRequest {
                    customer_id: tree.partner.clone(),
                    contact_ids: vec![tree.partner_owner.clone(), tree.root_owner.clone()],
                },
                "k1",
                "h2",
            ))
            .await
            .expect_err("reused");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason_of(&err).as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));
        assert_eq!(stored_requests(&api, &tree.partner).await.len(), 1);
    }

    #[tokio::test]
    async fn a_failed_access_request_frees_its_key_for_a_corrected_retry() {
        let dir = TempDir::new();
        let tree = Tree::new();
        let api = tree.api(&dir).await;
        let parent = principal(&tree.root_owner, &tree.root, &[MANAGE_ALL]);
        // The root's owner holds no role on the partner.
        let err = api
            .request_api_access(keyed(
                &parent,
                pb::RequestApiAccessRequest {
                    customer_id: tree.partner.clone(),
                    contact_ids: vec![tree.root_owner.clone()],
                },
                "k1",
                "h1",
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        let retried = api
            .request_api_access(keyed(
                &parent,
                pb::RequestApiAccessRequest {
                    customer_id: tree.partner.clone(),
                    contact_ids: vec![tree.partner_owner.clone()],
                },
                "k1",
                "h2",
            ))
            .await
            .expect("the key was released");
        assert!(!is_replayed(&retried));
        assert_eq!(retried.into_inner().contact_ids, [tree.partner_owner]);
    }

    // ---- Introspection, decided here for the client that asks

    #[tokio::test]
    async fn introspection_shows_a_live_token_of_a_partner_account_svc_lets_the_caller_see() {
        let dir = TempDir::new();
        let tree = Tree::new();
        let api = tree.api(&dir).await;
        let partner_path = format!("/{}/{}/", tree.root, tree.partner);
        let (client, _) = put_client(&api, &tree.partner_owner, &tree.partner, &partner_path).await;
        let token = put_token(&api, &client, "accounts:read").await;
        let introspect = |p: &Principal, access_token: &str| {
            api.introspect(acting(
                p,
                pb::IntrospectRequest {
                    access_token: access_token.to_owned(),
                },
            ))
        };
        let root = principal(&tree.root_owner, &tree.root, &[]);
        let seen = introspect(&root, &token)
            .await
            .expect("introspect")
            .into_inner();
        assert!(seen.active);
        let principal_seen = seen.token.and_then(|t| t.principal).expect("principal");
        assert_eq!(principal_seen.client_id, client.client_id);
        assert_eq!(principal_seen.roles, ["AG_PRIVATELABELOWNERS"]);
        // An unknown token: only `active: false`. (A partner outside the
        // caller's subtree, which account-svc answers NOT_FOUND, is the
        // end-to-end test's: tests/tests/tokens.rs.)
        let stranger = principal(&platform::id::new_id(), &platform::id::new_id(), &[]);
        let garbage = introspect(&stranger, "not-a-token")
            .await
            .expect("inactive");
        assert_eq!(garbage.into_inner(), pb::Introspection::default());
        // Only for a client that asks: no principal, no answer.
        let err = api
            .introspect(Request::new(pb::IntrospectRequest {
                access_token: token,
            }))
            .await
            .expect_err("no principal");
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}
