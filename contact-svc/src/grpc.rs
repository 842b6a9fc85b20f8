//! The ContactService API: parse the request into domain types, call the
//! store, answer. A call with a principal (the gateway's, on a partner's
//! behalf) is decided here ([`crate::behalf`]): its permission, whether it
//! reaches the customer and the customer's rules, asked of account-svc. A
//! call without one is a service acting as itself (account-svc, auth-svc,
//! bootstrap), which passes what it knows about the customer (its kind, its
//! password policy, its `Iam_usersMax`).
//!
//! CreateContact and AssignContact honour an `Idempotency-Key` the gateway
//! forwards ([`platform::idempotency`]): see `idempotent` below.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use platform::context::CallContext;
use platform::db::Db;
use platform::idempotency::{self, Key};
use platform::paging;
use platform::status::Violations;
use proto::contact::v1 as pb;
use tonic::{Request, Response, Status};

use crate::State;
use crate::behalf::{self, Rules};
use crate::domain::{
    CellularPhone, Culture, Email, Kind, Login, PERMISSIONS, Password, PersonName, Phone, Policy,
    ROLES, Role, UsersMax, parse_culture, parse_roles, permissions_of,
};
use crate::error::Error;
use crate::store::contact::{self, Answer, ContactInfo, NewContact, NewRoles};

pub struct ContactApi {
    pub state: State,
}

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

    /// CreateContact's work, under the request's Idempotency-Key if any.
    async fn create(
        &self,
        r: pb::CreateContactRequest,
        key: Option<Key>,
    ) -> Result<pb::Contact, Status> {
        let mut v = Violations::new();
        let login = v.check("login", Login::parse(&r.login));
        let password = v.check(
            "password",
            Password::parse_with(&r.password, &policy_of(r.policy)),
        );
        let name = v.check("name", PersonName::parse(&r.name));
        let email = v.check("email", Email::parse(&r.email));
        let alternative_email = v.check(
            "alternativeEmail",
            Email::parse_optional(&r.alternative_email),
        );
        let phone = v.check("phone", Phone::parse(&r.phone));
        let cellular_phone = v.check(
            "cellularPhone",
            CellularPhone::parse_create(&r.cellular_phone),
        );
        v.require_id("customerID", &r.customer_id);
        if !r.contact_id.is_empty() {
            v.require_id("contactID", &r.contact_id);
        }
        if r.roles.is_empty() {
            v.add("accessRoleNames", "at least one role is required");
        }
        // Without the customer's kind only existence and repeats can be
        // checked; callers that know it (the gateway) pass it.
        let kind = if r.customer_kind.is_empty() {
            None
        } else {
            v.check("customerKind", Kind::parse(&r.customer_kind))
        };
        let roles = role_names(&mut v, &r.roles, kind);
        let culture = v.check("culture", parse_culture(&r.culture));
        let users_max = v.check("usersMax", UsersMax::parse(r.users_max));
        let (
            Some(login),
            Some(password),
            Some(name),
            Some(email),
            Some(alternative_email),
            Some(phone),
            Some(cellular_phone),
            Some(culture),
            Some(users_max),
        ) = (
            login,
            password,
            name,
            email,
            alternative_email,
            phone,
            cellular_phone,
            culture,
            users_max,
        )
        else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        if r.validate_only {
            if contact::login_taken(&self.state.db, &login.key()).await? {
                return Err(Error::LoginTaken.into());
            }
            if let Some(limit) = users_max {
                let assigned = contact::assigned_count(&self.state.db.pool, &r.customer_id).await?;
                if !limit.admits(assigned + 1) {
                    return Err(Error::LimitExceeded {
                        value: limit.value(),
                    }
                    .into());
                }
            }
            return Ok(pb::Contact::default());
        }
        let contact_id = if r.contact_id.is_empty() {
            platform::id::new_id()
        } else {
            r.contact_id
        };
        // A caller retrying under its own id gets what the first attempt made.
        if contact::find(&self.state.db, &contact_id).await?.is_some() {
            // The first attempt may have stopped between its commit and
            // telling the totals.
            self.contacts_changed(&r.customer_id).await;
            let answer = self.seen_from(&contact_id, r.customer_id).await?;
            if let Some(key) = &key {
                keep(&self.state.db, key, &answer).await?;
            }
            return Ok(answer);
        }
        let password_hash = hash_password(password).await?;
        let customer_id = r.customer_id.clone();
        let created = contact::insert(
            &self.state.db,
            &NewContact {
                contact_id: &contact_id,
                customer_id: &r.customer_id,
                login: login.as_str(),
                login_key: &login.key(),
                password_hash: &password_hash,
                name: name.as_str(),
                email: email.as_str(),
                alternative_email: alternative_email.as_ref().map_or("", Email::as_str),
                phone: phone.as_str(),
                cellular_phone: cellular_phone.as_str(),
                culture: culture.as_ref().map_or("", Culture::as_str),
                roles: &roles,
            },
            users_max,
            Answer {
                key: key.as_ref(),
                shape: |row, roles| to_pb(row, customer_id, roles),
            },
        )
        .await?;
        self.contacts_changed(&r.customer_id).await;
        tracing::info!(contact_id, customer_id = r.customer_id, "contact created");
        Ok(created)
    }

    /// AssignContact's work, under the request's Idempotency-Key if any.
    async fn assign(
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
            contact_id = r.contact_id,
            from_customer_id = r.from_customer_id,
            target_customer_id = r.target_customer_id,
            roles = ?roles,
            "contact assigned"
        );
        Ok(assigned)
    }
}

/// Keeps `answer` under `key` when the request created nothing itself (a
/// retry under the caller's own id found what its first attempt made), so
/// the key is finished rather than left running.
async fn keep(db: &Db, key: &Key, answer: &pb::Contact) -> Result<(), Error> {
    let mut tx = db.pool.begin().await?;
    idempotency::complete(&mut tx, key, answer).await?;
    tx.commit().await?;
    Ok(())
}

/// The policy a request states; absent is the default.
fn policy_of(policy: Option<pb::PasswordPolicy>) -> Policy {
    policy.map_or_else(Policy::default, |p| {
        Policy::new(p.min_length, p.require_symbols, p.require_mixed_case)
    })
}

/// Runs password hashing off the async threads (Argon2 takes tens of
/// milliseconds and 19 MiB by design), on [`crate::hasher`]'s workers, which
/// bound how many run at once and so the memory they hold.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    crate::hasher::hasher()
        .map_err(Error::Internal)?
        .run(work)
        .await
        .ok_or_else(|| Error::Internal("the password hashing workers stopped".into()))?
}

/// Argon2id with the crate's default parameters (19 MiB, 2 passes).
async fn hash_password(password: Password) -> Result<String, Error> {
    blocking(move || {
        // A fresh random salt per hash; the PHC string records it and the parameters.
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
}

/// Whether `password` is the one `stored` (a PHC string) was made from. The
/// string carries the algorithm, parameters and salt it was made with, so
/// hashes made under older parameters still verify.
async fn verify_password(password: String, stored: String) -> Result<bool, Error> {
    blocking(move || {
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| Error::Internal(format!("stored password hash does not parse: {e}")))?;
        match Argon2::default().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(Error::Internal(format!("verifying a password: {e}"))),
        }
    })
    .await
}

/// A field an update may leave out: parsed when present (its problem
/// recorded on `field`), `None` when absent or refused.
fn present<T>(
    v: &mut Violations,
    field: &str,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    value.and_then(|value| v.check(field, parse(value)))
}

#[tonic::async_trait]
impl pb::contact_service_server::ContactService for ContactApi {
    async fn create_contact(
        &self,
        req: Request<pb::CreateContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        let ctx = CallContext::from_request(&req)?;
        // A validation creates nothing and is safe to repeat: no key.
        let key = Key::from_request(&req).filter(|_| !req.get_ref().validate_only);
        let mut r = req.into_inner();
        if let Some(rules) = self.on_behalf(&ctx, behalf::WRITE, &r.customer_id).await? {
            r.policy = Some(rules.policy);
            r.customer_kind = rules.kind;
            r.users_max = rules.users_max;
        }
        idempotency::run(&self.state.db, key, |key| self.create(r, key)).await
    }

    async fn get_contact(
        &self,
        req: Request<pb::GetContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        check_id("contactID", &r.contact_id)?;
        let customer_id = if r.customer_id.is_empty() {
            contact::home_customer(&self.state.db, &r.contact_id)
                .await?
                .unwrap_or_default()
        } else {
            r.customer_id
        };
        let behalf = if ctx.principal.is_some() {
            if customer_id.is_empty() {
                return Err(Error::NotFound.into());
            }
            self.on_behalf(&ctx, behalf::READ, &customer_id).await?
        } else {
            None
        };
        let contact = self.seen_from(&r.contact_id, customer_id).await?;
        // A partner sees a contact through a customer it holds roles on.
        if behalf.is_some() && contact.roles.is_empty() {
            return Err(Error::NotFound.into());
        }
        Ok(Response::new(contact))
    }

    async fn get_roles(
        &self,
        req: Request<pb::GetRolesRequest>,
    ) -> Result<Response<pb::GetRolesResponse>, Status> {
        let r = req.into_inner();
        check_id("contactID", &r.contact_id)?;
        check_id("customerID", &r.customer_id)?;
        let roles = contact::roles(&self.state.db, &r.contact_id, &r.customer_id).await?;
        Ok(Response::new(roles_response(roles)))
    }

