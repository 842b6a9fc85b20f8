//! Contacts themselves: create, read, list, count, update, and remove a
//! customer's.

use platform::context::CallContext;
use platform::idempotency::{self, Key};
use platform::paging;
use platform::status::Violations;
use proto::contact::v1 as pb;
use tonic::{Request, Response, Status};

use super::passwords::{hash_password, policy_of};
use super::roles::role_names;
use super::{ContactApi, TARGET, check_id, contacts_scope, to_pb};
use crate::behalf;
use crate::domain::{
    CellularPhone, Culture, Email, Kind, Login, Password, PersonName, Phone, Role, UsersMax,
    parse_culture,
};
use crate::error::Error;
use crate::store::contact::{self, Answer, ContactInfo, NewContact, NewRoles};

/// A CreateContactRequest's fields, each past its rule.
struct NewContactFields {
    login: Login,
    password: Password,
    name: PersonName,
    email: Email,
    alternative_email: Option<Email>,
    phone: Phone,
    cellular_phone: CellularPhone,
    culture: Option<Culture>,
    users_max: Option<UsersMax>,
    roles: Vec<&'static str>,
}

impl NewContactFields {
    /// Every field judged at once, so one answer names every problem.
    fn parse(r: &pb::CreateContactRequest) -> Result<Self, Error> {
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
            return Err(Error::Invalid(v.into_vec()));
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()));
        }
        Ok(Self {
            login,
            password,
            name,
            email,
            alternative_email,
            phone,
            cellular_phone,
            culture,
            users_max,
            roles,
        })
    }
}

/// An UpdateContactRequest's fields, each past its rule; `None` where the
/// request leaves the field as it is.
struct ContactChanges {
    name: Option<PersonName>,
    email: Option<Email>,
    alternative_email: Option<Option<Email>>,
    phone: Option<Phone>,
    cellular_phone: Option<CellularPhone>,
    culture: Option<Option<Culture>>,
    roles: Option<Vec<&'static str>>,
}

impl ContactChanges {
    /// Every field judged at once, so one answer names every problem.
    fn parse(r: &pb::UpdateContactRequest) -> Result<Self, Error> {
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
            return Err(Error::Invalid(v.into_vec()));
        }
        Ok(Self {
            name,
            email,
            alternative_email,
            phone,
            cellular_phone,
            culture,
            roles,
        })
    }

    /// The row's new information. An optional field given empty clears
    /// it; required ones were refused empty in [`Self::parse`].
    fn info(&self) -> ContactInfo<'_> {
        ContactInfo {
            name: self.name.as_ref().map(PersonName::as_str),
            email: self.email.as_ref().map(Email::as_str),
            alternative_email: self
                .alternative_email
                .as_ref()
                .map(|e| e.as_ref().map_or("", Email::as_str)),
            phone: self.phone.as_ref().map(Phone::as_str),
            cellular_phone: self.cellular_phone.as_ref().map(CellularPhone::as_str),
            culture: self
                .culture
                .as_ref()
                .map(|c| c.as_ref().map_or("", Culture::as_str)),
        }
    }
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

impl ContactApi {
    pub(super) async fn create(
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
        idempotency::run(&self.state.db, key, |key| self.create_under_key(r, key)).await
    }

    /// CreateContact's work, under the request's Idempotency-Key if any.
    async fn create_under_key(
        &self,
        r: pb::CreateContactRequest,
        key: Option<Key>,
    ) -> Result<pb::Contact, Status> {
        let NewContactFields {
            login,
            password,
            name,
            email,
            alternative_email,
            phone,
            cellular_phone,
            culture,
            users_max,
            roles,
        } = NewContactFields::parse(&r)?;
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
                idempotency::keep(&self.state.db, key, &answer)
                    .await
                    .map_err(Error::from)?;
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
        tracing::info!(target: TARGET, contact_id, customer_id = r.customer_id, "contact created");
        Ok(created)
    }

    pub(super) async fn get(
        &self,
        req: Request<pb::GetContactRequest>,
    ) -> Result<pb::Contact, Status> {
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
        Ok(contact)
    }

    pub(super) async fn list(
        &self,
        req: Request<pb::ListContactsRequest>,
    ) -> Result<pb::ListContactsResponse, Status> {
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
        Ok(pb::ListContactsResponse {
            items,
            total,
            next_cursor,
        })
    }

    pub(super) async fn count(
        &self,
        req: Request<pb::CountContactsRequest>,
    ) -> Result<pb::CountContactsResponse, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        for (i, id) in r.customer_ids.iter().enumerate() {
            v.require_id(&format!("customerIDs[{i}]"), id);
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let counts = contact::assigned_counts(&self.state.db, &r.customer_ids).await?;
        Ok(pb::CountContactsResponse { counts })
    }

    pub(super) async fn update(
        &self,
        req: Request<pb::UpdateContactRequest>,
    ) -> Result<pb::Contact, Status> {
        let ctx = CallContext::from_request(&req)?;
        let mut r = req.into_inner();
        if let Some(rules) = self.on_behalf(&ctx, behalf::WRITE, &r.customer_id).await? {
            r.customer_kind = rules.kind;
        }
        let changes = ContactChanges::parse(&r)?;
        let info = changes.info();
        let roles = &changes.roles;
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
            target: TARGET,
            contact_id = r.contact_id,
            customer_id = r.customer_id,
            roles = ?roles,
            "contact updated"
        );
        Ok(self.seen_from(&r.contact_id, r.customer_id).await?)
    }

    pub(super) async fn delete_customer(
        &self,
        req: Request<pb::DeleteCustomerContactsRequest>,
    ) -> Result<pb::DeleteCustomerContactsResponse, Status> {
        let r = req.into_inner();
        check_id("customerID", &r.customer_id)?;
        let removed = contact::delete_customer(&self.state.db, &r.customer_id).await?;
        self.contacts_changed(&r.customer_id).await;
        tracing::info!(
            target: TARGET,
            customer_id = r.customer_id,
            removed,
            "customer contacts removed"
        );
        Ok(pb::DeleteCustomerContactsResponse {})
    }
}
