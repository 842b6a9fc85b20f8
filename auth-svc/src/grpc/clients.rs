//! API clients: created (by a service or bootstrap as given, or on a
//! principal's behalf within its subtree), listed, read, removed, and their
//! secrets rotated.

use platform::context::CallContext;
use platform::idempotency::{self, Key};
use platform::paging::{self, Page};
use platform::status::Violations;
use proto::auth::v1 as pb;
use proto::common::v1::Principal;
use proto::contact::v1::GetContactRequest;
use tonic::{Code, Request, Status};

use super::{AuthApi, NO_CLIENT, NO_CONTACT, TARGET, checked_path, manage, to_pb};
use crate::domain::access::{Manage, Viewer, may_hold_clients, may_manage};
use crate::domain::{ClientId, ClientName, GracePeriod, Secret};
use crate::error::Error;
use crate::store::access_request;
use crate::store::client::{self, ClientRow, ListFilter, NewClient, Removal, Visible};

/// The [`paging`] scope of the client lists. One scope for every list, not
/// one per customer: a client shows in its contact's list and in the list
/// of every ancestor's owners, so a write would have to reach them all, and
/// clients are written rarely beside being read.
const CLIENTS: &str = "clients";

/// Whether `s` may be a cursor of the client list: a client id (bootstrap's
/// chosen ids are not platform ids).
fn is_client_cursor(s: &str) -> bool {
    ClientId::parse(s).is_ok()
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

    /// Creates a client under the id and secret the caller chose (bootstrap),
    /// or gives an existing one of the same contact and customer the secret,
    /// so a restart with the same settings converges instead of failing.
    pub(super) async fn put_given_client(&self, new: &NewClient<'_>) -> Result<ClientRow, Error> {
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
                tracing::info!(target: TARGET, client_id = new.client_id, "client secret replaced");
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
                    idempotency::keep(&self.state.db, key, &kept_answer(&row))
                        .await
                        .map_err(Error::from)?;
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
    pub(super) async fn create(
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
            target: TARGET,
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

    /// Clients were created or removed (committed): list totals count
    /// afresh.
    async fn clients_changed(&self) {
        paging::changed(&self.state.cache, CLIENTS).await;
    }

    pub(super) async fn clients(
        &self,
        req: Request<pb::ListClientsRequest>,
    ) -> Result<pb::ListClientsResponse, Status> {
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
        Ok(pb::ListClientsResponse {
            clients: rows.into_iter().map(|c| to_pb(c, now)).collect(),
            total,
            next_cursor,
        })
    }

    pub(super) async fn client(
        &self,
        req: Request<pb::GetClientRequest>,
    ) -> Result<pb::Client, Status> {
        let ctx = CallContext::from_request(&req)?;
        let client = self.managed_client(&ctx, &req.get_ref().client_id).await?;
        Ok(to_pb(client, platform::id::unix_now()))
    }

    pub(super) async fn delete(
        &self,
        req: Request<pb::DeleteClientRequest>,
    ) -> Result<pb::DeleteClientResponse, Status> {
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
            target: TARGET,
            client_id = client.client_id,
            revoked = revoked.len(),
            "client deleted"
        );
        Ok(pb::DeleteClientResponse {})
    }

    pub(super) async fn rotate(
        &self,
        req: Request<pb::RotateSecretRequest>,
    ) -> Result<pb::CreateClientResponse, Status> {
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
            target: TARGET,
            client_id = rotated.client_id,
            grace_period_seconds = r.grace_period_seconds,
            "client secret rotated"
        );
        Ok(pb::CreateClientResponse {
            client: Some(to_pb(rotated, now)),
            client_secret: secret.expose().to_owned(),
        })
    }

    pub(super) async fn remove_contact_clients(
        &self,
        req: Request<pb::DeleteContactClientsRequest>,
    ) -> Result<pb::DeleteCustomerClientsResponse, Status> {
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
            target: TARGET,
            contact_id = r.contact_id,
            deleted,
            revoked = revoked.len(),
            "contact clients removed"
        );
        Ok(pb::DeleteCustomerClientsResponse {})
    }

    pub(super) async fn remove_customer_clients(
        &self,
        req: Request<pb::DeleteCustomerClientsRequest>,
    ) -> Result<pb::DeleteCustomerClientsResponse, Status> {
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
            target: TARGET,
            customer_id = r.customer_id,
            deleted,
            revoked = revoked.len(),
            "customer clients removed"
        );
        Ok(pb::DeleteCustomerClientsResponse {})
    }
}