    async fn set_roles(
        &self,
        req: Request<pb::SetRolesRequest>,
    ) -> Result<Response<pb::GetRolesResponse>, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        v.require_id("customerID", &r.customer_id);
        let kind = v.check("customerKind", Kind::parse(&r.customer_kind));
        // Without a kind only existence can be checked; the kind's own
        // violation tells the caller the rest.
        let roles = role_names(&mut v, &r.roles, kind);
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        // The customer's owner role keeps a holder, as when an assignment
        // ends (RemoveAssignment).
        contact::set_roles(
            &self.state.db,
            &r.contact_id,
            &r.customer_id,
            &roles,
            Role::is_owner_role,
        )
        .await?;
        // Roles on a customer the contact was not on assign it there; none
        // end the assignment.
        self.contacts_changed(&r.customer_id).await;
        tracing::info!(
            contact_id = r.contact_id,
            customer_id = r.customer_id,
            roles = ?roles,
            "contact roles set"
        );
        Ok(Response::new(roles_response(
            roles.iter().map(|r| (*r).to_owned()).collect(),
        )))
    }

    async fn list_roles(
        &self,
        _req: Request<pb::ListRolesRequest>,
    ) -> Result<Response<pb::ListRolesResponse>, Status> {
        let roles = ROLES
            .iter()
            .map(|role| pb::Role {
                name: role.name.into(),
                display_name: role.display_name.into(),
                kind: role.kind.as_str().into(),
                permissions: to_strings(role.permissions),
            })
            .collect();
        Ok(Response::new(pb::ListRolesResponse {
            roles,
            permissions: to_strings(PERMISSIONS),
        }))
    }

    async fn list_contacts(
        &self,
        req: Request<pb::ListContactsRequest>,
    ) -> Result<Response<pb::ListContactsResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        self.on_behalf(&ctx, behalf::READ, &r.customer_id).await?;
        let mut v = Violations::new();
        v.require_id("customerID", &r.customer_id);
        let page =
            platform::paging::Page::parse(&mut v, r.skip, r.take, &r.after, platform::id::is_id);
        let (Some(page), true) = (page, v.is_empty()) else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        // One row more than asked tells whether another page follows.
        let mut items = contact::list(
            &self.state.db,
            &r.customer_id,
            page.after(),
            page.skip(),
            page.take() + 1,
        )
        .await?;
        let next_cursor = page.cut(&mut items, |(row, _)| &row.contact_id);
        // The customer decides the whole set: no filter beside the scope.
        let total = paging::total(
            &self.state.cache,
            &contacts_scope(&r.customer_id),
            "",
            contact::assigned_count(&self.state.db.pool, &r.customer_id),
        )
        .await?;
        let items = items
            .into_iter()
            .map(|(row, roles)| to_pb(row, r.customer_id.clone(), roles))
            .collect();
        Ok(Response::new(pb::ListContactsResponse {
            items,
            total,
            next_cursor,
        }))
    }

    async fn count_contacts(
        &self,
        req: Request<pb::CountContactsRequest>,
    ) -> Result<Response<pb::CountContactsResponse>, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        for (i, id) in r.customer_ids.iter().enumerate() {
            v.require_id(&format!("customerIDs[{i}]"), id);
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let counts = contact::assigned_counts(&self.state.db, &r.customer_ids).await?;
        Ok(Response::new(pb::CountContactsResponse { counts }))
    }

    async fn update_contact(
        &self,
        req: Request<pb::UpdateContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let mut r = req.into_inner();
        if let Some(rules) = self.on_behalf(&ctx, behalf::WRITE, &r.customer_id).await? {
            r.customer_kind = rules.kind;
        }
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        v.require_id("customerID", &r.customer_id);
        let name = present(&mut v, "name", r.name.as_deref(), PersonName::parse);
        let email = present(&mut v, "email", r.email.as_deref(), Email::parse);
        let alternative_email = present(
            &mut v,
            "alternativeEmail",
            r.alternative_email.as_deref(),
            Email::parse_optional,
        );
        let phone = present(&mut v, "phone", r.phone.as_deref(), Phone::parse);
        let cellular_phone = present(
            &mut v,
            "cellularPhone",
            r.cellular_phone.as_deref(),
            CellularPhone::parse_update,
        );
        let culture = present(&mut v, "culture", r.culture.as_deref(), parse_culture);
        // Roles, when given, replace the assignment's (ContactAssignV2's
        // rule: at least one, each suiting the customer).
        let roles = r.roles.as_ref().map(|given| {
            let kind = v.check("customerKind", Kind::parse(&r.customer_kind));
            if given.names.is_empty() {
                v.add("accessRoleNames", "at least one role is required");
            }
            role_names(&mut v, &given.names, kind)
        });
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        // An optional field given empty clears it; required ones refused
        // empty above.
        let info = ContactInfo {
            name: name.as_ref().map(PersonName::as_str),
            email: email.as_ref().map(Email::as_str),
            alternative_email: alternative_email
                .as_ref()
                .map(|e| e.as_ref().map_or("", Email::as_str)),
            phone: phone.as_ref().map(Phone::as_str),
            cellular_phone: cellular_phone.as_ref().map(CellularPhone::as_str),
            culture: culture
                .as_ref()
                .map(|c| c.as_ref().map_or("", Culture::as_str)),
        };
        let new_roles = roles.as_deref().map(|roles| NewRoles {
            roles,
            guarded: Role::is_owner_role,
        });
        contact::update(
            &self.state.db,
            &r.contact_id,
            &r.customer_id,
            &info,
            new_roles,
        )
        .await?;
        if new_roles.is_some() {
            // Who holds which role here changed: the customer's cached
            // contact counts and lists follow, as for SetRoles.
            self.contacts_changed(&r.customer_id).await;
        }
        tracing::info!(
            contact_id = r.contact_id,
            customer_id = r.customer_id,
            roles = ?roles,
            "contact updated"
        );
        Ok(Response::new(
            self.seen_from(&r.contact_id, r.customer_id).await?,
        ))
    }

    async fn assign_contact(
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
        idempotency::run(&self.state.db, key, |key| self.assign(r, key)).await
    }

    async fn remove_assignment(
        &self,
        req: Request<pb::RemoveAssignmentRequest>,
    ) -> Result<Response<pb::RemoveAssignmentResponse>, Status> {
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
            contact_id = r.contact_id,
            customer_id = r.customer_id,
            contact_deleted,
            "contact assignment removed"
        );
        Ok(Response::new(pb::RemoveAssignmentResponse {
            contact_deleted,
        }))
    }

    async fn change_password(
        &self,
        req: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let mut r = req.into_inner();
        if let Some(principal) = &ctx.principal {
            // A contact may always change its own password; anyone else
            // needs contacts:write and must reach the contact's customer.
            if principal.contact_id != r.contact_id {
                behalf::require(principal, behalf::WRITE)?;
            }
            check_id("contactID", &r.contact_id)?;
            let home = contact::home_customer(&self.state.db, &r.contact_id)
                .await?
                .ok_or(Error::NotFound)?;
            let rules = self.state.peers.rules(&ctx, &home).await?;
            r.policy = Some(rules.policy);
            r.reset = behalf::may_reset(principal, &r.contact_id, &home);
            if !r.reset && r.current_password.is_empty() {
                return Err(Error::Invalid(vec![(
                    "currentPassword".to_owned(),
                    "is required unless an owner of a partner above resets the password".to_owned(),
                )])
                .into());
            }
        }
        let mut v = Violations::new();
        v.require_id("contactID", &r.contact_id);
        if !r.reset && r.current_password.is_empty() {
            v.add("currentPassword", "is required");
        }
        let new_password = v.check(
            "newPassword",
            Password::parse_with(&r.new_password, &policy_of(r.policy)),
        );
        let Some(new_password) = new_password else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let stored = contact::password_hash(&self.state.db, &r.contact_id)
            .await?
            .ok_or(Error::NotFound)?;
        // A reset comes from an owner of an ancestor (decided above, or by
        // a service caller), who does not know the contact's password.
        if !r.reset && !verify_password(r.current_password, stored).await? {
            return Err(Error::WrongPassword.into());
        }
        let hash = hash_password(new_password).await?;
        contact::set_password_hash(&self.state.db, &r.contact_id, &hash).await?;
        tracing::info!(
            contact_id = r.contact_id,
            reset = r.reset,
            "contact password changed"
        );
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn delete_customer_contacts(
        &self,
        req: Request<pb::DeleteCustomerContactsRequest>,
    ) -> Result<Response<pb::DeleteCustomerContactsResponse>, Status> {
        let r = req.into_inner();
        check_id("customerID", &r.customer_id)?;
        let removed = contact::delete_customer(&self.state.db, &r.customer_id).await?;
        self.contacts_changed(&r.customer_id).await;
        tracing::info!(
            customer_id = r.customer_id,
            removed,
            "customer contacts removed"
        );
        Ok(Response::new(pb::DeleteCustomerContactsResponse {}))
    }
}

/// The roles a request names, each problem recorded on `accessRoleNames`
/// (empty when there are problems: the request is refused anyway).
fn role_names(v: &mut Violations, names: &[String], kind: Option<Kind>) -> Vec<&'static str> {
    parse_roles(names, kind).unwrap_or_else(|problems| {
        for problem in problems {
            v.add("accessRoleNames", problem);
        }
        Vec::new()
    })
}

/// Roles in name order (byte order, the same on every database) with what
/// they allow together.
fn roles_response(mut roles: Vec<String>) -> pb::GetRolesResponse {
    roles.sort_unstable();
    let permissions = to_strings(&permissions_of(&roles));
    pb::GetRolesResponse { roles, permissions }
}

fn to_strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use platform::config::Storage;
    use platform::status::field_violations;
    use proto::contact::v1::contact_service_server::ContactService as _;
    use tonic::Code;

    use super::*;

    /// An API on its own SQLite file under a fresh temporary directory, or,
    /// with `DATABASE_URL=postgres://…` (CI's second run), on its own
    /// schema, named so CI's clean-up of `t<12 hex>_` schemas finds it.
    async fn api_with(
        dir: &std::path::Path,
        accounts: tonic::transport::Channel,
        auth: tonic::transport::Channel,
    ) -> ContactApi {
        let database_url = std::env::var("DATABASE_URL")
            .ok()
            .filter(|url| url.starts_with("postgres"));
        // The random tail of the id: its head is the time, which two
        // tests starting in the same millisecond would share.
        let schema_prefix = match database_url {
            Some(_) => format!("t{}_", &platform::id::new_id()[20..]),
            None => String::new(),
        };
        let storage = Storage {
            data_dir: dir.to_path_buf(),
            database_url,
            schema_prefix,
            redis_url: None,
        };
        let peers = crate::behalf::Peers {
            accounts: proto::account::v1::account_service_client::AccountServiceClient::new(
                platform::grpc::Traced::new(accounts, platform::fake_peer::caller()),
            ),
            auth: proto::auth::v1::auth_service_client::AuthServiceClient::new(
                platform::grpc::Traced::new(auth, platform::fake_peer::caller()),
            ),
        };
        let state = State::open(&storage, peers, platform::cache::Cache::in_memory())
            .await
            .expect("open");
        ContactApi { state }
    }

    /// [`api_with`] whose account-svc reaches no customer and whose
    /// auth-svc removes clients: what calls without a principal meet.
    async fn api(dir: &std::path::Path) -> ContactApi {
        api_with(
            dir,
            fake_accounts(Vec::new()).await,
            fake_auth(Forgotten::default(), Default::default()).await,
        )
        .await
    }

    /// account-svc as a principal sees it: the customers it reaches, with
    /// their rules; any other is NOT_FOUND, as account-svc answers one
    /// outside the principal's subtree.
    async fn fake_accounts(
        reached: Vec<(String, proto::account::v1::ContactRules)>,
    ) -> tonic::transport::Channel {
        use prost::Message as _;
        let reached: HashMap<_, _> = reached.into_iter().collect();
        platform::fake_peer::start::<platform::fake_peer::Accounts>(move |method, body| {
            assert_eq!(method, "GetContactRules");
            let r = proto::account::v1::GetContactRulesRequest::decode(body).expect("request");
            reached
                .get(&r.customer_id)
                .map(prost::Message::encode_to_vec)
                .ok_or_else(|| Status::not_found("customer"))
        })
        .await
    }

    /// The contacts whose clients auth-svc was asked to remove.
    type Forgotten = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

    /// auth-svc removing a deleted contact's clients, or failing to while
    /// `down` is set.
    async fn fake_auth(
        forgotten: Forgotten,
        down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> tonic::transport::Channel {
        use prost::Message as _;
        platform::fake_peer::start::<platform::fake_peer::Auth>(move |method, body| {
            assert_eq!(method, "DeleteContactClients");
            if down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(Status::unavailable("auth-svc is down"));
            }
            let r = proto::auth::v1::DeleteContactClientsRequest::decode(body).expect("request");
            forgotten.lock().expect("lock").push(r.contact_id);
            Ok(proto::auth::v1::DeleteCustomerClientsResponse {}.encode_to_vec())
        })
        .await
    }

    fn temp_dir() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("contact-svc-{}", platform::id::new_id()))
    }

    async fn create_owner(api: &ContactApi, account_id: &str) -> String {
        api.create_contact(Request::new(pb::CreateContactRequest {
            customer_id: account_id.to_owned(),
            login: format!("owner-{}", platform::id::new_id()),
            password: "secret123".into(),
            name: "Ann Owner".into(),
            email: "ann@example.com".into(),
            roles: vec!["Owner".into()],
            ..Default::default()
        }))
        .await
        .expect("created")
        .into_inner()
        .contact_id
    }

    fn set(
        contact_id: &str,
        customer_id: &str,
        kind: &str,
        roles: &[&str],
    ) -> Request<pb::SetRolesRequest> {
        Request::new(pb::SetRolesRequest {
            contact_id: contact_id.to_owned(),
            customer_id: customer_id.to_owned(),
            customer_kind: kind.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        })
    }

    async fn roles_of(
        api: &ContactApi,
        contact_id: &str,
        customer_id: &str,
    ) -> pb::GetRolesResponse {
        api.get_roles(Request::new(pb::GetRolesRequest {
            contact_id: contact_id.to_owned(),
            customer_id: customer_id.to_owned(),
        }))
        .await
        .expect("roles")
        .into_inner()
    }

    fn create_request(login: &str, culture: &str, roles: &[&str]) -> pb::CreateContactRequest {
        pb::CreateContactRequest {
            customer_id: platform::id::new_id(),
            login: login.to_owned(),
            password: "secret123".into(),
            name: "Ann Owner".into(),
            email: "ann@example.com".into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            culture: culture.to_owned(),
            ..Default::default()
        }
    }

    async fn stored_culture(api: &ContactApi, contact_id: &str) -> String {
        use sqlx::Row as _;
        sqlx::query("select culture from contact where contact_id = $1")
            .bind(contact_id)
            .fetch_one(&api.state.db.pool)
            .await
            .expect("row")
            .try_get("culture")
            .expect("culture")
    }

    #[tokio::test]
    async fn culture_is_stored_and_returned_canonical() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let created = api
            .create_contact(Request::new(create_request("ann", "nl-nl", &["Owner"])))
            .await
            .expect("created")
            .into_inner();
        assert_eq!(created.culture, "NL-NL");
        assert_eq!(stored_culture(&api, &created.contact_id).await, "NL-NL");
        let got = api
            .get_contact(Request::new(pb::GetContactRequest {
                contact_id: created.contact_id.clone(),
                customer_id: String::new(),
            }))
            .await
            .expect("contact")
            .into_inner();
        assert_eq!(got.culture, "NL-NL");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn culture_not_given_stays_empty() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let created = api
            .create_contact(Request::new(create_request("ann", "", &["Owner"])))
            .await
            .expect("created")
            .into_inner();
        assert_eq!(created.culture, "");
        assert_eq!(stored_culture(&api, &created.contact_id).await, "");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn bad_culture_is_invalid_and_creates_nothing() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let err = api
            .create_contact(Request::new(create_request("ann", "nl_NL", &["Owner"])))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        let fields: Vec<String> = field_violations(&err).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["culture"]);
        assert!(
            !contact::login_taken(&api.state.db, "ann")
                .await
                .expect("query"),
            "no contact stored"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn create_with_a_role_listed_twice_is_invalid_and_creates_nothing() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let err = api
            .create_contact(Request::new(create_request(
                "ann",
                "",
                &["Owner", "ContactManager", "Owner"],
            )))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            field_violations(&err),
            [(
                "accessRoleNames".to_owned(),
                "Owner is listed twice".to_owned()
            )]
        );
        assert!(
            !contact::login_taken(&api.state.db, "ann")
                .await
                .expect("query"),
            "no contact stored"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn set_roles_replaces_the_roles_on_one_customer_only() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (account_id, partner_id) = (platform::id::new_id(), platform::id::new_id());
        let contact_id = create_owner(&api, &account_id).await;
        let before = roles_of(&api, &contact_id, &account_id).await;
        assert_eq!(before.roles, ["Owner"]);
        assert_eq!(before.permissions, to_strings(&permissions_of(&["Owner"])));
        // Another owner, so that this one may step down.
        create_on(&api, &account_id, &["Owner"]).await;

        api.set_roles(set(
            &contact_id,
            &partner_id,
            "partner",
            &["AG_PRIVATELABELSALES"],
        ))
        .await
        .expect("assigned to the partner");
        let answer = api
            .set_roles(set(
                &contact_id,
                &account_id,
                "account",
                &["ContactManager"],
            ))
            .await
            .expect("set")
            .into_inner();
        let expected = pb::GetRolesResponse {
            roles: vec!["ContactManager".into()],
            permissions: to_strings(&["accounts:read", "contacts:read", "contacts:write"]),
        };
        assert_eq!(answer, expected);
        assert_eq!(roles_of(&api, &contact_id, &account_id).await, expected);
        assert_eq!(
            roles_of(&api, &contact_id, &partner_id).await.roles,
            ["AG_PRIVATELABELSALES"],
            "the other customer's roles stay"
        );
        let home = api
            .get_contact(Request::new(pb::GetContactRequest {
                contact_id: contact_id.clone(),
                customer_id: String::new(),
            }))
            .await
            .expect("contact")
            .into_inner();
        assert_eq!(
            home.customer_id, account_id,
            "replacing roles keeps the home customer"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn set_roles_refuses_a_role_of_the_other_kind_and_changes_nothing() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        let contact_id = create_owner(&api, &account_id).await;

        let err = api
            .set_roles(set(
                &contact_id,
                &account_id,
                "account",
                &["AG_PRIVATELABELOPERATORS"],
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            field_violations(&err),
            [(
                "accessRoleNames".to_owned(),
                "AG_PRIVATELABELOPERATORS is a partner role; this customer is an account"
                    .to_owned()
            )]
        );
        assert_eq!(
            roles_of(&api, &contact_id, &account_id).await.roles,
            ["Owner"]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn set_roles_reports_every_bad_field() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let err = api
            .set_roles(set("nope", "", "customer", &["Root", "Owner", "Owner"]))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        let fields: Vec<String> = field_violations(&err).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "contactID",
                "customerID",
                "customerKind",
                "accessRoleNames",
                "accessRoleNames"
            ]
        );
        assert!(err.message().contains("Root"), "{}", err.message());
        assert!(
            err.message().contains("Owner is listed twice"),
            "{}",
            err.message()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn no_roles_end_the_assignment_but_keep_the_contact() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        let contact_id = create_on(&api, &account_id, &["ContactManager"]).await;

        let answer = api
            .set_roles(set(&contact_id, &account_id, "account", &[]))
            .await
            .expect("set")
            .into_inner();
        assert_eq!(answer, pb::GetRolesResponse::default());
        assert_eq!(
            roles_of(&api, &contact_id, &account_id).await,
            pb::GetRolesResponse::default()
        );
        assert!(
            contact::find(&api.state.db, &contact_id)
                .await
                .expect("find")
                .is_some(),
            "the contact row stays"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn set_roles_on_an_unknown_contact_is_not_found() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let err = api
            .set_roles(set(
                &platform::id::new_id(),
                &platform::id::new_id(),
                "account",
                &["Owner"],
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::NotFound);
        let _ = std::fs::remove_dir_all(dir);
    }

    fn assert_last_owner(err: &Status) {
        assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
        assert_eq!(
            platform::status::reason(err).map(|(r, _)| r).as_deref(),
            Some("LAST_OWNER")
        );
    }

    #[tokio::test]
    async fn set_roles_keeps_the_last_owner_of_an_account() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        let owner = create_owner(&api, &account_id).await;
        create_on(&api, &account_id, &["ContactManager"]).await;

        for roles in [&["ContactManager"][..], &[]] {
            let err = api
                .set_roles(set(&owner, &account_id, "account", roles))
                .await
                .expect_err("refused");
            assert_last_owner(&err);
            assert_eq!(
                roles_of(&api, &owner, &account_id).await.roles,
                ["Owner"],
                "{roles:?} changed nothing"
            );
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn set_roles_keeps_the_last_private_label_owner_of_a_partner() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let partner_id = platform::id::new_id();
        let owner = create_on(&api, &partner_id, &["AG_PRIVATELABELOWNERS"]).await;
        let err = api
            .set_roles(set(
                &owner,
                &partner_id,
                "partner",
                &["AG_PRIVATELABELOPERATORS"],
            ))
            .await
            .expect_err("refused");
        assert_last_owner(&err);
        assert_eq!(
            roles_of(&api, &owner, &partner_id).await.roles,
            ["AG_PRIVATELABELOWNERS"]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn set_roles_may_add_to_the_last_owners_roles() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        let owner = create_owner(&api, &account_id).await;
        api.set_roles(set(
            &owner,
            &account_id,
            "account",
            &["ContactManager", "Owner"],
        ))
        .await
        .expect("the owner role stays");
        assert_eq!(
            roles_of(&api, &owner, &account_id).await.roles,
            ["ContactManager", "Owner"]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn set_roles_lets_an_owner_step_down_while_another_holds_the_role() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        let first = create_owner(&api, &account_id).await;
        let second = create_on(&api, &account_id, &["Owner"]).await;

        api.set_roles(set(&first, &account_id, "account", &["ContactManager"]))
            .await
            .expect("the second still owns");
        assert_eq!(
            roles_of(&api, &first, &account_id).await.roles,
            ["ContactManager"]
        );
        let err = api
            .set_roles(set(&second, &account_id, "account", &["SecurityManager"]))
            .await
            .expect_err("now the last one");
        assert_last_owner(&err);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn list_roles_answers_the_catalogue() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let list = api
            .list_roles(Request::new(pb::ListRolesRequest {}))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(list.roles.len(), 11);
        assert_eq!(list.permissions, to_strings(PERMISSIONS));
        let owners = &list.roles[0];
        assert_eq!(owners.name, "AG_PRIVATELABELOWNERS");
        assert_eq!(owners.display_name, "Private Label Owner");
        assert_eq!(owners.kind, "partner");
        assert_eq!(owners.permissions, list.permissions);
        let owner = list
            .roles
            .iter()
            .find(|r| r.name == "Owner")
            .expect("Owner");
        assert_eq!(owner.kind, "account");
        let _ = std::fs::remove_dir_all(dir);
    }

    // ---- ListContacts, UpdateContact, AssignContact, RemoveAssignment,
    // ---- ChangePassword, users_max

    /// A contact created on `customer_id` with `roles`; its id.
    async fn create_on(api: &ContactApi, customer_id: &str, roles: &[&str]) -> String {
        api.create_contact(Request::new(pb::CreateContactRequest {
            customer_id: customer_id.to_owned(),
            ..create_request(&format!("c-{}", platform::id::new_id()), "", roles)
        }))
        .await
        .expect("created")
        .into_inner()
        .contact_id
    }

    async fn list(
        api: &ContactApi,
        customer_id: &str,
        skip: i64,
        take: i64,
    ) -> Result<pb::ListContactsResponse, Status> {
        list_after(api, customer_id, "", skip, take).await
    }

    async fn list_after(
        api: &ContactApi,
        customer_id: &str,
        after: &str,
        skip: i64,
        take: i64,
    ) -> Result<pb::ListContactsResponse, Status> {
        api.list_contacts(Request::new(pb::ListContactsRequest {
            customer_id: customer_id.to_owned(),
            skip,
            take,
            after: after.to_owned(),
        }))
        .await
        .map(Response::into_inner)
    }

    fn ids(list: &pb::ListContactsResponse) -> Vec<&str> {
        list.items.iter().map(|c| c.contact_id.as_str()).collect()
    }

    fn fields_of(err: &Status) -> Vec<String> {
        field_violations(err).into_iter().map(|(f, _)| f).collect()
    }

    async fn get(
        api: &ContactApi,
        contact_id: &str,
        customer_id: &str,
    ) -> Result<pb::Contact, Status> {
        api.get_contact(Request::new(pb::GetContactRequest {
            contact_id: contact_id.to_owned(),
            customer_id: customer_id.to_owned(),
        }))
        .await
        .map(Response::into_inner)
    }

    fn assign_request(
        contact_id: &str,
        from: &str,
        target: &str,
        kind: &str,
        roles: &[&str],
    ) -> Request<pb::AssignContactRequest> {
        Request::new(pb::AssignContactRequest {
            contact_id: contact_id.to_owned(),
            from_customer_id: from.to_owned(),
            target_customer_id: target.to_owned(),
            target_kind: kind.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            users_max: 0,
        })
    }

    async fn remove(api: &ContactApi, contact_id: &str, customer_id: &str) -> Result<bool, Status> {
        api.remove_assignment(Request::new(pb::RemoveAssignmentRequest {
            contact_id: contact_id.to_owned(),
            customer_id: customer_id.to_owned(),
        }))
        .await
        .map(|r| r.into_inner().contact_deleted)
    }

    fn change(
        contact_id: &str,
        current: &str,
        new: &str,
        reset: bool,
    ) -> Request<pb::ChangePasswordRequest> {
        Request::new(pb::ChangePasswordRequest {
            contact_id: contact_id.to_owned(),
            current_password: current.to_owned(),
            new_password: new.to_owned(),
            reset,
            policy: None,
        })
    }

    async fn stored_hash(api: &ContactApi, contact_id: &str) -> String {
        contact::password_hash(&api.state.db, contact_id)
            .await
            .expect("query")
            .expect("contact")
    }

    fn assert_limit_exceeded(err: &Status, value: &str) {
        assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
        let (reason, metadata) = platform::status::reason(err).expect("error info");
        assert_eq!(reason, "LIMIT_EXCEEDED");
        assert_eq!(
            metadata.get("limit").map(String::as_str),
            Some("Iam_usersMax")
        );
        assert_eq!(metadata.get("value").map(String::as_str), Some(value));
        assert_eq!(
            err.message(),
            format!("the account's Iam_usersMax ({value}) allows no more users")
        );
    }

    #[tokio::test]
    async fn list_pages_a_customers_contacts_in_id_order_with_the_total() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (account_id, other_id) = (platform::id::new_id(), platform::id::new_id());
        let mut created = Vec::new();
        for _ in 0..5 {
            created.push(create_on(&api, &account_id, &["ContactManager"]).await);
        }
        create_on(&api, &other_id, &["Owner"]).await;
        created.sort();

        let first = list(&api, &account_id, 0, 2).await.expect("page");
        assert_eq!(
            first.total, 5,
            "the other customer's contact is not counted"
        );
        assert_eq!(ids(&first), created[..2]);
        assert!(
            first
                .items
                .iter()
                .all(|c| c.customer_id == account_id && c.roles == ["ContactManager"])
        );
        let middle = list(&api, &account_id, 2, 2).await.expect("page");
        assert_eq!(ids(&middle), created[2..4]);
        let last = list(&api, &account_id, 4, 2).await.expect("page");
        assert_eq!(ids(&last), created[4..], "the last page is short");
        let past = list(&api, &account_id, 5, 2).await.expect("page");
        assert!(past.items.is_empty());
        assert_eq!(past.total, 5, "the total does not depend on the page");
        let default_take = list(&api, &account_id, 0, 0).await.expect("page");
        assert_eq!(ids(&default_take), created, "take 0 means 100");
        assert_eq!(
            ids(&list(&api, &account_id, 0, 1000).await.expect("page")),
            created
        );
        let none = list(&api, &platform::id::new_id(), 0, 10)
            .await
            .expect("page");
        assert_eq!((none.total, none.items.len()), (0, 0));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_walk_by_cursor_meets_each_contact_once_while_others_are_added() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        let mut created = Vec::new();
        for _ in 0..5 {
            created.push(create_on(&api, &account_id, &["ContactManager"]).await);
        }
        let mut walked: Vec<String> = Vec::new();
        let mut after = String::new();
        loop {
            let page = list_after(&api, &account_id, &after, 0, 2)
                .await
                .expect("page");
            walked.extend(ids(&page).into_iter().map(str::to_owned));
            // A contact added mid-walk has the newest id: the walk ends on it.
            if walked.len() == 2 {
                created.push(create_on(&api, &account_id, &["ContactManager"]).await);
            }
            if page.next_cursor.is_empty() {
                assert!(page.items.len() <= 2);
                break;
            }
            assert_eq!(page.items.len(), 2, "a page with more to follow is full");
            assert_eq!(page.next_cursor, walked[walked.len() - 1]);
            after = page.next_cursor;
        }
        created.sort();
        assert_eq!(walked, created, "each contact once, in id order");

        // skip counts past the cursor; the last page answers no cursor.
        let page = list_after(&api, &account_id, &created[0], 1, 2)
            .await
            .expect("page");
        assert_eq!(ids(&page), created[2..4]);
        assert_eq!(page.next_cursor, created[3]);
        let last = list_after(&api, &account_id, &created[3], 0, 2)
            .await
            .expect("page");
        assert_eq!(ids(&last), created[4..]);
        assert_eq!(last.next_cursor, "", "nothing follows an exact fit");
        let err = list_after(&api, &account_id, "not-a-cursor", 0, 2)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(fields_of(&err), ["after"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_total_follows_every_change_to_the_customers_contacts() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (a, b) = (platform::id::new_id(), platform::id::new_id());
        let total = |customer: String| {
            let api = &api;
            async move { list(api, &customer, 0, 1).await.expect("page").total }
        };
        let owner = create_on(&api, &a, &["Owner"]).await;
        let other = create_on(&api, &a, &["ContactManager"]).await;
        assert_eq!(total(a.clone()).await, 2);
        assert_eq!(total(b.clone()).await, 0);
        // No owner role on B: its last holder could not leave.
        api.assign_contact(assign_request(
            &other,
            &a,
            &b,
            "account",
            &["ContactManager"],
        ))
        .await
        .expect("assigned");
        assert_eq!(total(b.clone()).await, 1, "an assignment counts");
        api.set_roles(set(&owner, &b, "account", &["SecurityManager"]))
            .await
            .expect("set");
        assert_eq!(total(b.clone()).await, 2, "roles on a new customer count");
        remove(&api, &other, &b).await.expect("removed");
        assert_eq!(total(b.clone()).await, 1, "a removal counts");
        api.set_roles(set(&owner, &b, "account", &[]))
            .await
            .expect("set");
        assert_eq!(total(b.clone()).await, 0, "no roles end the assignment");
        api.delete_customer_contacts(Request::new(pb::DeleteCustomerContactsRequest {
            customer_id: a.clone(),
        }))
        .await
        .expect("deleted");
        assert_eq!(total(a.clone()).await, 0, "a deleted customer has none");
        let _ = std::fs::remove_dir_all(dir);
    }

    async fn count(api: &ContactApi, ids: &[String]) -> Result<HashMap<String, i64>, Status> {
        api.count_contacts(Request::new(pb::CountContactsRequest {
            customer_ids: ids.to_vec(),
        }))
        .await
        .map(|r| r.into_inner().counts)
    }

    #[tokio::test]
    async fn count_answers_every_customer_asked_with_its_assigned_contacts() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (a, b) = (platform::id::new_id(), platform::id::new_id());
        let shared = create_on(&api, &a, &["Owner"]).await;
        create_on(&api, &a, &["ContactManager", "SecurityManager"]).await;
        api.assign_contact(assign_request(&shared, &a, &b, "account", &["Owner"]))
            .await
            .expect("assigned");
        // More ids than one statement takes, the known ones in the last
        // chunk: every id is answered, unknown ones with 0.
        let mut ids: Vec<String> = (0..1200).map(|_| platform::id::new_id()).collect();
        ids.extend([a.clone(), b.clone()]);
        let counts = count(&api, &ids).await.expect("counts");
        assert_eq!(counts.len(), ids.len());
        assert_eq!(counts[&a], 2, "two contacts, one with two roles");
        assert_eq!(counts[&b], 1);
        assert_eq!(counts[&ids[0]], 0);
        assert!(count(&api, &[]).await.expect("none").is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn count_refuses_what_is_not_an_id() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let err = count(&api, &[platform::id::new_id(), "x".into()])
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(fields_of(&err), ["customerIDs[1]"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn list_refuses_take_outside_1_to_1000_and_negative_skip() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        for (skip, take, expected) in [
            (0, 1001, vec!["take"]),
            (0, -1, vec!["take"]),
            (-1, 10, vec!["skip"]),
            (-1, 1001, vec!["skip", "take"]),
        ] {
            let err = list(&api, &account_id, skip, take)
                .await
                .expect_err("refused");
            assert_eq!(err.code(), Code::InvalidArgument);
            assert_eq!(fields_of(&err), expected, "skip {skip} take {take}");
        }
        let err = list(&api, "nope", 0, 10).await.expect_err("refused");
        assert_eq!(fields_of(&err), ["customerID"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn create_stores_alternative_email_and_phone() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let created = api
            .create_contact(Request::new(pb::CreateContactRequest {
                alternative_email: "ann.private@example.org".into(),
                phone: "+31 20 555 0100".into(),
                ..create_request("ann", "", &["Owner"])
            }))
            .await
            .expect("created")
            .into_inner();
        assert_eq!(created.alternative_email, "ann.private@example.org");
        assert_eq!(created.phone, "+31 20 555 0100");
        let got = get(&api, &created.contact_id, &created.customer_id)
            .await
            .expect("contact");
        assert_eq!(got, created);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn create_refuses_bad_alternative_email_and_phone() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let err = api
            .create_contact(Request::new(pb::CreateContactRequest {
                alternative_email: "not an address".into(),
                // One past ContactCreateV2's 100.
                phone: "1".repeat(101),
                // One past ContactCreateV2's 255.
                cellular_phone: "1".repeat(256),
                ..create_request("ann", "", &["Owner"])
            }))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            fields_of(&err),
            ["alternativeEmail", "phone", "cellularPhone"]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn create_for_an_account_refuses_partner_roles() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let err = api
            .create_contact(Request::new(pb::CreateContactRequest {
                customer_kind: "account".into(),
                ..create_request("ann", "", &["AG_PRIVATELABELSALES"])
            }))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            field_violations(&err),
            [(
                "accessRoleNames".to_owned(),
                "AG_PRIVATELABELSALES is a partner role; this customer is an account".to_owned()
            )]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn create_applies_the_requests_password_policy() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let err = api
            .create_contact(Request::new(pb::CreateContactRequest {
                password: "abc12345".into(),
                policy: Some(pb::PasswordPolicy {
                    min_length: 10,
                    require_symbols: true,
                    require_mixed_case: false,
                }),
                ..create_request("ann", "", &["Owner"])
            }))
            .await
            .expect_err("refused");
        assert_eq!(
            field_violations(&err),
            [(
                "password".to_owned(),
                "must be at least 10 characters; must contain a symbol".to_owned()
            )]
        );
        assert!(
            !err.message().contains("abc12345"),
            "the password is not echoed"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn users_max_refuses_the_contact_beyond_it_and_stores_nothing() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        create_on(&api, &account_id, &["Owner"]).await;
        let second = || pb::CreateContactRequest {
            customer_id: account_id.clone(),
            users_max: 1,
            ..create_request("bob", "", &["ContactManager"])
        };

        let err = api
            .create_contact(Request::new(second()))
            .await
            .expect_err("over the limit");
        assert_limit_exceeded(&err, "1");
        assert!(
            !contact::login_taken(&api.state.db, "bob")
                .await
                .expect("query"),
            "no contact stored"
        );
        assert_eq!(list(&api, &account_id, 0, 10).await.expect("list").total, 1);

        let err = api
            .create_contact(Request::new(pb::CreateContactRequest {
                validate_only: true,
                ..second()
            }))
            .await
            .expect_err("validation sees the limit too");
        assert_limit_exceeded(&err, "1");

        api.create_contact(Request::new(pb::CreateContactRequest {
            users_max: 2,
            ..second()
        }))
        .await
        .expect("a higher limit admits it");
        assert_eq!(list(&api, &account_id, 0, 10).await.expect("list").total, 2);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn racing_creates_cannot_both_pass_users_max() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        let create = |n: usize| {
            api.create_contact(Request::new(pb::CreateContactRequest {
                customer_id: account_id.clone(),
                users_max: 2,
                ..create_request(&format!("racer{n}"), "", &["ContactManager"])
            }))
        };
        // Joined on one task: the requests overlap at their awaits (hashing,
        // the database), which is where a check-then-insert would race.
        let (a, b, c, d, e) = tokio::join!(create(0), create(1), create(2), create(3), create(4));
        let answers = [a, b, c, d, e];
        let admitted = answers.iter().filter(|a| a.is_ok()).count();
        assert_eq!(admitted, 2, "{answers:?}");
        for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
            assert_limit_exceeded(refused, "2");
        }
        assert_eq!(list(&api, &account_id, 0, 10).await.expect("list").total, 2);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn racing_assignments_cannot_both_pass_users_max() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (from_id, target_id) = (platform::id::new_id(), platform::id::new_id());
        let mut contacts = Vec::new();
        for _ in 0..5 {
            contacts.push(create_on(&api, &from_id, &["Owner"]).await);
        }
        let assign = |contact_id: &str| {
            api.assign_contact(Request::new(pb::AssignContactRequest {
                users_max: 2,
                ..assign_request(contact_id, &from_id, &target_id, "account", &["Owner"])
                    .into_inner()
            }))
        };
        // No hashing here: the five transactions overlap at the database.
        let (a, b, c, d, e) = tokio::join!(
            assign(&contacts[0]),
            assign(&contacts[1]),
            assign(&contacts[2]),
            assign(&contacts[3]),
            assign(&contacts[4])
        );
        let answers = [a, b, c, d, e];
        assert_eq!(
            answers.iter().filter(|a| a.is_ok()).count(),
            2,
            "{answers:?}"
        );
        for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
            assert_limit_exceeded(refused, "2");
        }
        assert_eq!(list(&api, &target_id, 0, 10).await.expect("list").total, 2);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn update_of_one_field_keeps_the_rest() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let before = api
            .create_contact(Request::new(pb::CreateContactRequest {
                alternative_email: "ann.private@example.org".into(),
                phone: "020 555 0100".into(),
                cellular_phone: "06 1234 5678".into(),
                ..create_request("ann", "en-gb", &["Owner"])
            }))
            .await
            .expect("created")
            .into_inner();
        let after = api
            .update_contact(Request::new(pb::UpdateContactRequest {
                contact_id: before.contact_id.clone(),
                customer_id: before.customer_id.clone(),
                phone: Some("+31 20 555 0199".into()),
                ..Default::default()
            }))
            .await
            .expect("updated")
            .into_inner();
        assert_eq!(
            after,
            pb::Contact {
                phone: "+31 20 555 0199".into(),
                ..before.clone()
            }
        );
        assert_eq!(
            get(&api, &before.contact_id, &before.customer_id)
                .await
                .expect("contact"),
            after
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn update_clears_optional_fields_given_empty() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let before = api
            .create_contact(Request::new(pb::CreateContactRequest {
                alternative_email: "ann.private@example.org".into(),
                ..create_request("ann", "en-gb", &["Owner"])
            }))
            .await
            .expect("created")
            .into_inner();
        let after = api
            .update_contact(Request::new(pb::UpdateContactRequest {
                contact_id: before.contact_id.clone(),
                customer_id: before.customer_id.clone(),
                alternative_email: Some(String::new()),
                culture: Some(String::new()),
                ..Default::default()
            }))
            .await
            .expect("updated")
            .into_inner();
        assert_eq!(
            (after.alternative_email.as_str(), after.culture.as_str()),
            ("", "")
        );
        assert_eq!(after.name, before.name);
        let _ = std::fs::remove_dir_all(dir);
    }

    fn role_update(
        contact_id: &str,
        customer_id: &str,
        name: &str,
        roles: &[&str],
    ) -> pb::UpdateContactRequest {
        pb::UpdateContactRequest {
            contact_id: contact_id.into(),
            customer_id: customer_id.into(),
            name: Some(name.into()),
            roles: Some(pb::RoleNames {
                names: roles.iter().map(|r| (*r).to_owned()).collect(),
            }),
            customer_kind: "account".into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn an_update_changes_roles_and_information_together_or_neither() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let owner = api
            .create_contact(Request::new(create_request("ann", "", &["Owner"])))
            .await
            .expect("created")
            .into_inner();
        let (id, customer) = (owner.contact_id.as_str(), owner.customer_id.as_str());
        // The last owner keeps its role: neither the roles nor the name change.
        let err = api
            .update_contact(Request::new(role_update(
                id,
                customer,
                "Renamed",
                &["ContactManager"],
            )))
            .await
            .expect_err("last owner");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(roles_of(&api, id, customer).await.roles, ["Owner"]);
        let seen = api
            .get_contact(Request::new(pb::GetContactRequest {
                contact_id: id.into(),
                customer_id: customer.into(),
            }))
            .await
            .expect("read")
            .into_inner();
        assert_eq!(seen.name, owner.name);
        // With another owner it steps down, renamed in the same change.
        create_on(&api, customer, &["Owner"]).await;
        let changed = api
            .update_contact(Request::new(role_update(
                id,
                customer,
                "Renamed",
                &["ContactManager"],
            )))
            .await
            .expect("changed")
            .into_inner();
        assert_eq!(
            (changed.name.as_str(), changed.roles.as_slice()),
            ("Renamed", &["ContactManager".to_owned()][..])
        );
    }

    #[tokio::test]
    async fn an_update_names_bad_or_missing_roles() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let owner = api
            .create_contact(Request::new(create_request("ann", "", &["Owner"])))
            .await
            .expect("created")
            .into_inner();
        for roles in [&[][..], &["AG_PRIVATELABELOWNERS"][..], &["Nope"][..]] {
            let err = api
                .update_contact(Request::new(role_update(
                    &owner.contact_id,
                    &owner.customer_id,
                    "X",
                    roles,
                )))
                .await
                .expect_err("refused");
            assert_eq!(err.code(), Code::InvalidArgument, "{roles:?}");
            assert_eq!(fields_of(&err), ["accessRoleNames"], "{roles:?}");
        }
    }

    #[tokio::test]
    async fn update_reports_every_bad_field_and_changes_nothing() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let before = api
            .create_contact(Request::new(create_request("ann", "", &["Owner"])))
            .await
            .expect("created")
            .into_inner();
        let err = api
            .update_contact(Request::new(pb::UpdateContactRequest {
                contact_id: before.contact_id.clone(),
                customer_id: before.customer_id.clone(),
                name: Some(String::new()),
                email: Some("nope".into()),
                alternative_email: Some("nope".into()),
                phone: Some("1".repeat(101)),
                cellular_phone: Some("1".repeat(51)),
                culture: Some("english".into()),
                ..Default::default()
            }))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            fields_of(&err),
            [
                "name",
                "email",
                "alternativeEmail",
                "phone",
                "cellularPhone",
                "culture"
            ]
        );
        assert_eq!(
            get(&api, &before.contact_id, &before.customer_id)
                .await
                .expect("contact"),
            before
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// ContactCreateV2's limits: each (field, longest accepted value, the
    /// same one character longer).
    fn create_limits() -> Vec<(&'static str, String, String)> {
        let email = |n: usize| format!("{}@example.com", "a".repeat(n - 12));
        vec![
            ("login", "l".repeat(50), "l".repeat(51)),
            ("name", "n".repeat(50), "n".repeat(51)),
            ("email", email(50), email(51)),
            ("alternativeEmail", email(50), email(51)),
            ("phone", "1".repeat(100), "1".repeat(101)),
            ("cellularPhone", "2".repeat(255), "2".repeat(256)),
        ]
    }

    fn with_field(
        mut r: pb::CreateContactRequest,
        field: &str,
        value: String,
    ) -> pb::CreateContactRequest {
        match field {
            "login" => r.login = value,
            "name" => r.name = value,
            "email" => r.email = value,
            "alternativeEmail" => r.alternative_email = value,
            "phone" => r.phone = value,
            "cellularPhone" => r.cellular_phone = value,
            other => panic!("no field {other}"),
        }
        r
    }

    #[tokio::test]
    async fn create_takes_each_field_at_its_limit_and_names_the_one_past_it() {
        let dir = temp_dir();
        let api = api(&dir).await;
        for (i, (field, longest, past)) in create_limits().into_iter().enumerate() {
            // A login of its own per contact, unless the login is the field.
            let base = create_request(&format!("limit-{i}"), "", &["Owner"]);
            let created = api
                .create_contact(Request::new(with_field(
                    base.clone(),
                    field,
                    longest.clone(),
                )))
                .await
                .unwrap_or_else(|e| panic!("{field} at its limit: {e:?}"))
                .into_inner();
            let stored = match field {
                "login" => created.login,
                "name" => created.name,
                "email" => created.email,
                "alternativeEmail" => created.alternative_email,
                "phone" => created.phone,
                _ => created.cellular_phone,
            };
            assert_eq!(stored, longest, "{field}");
            let refused = pb::CreateContactRequest {
                login: format!("past-{i}"),
                ..base
            };
            let err = api
                .create_contact(Request::new(with_field(refused, field, past)))
                .await
                .expect_err("one past the limit");
            assert_eq!(err.code(), Code::InvalidArgument, "{field}");
            assert_eq!(fields_of(&err), [field], "{field}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn update_takes_each_field_at_its_limit_and_names_the_one_past_it() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let before = api
            .create_contact(Request::new(create_request("ann", "", &["Owner"])))
            .await
            .expect("created")
            .into_inner();
        let email = |n: usize| format!("{}@example.com", "a".repeat(n - 12));
        // ContactInfoUpdateV2: the cellular phone takes 50 here, not 255.
        let limits = [
            ("name", "n".repeat(50), "n".repeat(51)),
            ("email", email(50), email(51)),
            ("alternativeEmail", email(50), email(51)),
            ("phone", "1".repeat(100), "1".repeat(101)),
            ("cellularPhone", "2".repeat(50), "2".repeat(51)),
        ];
        let request = |field: &str, value: String| {
            let mut r = pb::UpdateContactRequest {
                contact_id: before.contact_id.clone(),
                customer_id: before.customer_id.clone(),
                ..Default::default()
            };
            let slot = match field {
                "name" => &mut r.name,
                "email" => &mut r.email,
                "alternativeEmail" => &mut r.alternative_email,
                "phone" => &mut r.phone,
                _ => &mut r.cellular_phone,
            };
            *slot = Some(value);
            Request::new(r)
        };
        for (field, longest, past) in limits {
            api.update_contact(request(field, longest))
                .await
                .unwrap_or_else(|e| panic!("{field} at its limit: {e:?}"));
            let err = api
                .update_contact(request(field, past))
                .await
                .expect_err("one past the limit");
            assert_eq!(err.code(), Code::InvalidArgument, "{field}");
            assert_eq!(fields_of(&err), [field], "{field}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn any_iso_culture_is_taken_on_create_and_update() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let created = api
            .create_contact(Request::new(create_request("ann", "es-mx", &["Owner"])))
            .await
            .expect("created")
            .into_inner();
        assert_eq!(created.culture, "ES-MX");
        let updated = api
            .update_contact(Request::new(pb::UpdateContactRequest {
                contact_id: created.contact_id.clone(),
                customer_id: created.customer_id.clone(),
                culture: Some("pt-BR".into()),
                ..Default::default()
            }))
            .await
            .expect("updated")
            .into_inner();
        assert_eq!(updated.culture, "PT-BR");
        assert_eq!(stored_culture(&api, &created.contact_id).await, "PT-BR");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn update_through_a_customer_the_contact_is_not_assigned_to_is_not_found() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let contact_id = create_owner(&api, &platform::id::new_id()).await;
        let err = api
            .update_contact(Request::new(pb::UpdateContactRequest {
                contact_id: contact_id.clone(),
                customer_id: platform::id::new_id(),
                name: Some("Mallory".into()),
                ..Default::default()
            }))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(
            get(&api, &contact_id, "").await.expect("contact").name,
            "Ann Owner"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn assigned_contact_shows_its_own_roles_in_each_customers_list() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
        let contact_id = create_owner(&api, &first_id).await;
        let assigned = api
            .assign_contact(assign_request(
                &contact_id,
                &first_id,
                &second_id,
                "account",
                &["ContactManager", "AccountBillingManager"],
            ))
            .await
            .expect("assigned")
            .into_inner();
        assert_eq!(assigned.contact_id, contact_id);
        assert_eq!(assigned.customer_id, second_id, "seen from the target");
        assert_eq!(assigned.roles, ["AccountBillingManager", "ContactManager"]);

        let first = list(&api, &first_id, 0, 10).await.expect("list");
        assert_eq!(ids(&first), [contact_id.as_str()]);
        assert_eq!(first.items[0].roles, ["Owner"]);
        assert_eq!(first.items[0].customer_id, first_id);
        let second = list(&api, &second_id, 0, 10).await.expect("list");
        assert_eq!(ids(&second), [contact_id.as_str()]);
        assert_eq!(
            second.items[0].roles,
            ["AccountBillingManager", "ContactManager"]
        );
        assert_eq!(second.items[0].customer_id, second_id);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn assigning_to_a_customer_already_assigned_is_already_exists() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
        let contact_id = create_owner(&api, &first_id).await;
        api.assign_contact(assign_request(
            &contact_id,
            &first_id,
            &second_id,
            "account",
            &["ContactManager"],
        ))
        .await
        .expect("assigned");
        let err = api
            .assign_contact(assign_request(
                &contact_id,
                &first_id,
                &second_id,
                "account",
                &["Owner"],
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::AlreadyExists);
        assert_eq!(fields_of(&err), ["targetAccountID"]);
        assert_eq!(
            roles_of(&api, &contact_id, &second_id).await.roles,
            ["ContactManager"]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn assigning_from_a_customer_the_contact_is_not_on_is_not_found() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let contact_id = create_owner(&api, &platform::id::new_id()).await;
        let target_id = platform::id::new_id();
        for (contact, from) in [
            (contact_id.as_str(), platform::id::new_id()),
            (&platform::id::new_id(), platform::id::new_id()),
        ] {
            let err = api
                .assign_contact(assign_request(
                    contact,
                    &from,
                    &target_id,
                    "account",
                    &["Owner"],
                ))
                .await
                .expect_err("refused");
            assert_eq!(err.code(), Code::NotFound);
        }
        assert_eq!(list(&api, &target_id, 0, 10).await.expect("list").total, 0);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn assigning_needs_roles_that_suit_the_target() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let first_id = platform::id::new_id();
        let contact_id = create_owner(&api, &first_id).await;
        for (kind, roles, fields) in [
            ("account", vec![], vec!["accessRoleNames"]),
            (
                "account",
                vec!["AG_PRIVATELABELSALES"],
                vec!["accessRoleNames"],
            ),
            ("partner", vec!["Owner"], vec!["accessRoleNames"]),
            ("reseller", vec!["Owner"], vec!["targetKind"]),
        ] {
            let err = api
                .assign_contact(assign_request(
                    &contact_id,
                    &first_id,
                    &platform::id::new_id(),
                    kind,
                    &roles,
                ))
                .await
                .expect_err("refused");
            assert_eq!(err.code(), Code::InvalidArgument);
            assert_eq!(fields_of(&err), fields, "{kind} {roles:?}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn assigning_beyond_the_targets_users_max_is_refused() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
        let contact_id = create_owner(&api, &first_id).await;
        create_on(&api, &second_id, &["Owner"]).await;
        let err = api
            .assign_contact(Request::new(pb::AssignContactRequest {
                users_max: 1,
                ..assign_request(
                    &contact_id,
                    &first_id,
                    &second_id,
                    "account",
                    &["ContactManager"],
                )
                .into_inner()
            }))
            .await
            .expect_err("over the limit");
        assert_limit_exceeded(&err, "1");
        assert!(
            roles_of(&api, &contact_id, &second_id)
                .await
                .roles
                .is_empty()
        );
        assert_eq!(list(&api, &second_id, 0, 10).await.expect("list").total, 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_last_owner_of_an_account_cannot_be_removed() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        let owner = create_owner(&api, &account_id).await;
        create_on(&api, &account_id, &["ContactManager"]).await;

        let err = remove(&api, &owner, &account_id)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(
            err.message(),
            "the last owner of a customer cannot be removed"
        );
        assert_eq!(
            platform::status::reason(&err).map(|(r, _)| r).as_deref(),
            Some("LAST_OWNER")
        );
        assert_eq!(
            roles_of(&api, &owner, &account_id).await.roles,
            ["Owner"],
            "nothing removed"
        );

        let second_owner = create_on(&api, &account_id, &["Owner", "ContactManager"]).await;
        assert!(
            remove(&api, &owner, &account_id)
                .await
                .expect("another owner remains")
        );
        let err = remove(&api, &second_owner, &account_id)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::FailedPrecondition, "now the last one");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_last_private_label_owner_of_a_partner_cannot_be_removed() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let partner_id = platform::id::new_id();
        let owner = create_on(&api, &partner_id, &["AG_PRIVATELABELOWNERS"]).await;
        let err = remove(&api, &owner, &partner_id)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn removing_a_non_owners_only_assignment_deletes_the_contact() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let account_id = platform::id::new_id();
        create_owner(&api, &account_id).await;
        let manager = create_on(&api, &account_id, &["ContactManager"]).await;

        assert!(
            remove(&api, &manager, &account_id).await.expect("removed"),
            "contact_deleted"
        );
        let err = get(&api, &manager, &account_id).await.expect_err("gone");
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(list(&api, &account_id, 0, 10).await.expect("list").total, 1);
        let err = remove(&api, &manager, &account_id).await.expect_err("gone");
        assert_eq!(err.code(), Code::NotFound);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn removing_one_of_two_assignments_keeps_the_contact() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
        create_owner(&api, &first_id).await;
        let contact_id = create_on(&api, &first_id, &["ContactManager"]).await;
        api.assign_contact(assign_request(
            &contact_id,
            &first_id,
            &second_id,
            "account",
            &["Owner"],
        ))
        .await
        .expect("assigned");

        assert!(!remove(&api, &contact_id, &first_id).await.expect("removed"));
        assert!(
            roles_of(&api, &contact_id, &first_id)
                .await
                .roles
                .is_empty()
        );
        assert_eq!(
            get(&api, &contact_id, &second_id)
                .await
                .expect("kept")
                .roles,
            ["Owner"]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn changing_the_password_needs_the_current_one() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let contact_id = create_owner(&api, &platform::id::new_id()).await;
        let before = stored_hash(&api, &contact_id).await;

        let err = api
            .change_password(change(&contact_id, "wrong123", "better456", false))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            field_violations(&err),
            [(
                "currentPassword".to_owned(),
                "is not the current password".to_owned()
            )]
        );
        let err = api
            .change_password(change(&contact_id, "", "better456", false))
            .await
            .expect_err("refused");
        assert_eq!(fields_of(&err), ["currentPassword"]);
        assert_eq!(stored_hash(&api, &contact_id).await, before, "unchanged");

        api.change_password(change(&contact_id, "secret123", "better456", false))
            .await
            .expect("changed");
        let after = stored_hash(&api, &contact_id).await;
        assert_ne!(after, before);
        assert!(after.starts_with("$argon2id$"), "stored as Argon2id");
        assert!(!after.contains("better456"));
        api.change_password(change(&contact_id, "better456", "best789", false))
            .await
            .expect("the new password is now the current one");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_reset_needs_no_current_password() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let contact_id = create_owner(&api, &platform::id::new_id()).await;
        api.change_password(change(&contact_id, "", "reset1234", true))
            .await
            .expect("reset");
        let err = api
            .change_password(change(&contact_id, "secret123", "other1234", false))
            .await
            .expect_err("the old password no longer verifies");
        assert_eq!(fields_of(&err), ["currentPassword"]);
        api.change_password(change(&contact_id, "reset1234", "other1234", false))
            .await
            .expect("the reset one does");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_new_password_meets_the_requests_policy() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let contact_id = create_owner(&api, &platform::id::new_id()).await;
        let before = stored_hash(&api, &contact_id).await;
        let err = api
            .change_password(Request::new(pb::ChangePasswordRequest {
                policy: Some(pb::PasswordPolicy {
                    min_length: 10,
                    ..Default::default()
                }),
                ..change(&contact_id, "secret123", "abc12345", false).into_inner()
            }))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            field_violations(&err),
            [(
                "newPassword".to_owned(),
                "must be at least 10 characters".to_owned()
            )]
        );
        assert_eq!(stored_hash(&api, &contact_id).await, before);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn changing_an_unknown_contacts_password_is_not_found() {
        let dir = temp_dir();
        let api = api(&dir).await;
        for reset in [false, true] {
            let err = api
                .change_password(change(
                    &platform::id::new_id(),
                    "secret123",
                    "better456",
                    reset,
                ))
                .await
                .expect_err("refused");
            assert_eq!(err.code(), Code::NotFound);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    // ---- Idempotency-Key

    /// `message` carrying client-1's `Idempotency-Key: key` over a body
    /// hashing to `hash`. Without a principal, so the request's own rules
    /// apply (a principal's come from account-svc: see the tests above).
    fn keyed<T>(message: T, key: &str, hash: &str) -> Request<T> {
        let mut req = Request::new(message);
        Key {
            client_id: "client-1".into(),
            key: key.into(),
            hash: hash.into(),
        }
        .attach(&mut req);
        req
    }

    use platform::idempotency::is_replayed;

    fn reason_of(err: &Status) -> Option<String> {
        platform::status::reason(err).map(|(reason, _)| reason)
    }

    #[tokio::test]
    async fn a_create_repeated_under_its_key_answers_the_first_contact_and_creates_nothing() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let request = create_request("ann", "", &["Owner", "ContactManager"]);
        let first = api
            .create_contact(keyed(request.clone(), "k1", "h1"))
            .await
            .expect("created");
        assert!(!is_replayed(&first));
        let first = first.into_inner();
        let again = api
            .create_contact(keyed(request.clone(), "k1", "h1"))
            .await
            .expect("replayed");
        assert!(is_replayed(&again), "marked x-idempotent-replayed");
        assert_eq!(again.into_inner(), first);
        let listed = list(&api, &request.customer_id, 0, 10).await.expect("list");
        assert_eq!(ids(&listed), [first.contact_id.as_str()], "one contact");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_key_reused_for_another_create_is_refused_and_creates_nothing() {
        let dir = temp_dir();
        let api = api(&dir).await;
        api.create_contact(keyed(create_request("ann", "", &["Owner"]), "k1", "h1"))
            .await
            .expect("created");
        let err = api
            .create_contact(keyed(create_request("bob", "", &["Owner"]), "k1", "h2"))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason_of(&err).as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));
        assert!(
            !contact::login_taken(&api.state.db, "bob")
                .await
                .expect("query"),
            "no second contact"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_failed_create_frees_its_key_for_a_corrected_retry() {
        let dir = temp_dir();
        let api = api(&dir).await;
        api.create_contact(Request::new(create_request("ann", "", &["Owner"])))
            .await
            .expect("created");
        let err = api
            .create_contact(keyed(create_request("ann", "", &["Owner"]), "k1", "h1"))
            .await
            .expect_err("login taken");
        assert_eq!(err.code(), Code::AlreadyExists);
        let retried = api
            .create_contact(keyed(create_request("bob", "", &["Owner"]), "k1", "h2"))
            .await
            .expect("the key was released");
        assert!(!is_replayed(&retried));
        assert_eq!(retried.into_inner().login, "bob");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_key_is_scoped_to_its_client() {
        let dir = temp_dir();
        let api = api(&dir).await;
        api.create_contact(keyed(create_request("ann", "", &["Owner"]), "k1", "h1"))
            .await
            .expect("created");
        // No principal: an internal caller, whose keys are its own.
        let mut req = Request::new(create_request("bob", "", &["Owner"]));
        Key {
            client_id: String::new(),
            key: ("k1").into(),
            hash: ("h2").into(),
        }
        .attach(&mut req);
        let other = api.create_contact(req).await.expect("created");
        assert!(!is_replayed(&other));
        assert_eq!(other.into_inner().login, "bob");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn an_assignment_repeated_under_its_key_answers_the_first_and_assigns_once() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
        let contact_id = create_owner(&api, &first_id).await;
        let request = assign_request(
            &contact_id,
            &first_id,
            &second_id,
            "account",
            &["ContactManager"],
        )
        .into_inner();
        let first = api
            .assign_contact(keyed(request.clone(), "k1", "h1"))
            .await
            .expect("assigned")
            .into_inner();
        assert_eq!(first.roles, ["ContactManager"]);
        // Done again it would be refused (already assigned): it is replayed.
        let again = api
            .assign_contact(keyed(request, "k1", "h1"))
            .await
            .expect("replayed");
        assert!(is_replayed(&again));
        assert_eq!(again.into_inner(), first);
        assert_eq!(
            roles_of(&api, &contact_id, &second_id).await.roles,
            ["ContactManager"]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn an_assignment_under_a_reused_key_is_refused_and_assigns_nothing() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
        let contact_id = create_owner(&api, &first_id).await;
        api.create_contact(keyed(create_request("ann", "", &["Owner"]), "k1", "h1"))
            .await
            .expect("created");
        let err = api
            .assign_contact(keyed(
                assign_request(&contact_id, &first_id, &second_id, "account", &["Owner"])
                    .into_inner(),
                "k1",
                "h2",
            ))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason_of(&err).as_deref(), Some("IDEMPOTENCY_KEY_REUSED"));
        assert!(
            roles_of(&api, &contact_id, &second_id)
                .await
                .roles
                .is_empty()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_failed_assignment_frees_its_key_for_a_corrected_retry() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let (first_id, second_id) = (platform::id::new_id(), platform::id::new_id());
        let contact_id = create_owner(&api, &first_id).await;
        create_on(&api, &second_id, &["Owner"]).await;
        let request = assign_request(
            &contact_id,
            &first_id,
            &second_id,
            "account",
            &["ContactManager"],
        )
        .into_inner();
        let err = api
            .assign_contact(keyed(
                pb::AssignContactRequest {
                    users_max: 1,
                    ..request.clone()
                },
                "k1",
                "h1",
            ))
            .await
            .expect_err("over the limit");
        assert_limit_exceeded(&err, "1");
        let retried = api
            .assign_contact(keyed(request, "k1", "h2"))
            .await
            .expect("the key was released");
        assert!(!is_replayed(&retried));
        assert_eq!(retried.into_inner().roles, ["ContactManager"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    // Calls on a partner's behalf: the rules the gateway used to apply.

    fn principal(
        customer_id: &str,
        roles: &[&str],
        scopes: &[&str],
    ) -> proto::common::v1::Principal {
        proto::common::v1::Principal {
            client_id: "client".into(),
            contact_id: platform::id::new_id(),
            customer_id: customer_id.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// `message` carrying `p`, as the gateway forwards a partner's call.
    fn as_principal<T>(p: &proto::common::v1::Principal, message: T) -> Request<T> {
        CallContext::new(Some(p.clone()), None, None).request(message)
    }

    fn rules(kind: &str, users_max: i64, min_length: i32) -> proto::account::v1::ContactRules {
        proto::account::v1::ContactRules {
            kind: kind.into(),
            password_min_length: min_length,
            users_max,
            ..Default::default()
        }
    }

    const RW: &[&str] = &["contacts:read", "contacts:write"];

    #[tokio::test]
    async fn a_principal_without_the_permission_is_refused_and_nothing_is_stored() {
        let dir = temp_dir();
        let account = platform::id::new_id();
        let api = api_with(
            &dir,
            fake_accounts(vec![(account.clone(), rules("account", 0, 6))]).await,
            fake_auth(Forgotten::default(), Default::default()).await,
        )
        .await;
        let reader = principal(&platform::id::new_id(), &[], &["contacts:read"]);
        let err = api
            .create_contact(as_principal(
                &reader,
                pb::CreateContactRequest {
                    customer_id: account.clone(),
                    ..create_request("no-write", "", &["Owner"])
                },
            ))
            .await
            .expect_err("contacts:write is missing");
        assert_eq!(err.code(), Code::PermissionDenied);
        assert!(
            err.message().contains("contacts:write"),
            "{}",
            err.message()
        );
        let nobody = principal(&platform::id::new_id(), &[], &[]);
        let err = api
            .list_contacts(as_principal(
                &nobody,
                pb::ListContactsRequest {
                    customer_id: account.clone(),
                    take: 10,
                    ..Default::default()
                },
            ))
            .await
            .expect_err("contacts:read is missing");
        assert_eq!(err.code(), Code::PermissionDenied);
        assert_eq!(list(&api, &account, 0, 10).await.expect("list").total, 0);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_customer_the_principal_does_not_reach_is_not_found_and_nothing_is_stored() {
        let dir = temp_dir();
        let api = api(&dir).await;
        let elsewhere = platform::id::new_id();
        let p = principal(&platform::id::new_id(), &[], RW);
        let err = api
            .create_contact(as_principal(
                &p,
                pb::CreateContactRequest {
                    customer_id: elsewhere.clone(),
                    ..create_request("outside", "", &["Owner"])
                },
            ))
            .await
            .expect_err("outside the subtree");
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(list(&api, &elsewhere, 0, 10).await.expect("list").total, 0);
        // A contact that exists is as invisible through a customer not reached.
        let contact_id = create_on(&api, &elsewhere, &["Owner"]).await;
        let err = api
            .get_contact(as_principal(
                &p,
                pb::GetContactRequest {
                    contact_id,
                    customer_id: elsewhere,
                },
            ))
            .await
            .expect_err("outside the subtree");
        assert_eq!(err.code(), Code::NotFound);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn account_svcs_rules_apply_whatever_the_request_says() {
        let dir = temp_dir();
        let account = platform::id::new_id();
        // account-svc: an account with Iam_usersMax 1 and passwords of 10.
        let api = api_with(
            &dir,
            fake_accounts(vec![(account.clone(), rules("account", 1, 10))]).await,
            fake_auth(Forgotten::default(), Default::default()).await,
        )
        .await;
        let p = principal(&platform::id::new_id(), &[], RW);
        // The request claims a partner with no limit and the default policy.
        let claims = |login: &str, password: &str, roles: &[&str]| pb::CreateContactRequest {
            customer_id: account.clone(),
            customer_kind: "partner".into(),
            users_max: 0,
            password: password.into(),
            ..create_request(login, "", roles)
        };
        let err = api
            .create_contact(as_principal(&p, claims("short", "secret123", &["Owner"])))
            .await
            .expect_err("the account's policy asks 10 characters");
        assert_eq!(field_violations(&err)[0].0, "password");
        let err = api
            .create_contact(as_principal(
                &p,
                claims("partnerrole", "secret12345", &["AG_PRIVATELABELOWNERS"]),
            ))
            .await
            .expect_err("partner roles do not suit an account");
        assert_eq!(field_violations(&err)[0].0, "accessRoleNames");
        api.create_contact(as_principal(&p, claims("first", "secret12345", &["Owner"])))
            .await
            .expect("the first user");
        let err = api
            .create_contact(as_principal(
                &p,
                claims("second", "secret12345", &["Owner"]),
            ))
            .await
            .expect_err("Iam_usersMax 1");
        assert_limit_exceeded(&err, "1");
        assert_eq!(list(&api, &account, 0, 10).await.expect("list").total, 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn only_a_partner_owner_above_resets_a_password_without_the_current_one() {
        let dir = temp_dir();
        let partner = platform::id::new_id();
        let account = platform::id::new_id();
        let api = api_with(
            &dir,
            fake_accounts(vec![
                (partner.clone(), rules("partner", 0, 6)),
                (account.clone(), rules("account", 0, 6)),
            ])
            .await,
            fake_auth(Forgotten::default(), Default::default()).await,
        )
        .await;
        let user = create_on(&api, &account, &["Owner"]).await;
        let change = |current: &str| pb::ChangePasswordRequest {
            contact_id: user.clone(),
            current_password: current.into(),
            new_password: "another123".into(),
            // What a caller on a partner's behalf says does not count.
            reset: true,
            ..Default::default()
        };
        // An owner of the account itself proves the current password.
        let same = principal(&account, &["Owner"], RW);
        let err = api
            .change_password(as_principal(&same, change("")))
            .await
            .expect_err("the current password is required");
        assert_eq!(field_violations(&err)[0].0, "currentPassword");
        // A partner role other than the owner's does too.
        let operator = principal(&partner, &["AG_PRIVATELABELOPERATORS"], RW);
        let err = api
            .change_password(as_principal(&operator, change("")))
            .await
            .expect_err("the current password is required");
        assert_eq!(field_violations(&err)[0].0, "currentPassword");
        // Without contacts:write, only one's own password.
        let reader = principal(&partner, &["AG_PRIVATELABELOWNERS"], &["contacts:read"]);
        let err = api
            .change_password(as_principal(&reader, change("")))
            .await
            .expect_err("contacts:write is missing");
        assert_eq!(err.code(), Code::PermissionDenied);
        // The partner's owner resets it.
        let owner = principal(&partner, &["AG_PRIVATELABELOWNERS"], RW);
        api.change_password(as_principal(&owner, change("")))
            .await
            .expect("reset by an owner above");
        // The contact itself, with the new one as its current one.
        let mut itself = principal(&account, &["Owner"], &[]);
        itself.contact_id = user.clone();
        api.change_password(as_principal(
            &itself,
            pb::ChangePasswordRequest {
                new_password: "third12345".into(),
                ..change("another123")
            },
        ))
        .await
        .expect("its own, proven");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_deleted_contact_takes_its_clients_or_stays_when_auth_svc_fails() {
        let dir = temp_dir();
        let account = platform::id::new_id();
        let forgotten = Forgotten::default();
        let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let api = api_with(
            &dir,
            fake_accounts(vec![(account.clone(), rules("account", 0, 6))]).await,
            fake_auth(forgotten.clone(), down.clone()).await,
        )
        .await;
        let p = principal(&platform::id::new_id(), &[], RW);
        create_on(&api, &account, &["Owner"]).await;
        let manager = create_on(&api, &account, &["ContactManager"]).await;
        let remove = || {
            as_principal(
                &p,
                pb::RemoveAssignmentRequest {
                    contact_id: manager.clone(),
                    customer_id: account.clone(),
                },
            )
        };
        let err = api
            .remove_assignment(remove())
            .await
            .expect_err("auth-svc is down");
        assert_eq!(err.code(), Code::Unavailable);
        // Nothing half done: the contact and its assignment are still there.
        assert_eq!(list(&api, &account, 0, 10).await.expect("list").total, 2);
        down.store(false, std::sync::atomic::Ordering::SeqCst);
        let removed = api
            .remove_assignment(remove())
            .await
            .expect("removed")
            .into_inner();
        assert!(removed.contact_deleted);
        assert_eq!(*forgotten.lock().expect("lock"), [manager]);
        assert_eq!(list(&api, &account, 0, 10).await.expect("list").total, 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}
