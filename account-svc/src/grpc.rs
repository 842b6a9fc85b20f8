//! The AccountService API. Every call with a principal is limited to the
//! principal's partner and its descendants; what lies outside is NOT_FOUND.
//!
//! Creating a customer crosses three services. The order keeps a failure from
//! leaving half an account: everything is validated first (contact-svc and
//! billing-svc validate their parts without storing), then the customer row is
//! written hidden (`provisioning`, which also reserves the user name), then
//! billing-svc records the payment, then contact-svc creates the owner, and
//! only then does the row become visible. A failure after the row is written
//! undoes what was done; if the undo itself cannot reach a peer, the
//! [`crate::recovery`] sweep finishes it.
//!
//! When the processor refuses the card as blacklisted or fraudulent, the
//! undo runs as for any failure and the request is then kept, without its
//! secrets, as a failed setup ([`crate::domain::failed_setup`]).
//! RestoreFailedSetup claims one and runs the same create with a new payment.
//!
//! Creates (CreateCustomer, RestoreFailedSetup, SetLimit with `create`) honour
//! the client's Idempotency-Key ([`platform::idempotency`]): the key is
//! claimed before any work, the customer's id noted before its row is
//! written, and the answer kept in the transaction that makes the customer
//! active (or stores the limit), so a retry replays it. A failure releases
//! the key; a retry that finds the claim of a dead request undoes what that
//! request left, as the recovery sweep would, then creates anew.

use std::sync::atomic::Ordering;

use platform::context::CallContext;
use platform::idempotency::{self, Claim, Key};
use platform::status::{Violations, field_violations};
use proto::account::v1 as pb;
use proto::billing::v1 as billing;
use proto::contact::v1 as contact;
use tonic::{Code, Request, Response, Status};

use crate::domain::company::parse_address;
use crate::domain::company::{AddressCheck, Company, CompanyChange, parse_company};
use crate::domain::culture::Culture;
use crate::domain::failed_setup::{self, Refused, SetupRefusal};
use crate::domain::lifecycle::{self, Target};
use crate::domain::limit::{self, Limit, Overrides};
use crate::domain::plan::{self, Plan, PlanKind, USERS_MAX};
use crate::domain::settings::{
    CREATE_PARTNERS, Features, Networks, PAYMENT_PROCESSING, PasswordMinLength, PasswordPolicy,
    SettingsChange, SupportEmail,
};
use crate::domain::vat::VatNumber;
use crate::domain::{
    AccountName, PartnerProgram, Program, bounded, parse_comments, parse_options, parse_reason,
};
use crate::error::Error;
use crate::store::customer::{self, CustomerRow, Deletion, ListFilter};
use crate::store::failed_setup::{self as store_failed_setup, FailedSetupRow, RefusedAgain};
use crate::store::limit as store_limit;
use crate::store::settings::{self as store_settings, SettingsRow, SettingsUpdate};
use crate::{State, recovery};

pub struct AccountApi {
    pub state: State,
}

/// `take` when the caller gives none, and the most it may ask for (DESIGN §6).
const DEFAULT_TAKE: i64 = 100;
const MAX_TAKE: i64 = 1000;

/// The [`platform::paging`] scopes of this service's lists. One scope for
/// all customers, not one per subtree: a create changes the totals of every
/// ancestor's subtree, and writes are rare beside reads.
const CUSTOMERS: &str = "customers";
/// AccountOwnerCreateV2 `CellularPhone`.
const OWNER_CELLULAR_PHONE_MAX: usize = 50;
const FAILED_SETUPS: &str = "failed_setups";

impl AccountApi {
    /// The caller's home customer, or `None` for an internal caller.
    async fn caller(&self, ctx: &CallContext) -> Result<Option<CustomerRow>, Error> {
        let Some(p) = &ctx.principal else {
            return Ok(None);
        };
        match customer::find(&self.state.db, &p.customer_id).await? {
            Some(home) if home.status == "active" => Ok(Some(home)),
            _ => Err(Error::HomeGone),
        }
    }

    /// A visible partner within the caller's subtree, or NOT_FOUND: accounts
    /// have no settings, and saying "an account" would tell an outsider the
    /// id exists.
    async fn visible_partner(
        &self,
        caller: Option<&CustomerRow>,
        customer_id: &str,
    ) -> Result<CustomerRow, Error> {
        match self.visible(caller, customer_id).await? {
            c if c.is_partner() => Ok(c),
            _ => Err(Error::NotFound),
        }
    }

    /// What `partner` may do now: its programme and its parent's grants.
    async fn features_of(&self, partner: &CustomerRow) -> Result<Features, Error> {
        let program = PartnerProgram::from_stored(&partner.partner_program).ok_or_else(|| {
            Error::Internal(format!(
                "partner {} has unknown program {:?}",
                partner.customer_id, partner.partner_program
            ))
        })?;
        let grants = store_settings::find(&self.state.db, &partner.customer_id)
            .await?
            .map(|row| row.grants)
            .unwrap_or_default();
        Ok(Features::of(program, grants))
    }

    /// Claims the request's Idempotency-Key, if it has one, for a create of
    /// a customer. `Some`: the create ran to its end before; answer that
    /// again. Errors are the key's answers (reused: 422, in use: 409).
    async fn claim_customer(
        &self,
        ctx: &CallContext,
        key: Option<&Key>,
    ) -> Result<Option<pb::Customer>, Status> {
        let Some(key) = key else {
            return Ok(None);
        };
        match idempotency::claim::<pb::Customer>(&self.state.db, key).await? {
            Claim::Replay(answer) => Ok(Some(answer)),
            Claim::Fresh { previous: None } => Ok(None),
            Claim::Fresh {
                previous: Some(customer_id),
            } => match self.take_over(ctx, key, &customer_id).await {
                Ok(answer) => Ok(answer),
                Err(e) => {
                    idempotency::release(&self.state.db, key).await;
                    Err(e.into())
                }
            },
        }
    }

    /// An earlier request under `key` died while creating `customer_id`
    /// (its claim went stale): undo what it left, as the recovery sweep
    /// would, before the create runs anew, so only one customer comes of
    /// the key. Should it have finished after all, its customer is the
    /// answer.
    async fn take_over(
        &self,
        ctx: &CallContext,
        key: &Key,
        customer_id: &str,
    ) -> Result<Option<pb::Customer>, Error> {
        match customer::find(&self.state.db, customer_id).await? {
            // Not expected: the answer is kept in the transaction that
            // makes the customer active. Should it happen, the customer is
            // whole, and the one this key created.
            Some(c) if c.status == "active" => {
                let answer = to_pb(&c);
                let mut tx = self.state.db.pool.begin().await?;
                idempotency::complete(&mut tx, key, &answer).await?;
                tx.commit().await?;
                return Ok(Some(answer));
            }
            Some(c) if c.status == "provisioning" => {
                recovery::undo_create(&self.state, &ctx.internal(), customer_id).await?;
                tracing::info!(
                    customer_id,
                    "create interrupted under this Idempotency-Key undone"
                );
            }
            // Never written, or undone by the sweep already.
            _ => {}
        }
        // A restore that died leaves its setup claimed for that customer.
        store_failed_setup::release_restoring(&self.state.db, customer_id).await?;
        Ok(None)
    }

    /// Answers a create under `key`: a failure releases the key so the
    /// client may retry; a crash (the test failpoint) leaves it claimed, as
    /// a process that died would.
    async fn settle<M>(
        &self,
        key: Option<&Key>,
        result: Result<M, Stop>,
    ) -> Result<Response<M>, Status> {
        match result {
            Ok(answer) => Ok(Response::new(answer)),
            Err(Stop::Failed(status)) => {
                if let Some(key) = key {
                    idempotency::release(&self.state.db, key).await;
                }
                Err(status)
            }
            Err(Stop::Crashed(status)) => Err(status),
        }
    }

    /// Creates a customer as `caller` (the crate doc tells the order across
    /// services). CreateCustomer and RestoreFailedSetup both come here, so a
    /// restore meets every rule a create does, scope included.
    async fn create(
        &self,
        ctx: &CallContext,
        caller: Option<CustomerRow>,
        r: pb::CreateCustomerRequest,
        origin: Origin<'_>,
        key: Option<&Key>,
    ) -> Result<pb::Customer, Stop> {
        let mut v = Violations::new();
        let mut conflicts = Violations::new();
        let customer_id = match origin {
            Origin::Request => platform::id::new_id(),
            Origin::Restore { customer_id, .. } => customer_id.to_owned(),
        };

        let parent = if r.parent_partner_id.is_empty() {
            caller.clone()
        } else {
            match self.visible(caller.as_ref(), &r.parent_partner_id).await {
                Ok(p) if p.is_partner() => Some(p),
                Ok(_) => {
                    v.add(
                        "general.parentPartnerID",
                        "is an account; only partners have customers",
                    );
                    None
                }
                Err(Error::NotFound) => {
                    v.add("general.parentPartnerID", "no such partner");
                    None
                }
                Err(e) => return Err(e.into()),
            }
        };
        // Without a parent and a principal, this is bootstrap creating the root.
        let is_root = parent.is_none() && caller.is_none() && r.parent_partner_id.is_empty();
        if is_root && customer::find_root(&self.state.db).await?.is_some() {
            return Err(Error::Conflict("the root distributor already exists".into()).into());
        }
        // `programs` decides what is created (DESIGN §6.2); the root is the
        // one partner bootstrap makes without asking.
        let kind = match is_root {
            true => Some(Program::Partner),
            false => v.check("programs", Program::parse(&r.programs)),
        };
        let is_partner = kind == Some(Program::Partner);
        let program = match (is_root, kind) {
            (true, _) => Some(PartnerProgram::Distributor),
            (false, Some(Program::Partner)) if r.partner_program.is_empty() => {
                Some(PartnerProgram::Partner)
            }
            (false, Some(Program::Partner)) => {
                v.check("partnerProgram", PartnerProgram::parse(&r.partner_program))
            }
            // The table lets any create carry it; it refines partners only,
            // so an account ignores it, though a value outside the set is
            // still refused.
            (false, _) => {
                if !r.partner_program.is_empty()
                    && let Err(e) = PartnerProgram::parse(&r.partner_program)
                {
                    v.add("partnerProgram", e);
                }
                None
            }
        };
        // What the parent may do, read once for both rules below.
        let parent_features = match &parent {
            Some(p) => Some(self.features_of(p).await?),
            None => None,
        };
        // Who may create what (reference 000, DESIGN §6.2): a parent whose
        // programme or settings do not include partners creates accounts only.
        if let (Some(f), Some(Program::Partner)) = (parent_features, kind)
            && !f.create_partners
        {
            v.add(
                "programs",
                "the parent partner may create accounts only; its programme does not include partners",
            );
        }
        let name_field = if r.v1 {
            "general.userName"
        } else {
            "general.accountName"
        };
        let name = v.check(
            name_field,
            if r.v1 {
                AccountName::parse_v1(&r.account_name)
            } else {
                AccountName::parse(&r.account_name)
            },
        );
        if let Some(n) = &name
            && customer::user_name_taken(&self.state.db, &n.key()).await?
        {
            conflicts.add(name_field, "is already taken");
        }
        let plan_name = match (is_partner, r.plan_name.as_str()) {
            _ if is_root => Some(plan::DISTRIBUTOR_PLAN),
            _ if kind.is_none() => None,
            (true, "") => Some(plan::DEFAULT_PARTNER_PLAN),
            (true, n) => match plan::find(n) {
                Some(p) if p.kind == PlanKind::Partner && p.name != plan::DISTRIBUTOR_PLAN => {
                    Some(p.name)
                }
                _ => {
                    v.add("planName", format!("unknown partner plan {n:?}"));
                    None
                }
            },
            (false, "") => {
                v.add("planName", "is required for accounts");
                None
            }
            (false, n) => match plan::sellable().find(|p| p.name == n) {
                Some(p) => Some(p.name),
                None => {
                    let offer: Vec<_> = plan::sellable().map(|p| p.name).collect();
                    v.add(
                        "planName",
                        format!("unknown plan {n:?}; the parent sells {}", offer.join(", ")),
                    );
                    None
                }
            },
        };
        let company = parse_company(r.company.as_ref(), &mut v);
        let options = parse_options(&r.options, "general.options", &mut v);
        // AccountOwnerCreateV2 allows the owner a shorter cellular phone
        // than a contact has (50, not 255); the rest is contact-svc's.
        if let Some(o) = &r.owner
            && let Err(e) = bounded(&o.cellular_phone, OWNER_CELLULAR_PHONE_MAX, false)
        {
            v.add("general.owner.cellularPhone", e);
        }
        let owner_roles = vec![
            if is_partner {
                "AG_PRIVATELABELOWNERS"
            } else {
                "Owner"
            }
            .to_owned(),
        ];
        let owner_contact_id = platform::id::new_id();
        // The owner's password meets the rule its customer will have: that
        // of the parent's ancestry, since the new customer has no settings.
        let policy = match &parent {
            Some(p) => self.password_policy(&p.path).await?,
            None => PasswordPolicy::default(),
        };
        let contact_request = |validate_only: bool| {
            let o = r.owner.clone().unwrap_or_default();
            contact::CreateContactRequest {
                customer_id: customer_id.clone(),
                login: o.login,
                password: o.password,
                name: o.name,
                email: o.email,
                cellular_phone: o.cellular_phone,
                roles: owner_roles.clone(),
                contact_id: owner_contact_id.clone(),
                validate_only,
                culture: o.culture,
                policy: Some(policy_to_pb(policy)),
                alternative_email: String::new(),
                phone: String::new(),
                customer_kind: if is_partner { "partner" } else { "account" }.into(),
                // A new customer has no own limit values yet: its plan's
                // default is the value in force.
                users_max: plan_name.map_or(0, plan::users_max),
            }
        };
        let payment = match (&r.payment, is_root) {
            (Some(p), _) => Some(p.clone()),
            // The root distributor bills no one above it; its billing
            // contact is its company.
            (None, true) => r.company.as_ref().map(|c| pb::Payment {
                r#type: "paperCheck".into(),
                credit_card: None,
                name: c.name.clone(),
                phone: c.phone.clone(),
                address: c.address.clone(),
            }),
            (None, false) => {
                v.add("payment", "is required");
                None
            }
        };
        // The payment's address is an address like the company's (PaymentV2
        // `Address`: AddressV2), refined the same way before billing keeps it.
        let billing_address = payment
            .as_ref()
            .and_then(|p| parse_address(p.address.as_ref(), "payment.address", &mut v));
        // A partner may take cards only where its parent enabled payment
        // processing for it (reference 002); the root always may.
        if let (Some(f), Some(pay)) = (parent_features, &payment)
            && pay.r#type.eq_ignore_ascii_case("creditCard")
            && !f.payment_processing
        {
            v.add(
                "payment.type",
                "creditCard is not enabled for the parent partner (payment processing is off); use paperCheck to bill the parent",
            );
        }
        let payment_request = |validate_only: bool| {
            let p = payment.clone().unwrap_or_default();
            billing::SetupPaymentRequest {
                name: p.name,
                phone: p.phone,
                address: billing_address.as_ref().map(|a| a.address.to_pb()),
                customer_id: customer_id.clone(),
                payment_type: p.r#type,
                card: p.credit_card.map(|c| billing::Card {
                    r#type: c.r#type,
                    card_number: c.card_number,
                    expiration_date: c.expiration_date,
                    security_code: c.security_code,
                    holder_name: c.holder_name,
                    issue_number: c.issue_number,
                    start_date: c.start_date,
                }),
                field_prefix: "payment".into(),
                validate_only,
            }
        };

        // Let the owning services judge their parts too, so one answer names
        // every bad field; nothing is stored by these calls.
        let internal = ctx.internal();
        if r.owner.is_none() {
            v.add("general.owner", "is required");
        } else if let Err(s) = self
            .state
            .contacts
            .clone()
            .create_contact(internal.request(contact_request(true)))
            .await
        {
            peer_violations(s, "general.owner.", &mut v, &mut conflicts)?;
        }
        if payment.is_some()
            && let Err(s) = self
                .state
                .billing
                .clone()
                .setup_payment(internal.request(payment_request(true)))
                .await
        {
            peer_violations(s, "", &mut v, &mut conflicts)?;
        }
        let (Some(name), Some(kind), Some(plan_name), Some(company), Some(options)) =
            (name, kind, plan_name, company, options)
        else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        if !v.is_empty() {
            let mut all = v.into_vec();
            all.extend(conflicts.into_vec());
            return Err(Error::Invalid(all).into());
        }
        if !conflicts.is_empty() {
            let (field, message) = conflicts.fields()[0].clone();
            return Err(
                platform::status::field_error(Code::AlreadyExists, &field, &message).into(),
            );
        }

        let row = new_row(NewCustomer {
            customer_id: &customer_id,
            program,
            name: &name,
            parent: parent.as_ref(),
            plan_name,
            kind,
            company: &company,
            options: &options,
            owner_contact_id: &owner_contact_id,
        })?;
        if let Some(key) = key {
            // Noted before the row is written, so whatever a crash leaves
            // of this customer, a retry that takes the key over undoes it.
            idempotency::note_resource(&self.state.db, key, &customer_id)
                .await
                .map_err(Error::Idempotency)?;
        }
        customer::insert_provisioning(&self.state.db, &row).await?;
        // Set when the processor refuses the card for a reason that keeps
        // the request as a failed setup (only the real call reaches it).
        let mut refused = None;
        // `None`: the test failpoint stopped the create as a crash would.
        let provisioned: Result<Option<pb::Customer>, Error> = async {
            self.state
                .billing
                .clone()
                .setup_payment(internal.request(payment_request(false)))
                .await
                .map_err(|s| {
                    refused = refusal(&s);
                    Error::Upstream(s)
                })?;
            if self.state.crash_after_customer_row.load(Ordering::Relaxed) {
                return Ok(None);
            }
            self.state
                .contacts
                .clone()
                .create_contact(internal.request(contact_request(false)))
                .await
                .map_err(|s| Error::Upstream(reroot(s, "general.owner.")))?;
            // The answer is built before the row turns visible and kept in
            // the same transaction, so a replay answers exactly this.
            let mut created = customer::find(&self.state.db, &customer_id)
                .await?
                .ok_or(Error::NotFound)?;
            created.status = "active".into();
            let answer = to_pb(&created);
            let mut tx = self.state.db.pool.begin().await?;
            if !customer::activate(&mut tx, &customer_id).await? {
                return Err(Error::Internal(
                    "the customer was undone before it could be activated".into(),
                ));
            }
            if let Some(key) = key {
                idempotency::complete(&mut tx, key, &answer).await?;
            }
            tx.commit().await?;
            self.customers_changed().await;
            Ok(Some(answer))
        }
        .await;
        let answer = match provisioned {
            Ok(Some(answer)) => answer,
            Ok(None) => {
                tracing::warn!(
                    customer_id,
                    "failpoint crash_after_customer_row: stopping as if the process died"
                );
                return Err(Stop::Crashed(Status::unavailable(
                    "the service stopped mid-way (test failpoint crash_after_customer_row)",
                )));
            }
            Err(e) => {
                tracing::warn!(customer_id, error = %e, "create failed part way; undoing");
                if let Err(undo) = recovery::undo_create(&self.state, &internal, &customer_id).await
                {
                    tracing::error!(customer_id, error = %undo, "undo incomplete; the recovery sweep will finish it");
                    // The key stays claimed with this customer noted, as
                    // after a crash: a retry under it waits (409 in use),
                    // then takes it over and finishes the undo first. Freed
                    // now, the retry would meet the half-made customer's
                    // name and answer "already taken".
                    return Err(Stop::Crashed(Status::from(e)));
                }
                // Kept after the undo, so a failed setup never sits beside a
                // half-made customer of the same request.
                if let Some(refused) = refused {
                    let kept = Kept {
                        request: &r,
                        parent: parent.as_ref(),
                        name: &name,
                        plan_name,
                    };
                    let id = self.keep_failed_setup(&kept, &refused, origin).await?;
                    return Err(Error::FailedSetup { id, refused }.into());
                }
                return Err(e.into());
            }
        };
        tracing::info!(
            customer_id,
            kind = row.kind,
            parent = row.parent_id.as_deref().unwrap_or(""),
            "customer created"
        );
        Ok(answer)
    }

    /// RestoreFailedSetup past its Idempotency-Key: claims the setup, then
    /// runs the create with the new payment.
    async fn restore(
        &self,
        ctx: &CallContext,
        caller: Option<CustomerRow>,
        r: pb::RestoreFailedSetupRequest,
        key: Option<&Key>,
    ) -> Result<pb::Customer, Stop> {
        // Scope first: an outsider learns nothing, not even that its input
        // was bad.
        let setup = self
            .visible_failed_setup(caller.as_ref(), &r.failed_setup_id)
            .await?;
        if setup.status != "open" {
            return Err(not_open(&setup.status).into());
        }
        let mut v = Violations::new();
        if r.payment.is_none() {
            v.add("payment", "is required");
        }
        // The rest of the password rule is contact-svc's, applied by the
        // create as `general.owner.password`.
        if r.owner_password.is_empty() {
            v.add("ownerPassword", "is required");
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        let mut request = failed_setup::decode_request(&setup.request).map_err(Error::Internal)?;
        // The new payment replaces the card; the billing contact and address
        // kept with the setup stay unless the restore gives new ones.
        let kept = request.payment.take().unwrap_or_default();
        request.payment = r.payment.map(|mut p| {
            if p.name.is_empty() {
                p.name = kept.name;
            }
            if p.phone.is_empty() {
                p.phone = kept.phone;
            }
            if p.address.is_none() {
                p.address = kept.address;
            }
            p
        });
        request.owner.get_or_insert_default().password = r.owner_password;

        let id = setup.failed_setup_id.as_str();
        let customer_id = platform::id::new_id();
        if !store_failed_setup::claim(&self.state.db, id, &customer_id).await? {
            // Another restore got it between our read and our claim.
            let now = self.visible_failed_setup(caller.as_ref(), id).await?;
            return Err(not_open(&now.status).into());
        }
        let origin = Origin::Restore {
            failed_setup_id: id,
            customer_id: &customer_id,
        };
        // Noted from the claim on, so a retry taking the key over after a
        // crash reopens the setup even if no customer row was written yet.
        let noted = match key {
            Some(key) => idempotency::note_resource(&self.state.db, key, &customer_id)
                .await
                .map_err(Stop::Failed),
            None => Ok(()),
        };
        let created = match noted {
            Ok(()) => self.create(ctx, caller, request, origin, key).await,
            Err(stop) => Err(stop),
        };
        match created {
            Ok(created) => {
                // The customer exists whatever happens next; should this
                // write fail, the recovery sweep closes the setup.
                match store_failed_setup::mark_restored(&self.state.db, id, &customer_id).await {
                    Ok(_) => {
                        tracing::info!(failed_setup_id = id, customer_id, "failed setup restored")
                    }
                    Err(e) => {
                        tracing::warn!(failed_setup_id = id, error = %e, "failed setup not closed; the recovery sweep will")
                    }
                }
                Ok(created)
            }
            Err(Stop::Failed(status)) => {
                // A second refusal has opened it already (with the new
                // refusal recorded); any other failure opens it here.
                if let Err(e) = store_failed_setup::release(&self.state.db, id).await {
                    tracing::warn!(failed_setup_id = id, error = %e, "failed setup not reopened; the recovery sweep will");
                }
                Err(Stop::Failed(status))
            }
            // As a crash would: the setup stays claimed for the retry that
            // takes the key over (or the recovery sweep).
            Err(crashed @ Stop::Crashed(_)) => Err(crashed),
        }
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
            customer_id = c.customer_id,
            name,
            value = r.value,
            "limit set"
        );
        Ok(answer)
    }

    /// Keeps a create the processor refused as a failed setup, or for a
    /// restore records the new refusal on the setup being restored (one
    /// setup per intended customer, however often its card is refused).
    /// Answers the setup's id.
    async fn keep_failed_setup(
        &self,
        k: &Kept<'_>,
        refused: &Refused,
        origin: Origin<'_>,
    ) -> Result<String, Error> {
        // The parent as resolved, not as given: a request that named none
        // meant the caller's home, and a restore may come from further up.
        let mut request = k.request.clone();
        request.parent_partner_id = k.parent.map(|p| p.customer_id.clone()).unwrap_or_default();
        // encode_request blanks the card and the password (PCI DSS 3.3.1,
        // 3.4.1): of the card only its brand and last four digits stay.
        let stored = failed_setup::encode_request(&request);
        let card = k
            .request
            .payment
            .as_ref()
            .and_then(|p| p.credit_card.as_ref());
        let brand = card.map(|c| c.r#type.trim()).unwrap_or_default();
        let last4 = card
            .map(|c| failed_setup::last4(&c.card_number))
            .unwrap_or_default();
        let id = match origin {
            Origin::Request => {
                let row = FailedSetupRow {
                    failed_setup_id: platform::id::new_id(),
                    parent_id: request.parent_partner_id.clone(),
                    parent_path: k.parent.map_or("/", |p| p.path.as_str()).to_owned(),
                    account_name: k.name.as_str().to_owned(),
                    plan_name: k.plan_name.to_owned(),
                    request: stored,
                    reason: refused.refusal.as_str().to_owned(),
                    code: refused.code.clone(),
                    message: refused.message.clone(),
                    brand: brand.to_owned(),
                    last4,
                    status: "open".into(),
                    customer_id: String::new(),
                    created_at: String::new(),
                    updated_at: String::new(),
                    restored_at: String::new(),
                };
                store_failed_setup::insert(&self.state.db, &row).await?;
                // The list counts every setup, whatever its status, so only
                // a new one changes its totals (a restore or a reopening
                // changes a status, not the set).
                platform::paging::changed(&self.state.cache, FAILED_SETUPS).await;
                row.failed_setup_id
            }
            Origin::Restore {
                failed_setup_id, ..
            } => {
                let again = RefusedAgain {
                    request: &stored,
                    reason: refused.refusal.as_str(),
                    code: &refused.code,
                    message: &refused.message,
                    brand,
                    last4: &last4,
                };
                store_failed_setup::refused_again(&self.state.db, failed_setup_id, &again).await?;
                failed_setup_id.to_owned()
            }
        };
        tracing::info!(
            failed_setup_id = id,
            reason = refused.refusal.as_str(),
            "create refused by the card processor; kept as failed setup"
        );
        Ok(id)
    }

    /// A failed setup whose parent lies within the caller's subtree, or
    /// NOT_FOUND.
    async fn visible_failed_setup(
        &self,
        caller: Option<&CustomerRow>,
        failed_setup_id: &str,
    ) -> Result<FailedSetupRow, Error> {
        if !platform::id::is_id(failed_setup_id) {
            return Err(Error::FailedSetupNotFound);
        }
        match store_failed_setup::find(&self.state.db, failed_setup_id).await? {
            Some(f) if caller.is_none_or(|home| f.parent_path.starts_with(&home.path)) => Ok(f),
            _ => Err(Error::FailedSetupNotFound),
        }
    }

    /// The password rule for the contacts of the customer at `path`: the
    /// strictest of its own settings and its ancestors'.
    async fn password_policy(&self, path: &str) -> Result<PasswordPolicy, Error> {
        let policies = store_settings::policies_on_path(&self.state.db, path).await?;
        Ok(PasswordPolicy::strictest(policies))
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
    async fn limits_changed(&self, customer_id: &str) {
        self.state
            .cache
            .del(&platform::cache::limits_key(customer_id))
            .await;
    }

    /// The set of listed customers changed (one turned active or stopped
    /// being active, or a plan changed, which the `planName` filter sees):
    /// list totals count afresh. Rows that are provisioning or deleting are
    /// never listed, so writing or removing those changes no total.
    async fn customers_changed(&self) {
        platform::paging::changed(&self.state.cache, CUSTOMERS).await;
    }

    /// A visible customer within the caller's subtree, or NOT_FOUND.
    async fn visible(
        &self,
        caller: Option<&CustomerRow>,
        customer_id: &str,
    ) -> Result<CustomerRow, Error> {
        if !platform::id::is_id(customer_id) {
            return Err(Error::NotFound);
        }
        match customer::find(&self.state.db, customer_id).await? {
            Some(c) if c.status == "active" && in_scope(caller, &c) => Ok(c),
            _ => Err(Error::NotFound),
        }
    }
}

/// Where a create comes from.
#[derive(Debug, Clone, Copy)]
enum Origin<'a> {
    /// CreateCustomer: a new customer id, and a refusal keeps a new failed
    /// setup.
    Request,
    /// RestoreFailedSetup: the customer id the claim wrote (so the recovery
    /// sweep can tell whether it was created), and the setup a refusal
    /// updates.
    Restore {
        failed_setup_id: &'a str,
        customer_id: &'a str,
    },
}

/// How a create ends without an answer.
#[derive(Debug)]
enum Stop {
    /// It failed: what it did is undone, and its Idempotency-Key is
    /// released so the client may try again.
    Failed(Status),
    /// The test failpoint ([`State::crash_after_customer_row`]) stopped it
    /// as a crash would: nothing is undone, nothing released.
    Crashed(Status),
}

impl From<Status> for Stop {
    fn from(s: Status) -> Self {
        Stop::Failed(s)
    }
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e.into())
    }
}

/// What a failed setup keeps of a refused create, as the create parsed it.
struct Kept<'a> {
    request: &'a pb::CreateCustomerRequest,
    parent: Option<&'a CustomerRow>,
    name: &'a AccountName,
    plan_name: &'a str,
}

/// The refusal in billing-svc's answer to the real SetupPayment, if it is
/// one that keeps a failed setup (a blacklisted card, failed fraud
/// screening). A plain decline is not: the client fixes the card and retries.
fn refusal(status: &Status) -> Option<Refused> {
    if status.code() != Code::FailedPrecondition {
        return None;
    }
    let (reason, mut metadata) = platform::status::reason(status)?;
    Some(Refused {
        refusal: SetupRefusal::from_reason(&reason)?,
        code: metadata.remove("code").unwrap_or_default(),
        message: metadata.remove("reason").unwrap_or_default(),
    })
}

/// How often an update merges and writes again when a concurrent write to
/// the same customer keeps winning the compare-and-set.
const WRITE_ATTEMPTS: usize = 3;

fn in_scope(caller: Option<&CustomerRow>, c: &CustomerRow) -> bool {
    caller.is_none_or(|home| c.path.starts_with(&home.path))
}

/// Field violations of a peer's validation, re-rooted under `prefix`; other
/// failures (a peer that is down) end the request as they are.
fn peer_violations(
    status: Status,
    prefix: &str,
    invalid: &mut Violations,
    conflicts: &mut Violations,
) -> Result<(), Error> {
    let target = match status.code() {
        Code::InvalidArgument => invalid,
        Code::AlreadyExists => conflicts,
        _ => return Err(Error::Upstream(status)),
    };
    for (field, message) in field_violations(&status) {
        target.add(format!("{prefix}{field}"), message);
    }
    Ok(())
}

/// A peer's answer with its field violations re-rooted under `prefix`, so a
/// conflict the peer finds late (a login taken by a concurrent create since
/// the validation call) names the field as the REST body spells it.
fn reroot(status: Status, prefix: &str) -> Status {
    let violations = field_violations(&status);
    match (status.code(), violations.first()) {
        (Code::InvalidArgument, Some(_)) => platform::status::invalid_argument(
            &violations
                .into_iter()
                .map(|(f, m)| (format!("{prefix}{f}"), m))
                .collect::<Vec<_>>(),
        ),
        (code, Some((field, message))) => {
            platform::status::field_error(code, &format!("{prefix}{field}"), message)
        }
        (_, None) => status,
    }
}

#[tonic::async_trait]
impl pb::account_service_server::AccountService for AccountApi {
    async fn create_customer(
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

    async fn get_customer(
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

    async fn list_customers(
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
        let take = if r.take == 0 { DEFAULT_TAKE } else { r.take };
        if !(1..=MAX_TAKE).contains(&take) {
            v.add("take", format!("must be between 1 and {MAX_TAKE}"));
        }
        if r.skip < 0 {
            v.add("skip", "must not be negative");
        }
        if !r.after.is_empty() && !platform::id::is_id(&r.after) {
            v.add("after", "is not a cursor this API issued");
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
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
        let page = customer::Page {
            after: &r.after,
            skip: r.skip,
            take: take + 1,
        };
        let mut rows = customer::list(&self.state.db, &filter, page).await?;
        let total = platform::paging::total(
            &self.state.cache,
            CUSTOMERS,
            &filter.cache_key(),
            customer::count(&self.state.db, &filter),
        )
        .await?;
        let more = rows.len() as i64 > take;
        rows.truncate(take as usize);
        let next_cursor = if more {
            rows.last()
                .map(|c| c.customer_id.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListCustomersResponse {
            items: rows.iter().map(to_pb).collect(),
            total,
            next_cursor,
        }))
    }

    async fn user_name_taken(
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

    async fn delete_customer(
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
        tracing::info!(customer_id = c.customer_id, "customer deleted");
        Ok(Response::new(pb::DeleteCustomerResponse {}))
    }

    async fn list_customer_plans(
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

    async fn list_plans(
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

    async fn get_root(
        &self,
        _req: Request<pb::GetRootRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        match customer::find_root(&self.state.db).await? {
            Some(c) if c.status == "active" => Ok(Response::new(to_pb(&c))),
            _ => Err(Error::NotFound.into()),
        }
    }

    async fn get_company(
        &self,
        req: Request<pb::GetCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let c = self
            .visible(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        Ok(Response::new(company_to_pb(&c)))
    }

    async fn update_company(
        &self,
        req: Request<pb::UpdateCompanyRequest>,
    ) -> Result<Response<pb::Company>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        // Scope first: an outsider learns nothing, not even that its input
        // was bad.
        let mut c = self.visible(caller.as_ref(), &r.customer_id).await?;
        for _ in 0..WRITE_ATTEMPTS {
            let mut v = Violations::new();
            let Some(change) = CompanyChange::parse(&stored_address(&c), &r, &mut v) else {
                return Err(Error::Invalid(v.into_vec()).into());
            };
            if change.fields().is_empty() {
                return Ok(Response::new(company_to_pb(&c)));
            }
            let mut cols = c.company_columns();
            if let Some(name) = &change.name {
                cols.name = name;
            }
            if let Some(phone) = &change.phone {
                cols.phone = phone;
            }
            if let Some(a) = &change.address {
                cols.line1 = &a.line1;
                cols.line2 = &a.line2;
                cols.line3 = &a.line3;
                cols.city = &a.city;
                cols.state = &a.state;
                cols.zip = &a.zip;
                cols.country = &a.country;
            }
            if let Some(culture) = &change.culture {
                cols.culture = culture.as_ref().map_or("", Culture::as_str);
            }
            if let Some(vat) = &change.vat_number {
                cols.vat_number = vat.as_ref().map_or("", VatNumber::as_str);
            }
            if customer::update_company(&self.state.db, &c.customer_id, &c.updated_at, &cols)
                .await?
            {
                tracing::info!(
                    customer_id = c.customer_id,
                    fields = ?change.fields(),
                    "company updated"
                );
                let updated = self.visible(caller.as_ref(), &c.customer_id).await?;
                return Ok(Response::new(company_to_pb(&updated)));
            }
            // Another write came between our read and ours: merge again over
            // what it left, so neither update is lost.
            c = self.visible(caller.as_ref(), &r.customer_id).await?;
        }
        Err(Error::Contended("the company kept changing during the update; retry".into()).into())
    }

    async fn validate_address(
        &self,
        req: Request<pb::ValidateAddressRequest>,
    ) -> Result<Response<pb::AddressValidation>, Status> {
        // A question about an address, not about a customer: no scope to
        // check, and a bad address is an answer (status 2), not an error.
        let r = req.into_inner();
        let given = r.address.unwrap_or_default();
        let check = AddressCheck::of(&given, r.field_prefix.trim());
        let status = check.status();
        Ok(Response::new(match check {
            AddressCheck::Valid(refined) => pb::AddressValidation {
                status,
                address: Some(refined.address.to_pb()),
                changes: refined.changes.iter().map(|&f| f.to_owned()).collect(),
                errors: Vec::new(),
            },
            AddressCheck::Invalid(errors) => pb::AddressValidation {
                status,
                address: Some(given),
                changes: Vec::new(),
                errors: errors
                    .into_iter()
                    .map(|(field, message)| pb::FieldError { field, message })
                    .collect(),
            },
        }))
    }

    async fn set_state(
        &self,
        req: Request<pb::SetStateRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let c = self.visible(caller.as_ref(), &r.customer_id).await?;
        let to =
            lifecycle::change_state(&target(caller.as_ref(), &c), &r.state).map_err(Error::from)?;
        if !customer::set_state(&self.state.db, &c.customer_id, to.as_str()).await? {
            // A concurrent request set it first: answer as if it had come
            // before ours, which it did.
            let now = self.visible(caller.as_ref(), &c.customer_id).await?;
            lifecycle::change_state(&target(caller.as_ref(), &now), &r.state)
                .map_err(Error::from)?;
            return Err(Error::Contended("the state kept changing; retry".into()).into());
        }
        tracing::info!(
            customer_id = c.customer_id,
            state = to.as_str(),
            "state changed"
        );
        let changed = self.visible(caller.as_ref(), &c.customer_id).await?;
        Ok(Response::new(to_pb(&changed)))
    }

    async fn change_plan(
        &self,
        req: Request<pb::ChangePlanRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let c = self.visible(caller.as_ref(), &r.customer_id).await?;
        let p = lifecycle::change_plan(&target(caller.as_ref(), &c), &r.plan_name)
            .map_err(Error::from)?;
        if !customer::set_plan(&self.state.db, &c.customer_id, p.name).await? {
            let now = self.visible(caller.as_ref(), &c.customer_id).await?;
            lifecycle::change_plan(&target(caller.as_ref(), &now), &r.plan_name)
                .map_err(Error::from)?;
            return Err(Error::Contended("the plan kept changing; retry".into()).into());
        }
        // The new plan brings other defaults, so other limits in force.
        self.limits_changed(&c.customer_id).await;
        // And the `planName` filter of the list sees it elsewhere now.
        self.customers_changed().await;
        tracing::info!(
            customer_id = c.customer_id,
            from = c.plan_name,
            to = p.name,
            "plan changed"
        );
        let changed = self.visible(caller.as_ref(), &c.customer_id).await?;
        Ok(Response::new(to_pb(&changed)))
    }

    async fn accept_msa(
        &self,
        req: Request<pb::AcceptMsaRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let c = self.visible(caller.as_ref(), &r.customer_id).await?;
        lifecycle::accept_msa(&target(caller.as_ref(), &c), r.is_accepted).map_err(Error::from)?;
        // Once only: of two racing acceptances the second finds it accepted
        // (or, if a delete won meanwhile, finds nothing).
        if !customer::accept_msa(&self.state.db, &c.customer_id).await? {
            let now = self.visible(caller.as_ref(), &c.customer_id).await?;
            lifecycle::accept_msa(&target(caller.as_ref(), &now), r.is_accepted)
                .map_err(Error::from)?;
            return Err(Error::Contended("the MSA acceptance raced a change; retry".into()).into());
        }
        tracing::info!(customer_id = c.customer_id, "MSA accepted");
        let accepted = self.visible(caller.as_ref(), &c.customer_id).await?;
        Ok(Response::new(to_pb(&accepted)))
    }

    async fn get_access(
        &self,
        req: Request<pb::GetAccessRequest>,
    ) -> Result<Response<pb::Access>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let c = self
            .visible(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        // DESIGN §6.1: disabling a partner stops API access for its whole
        // subtree, so every ancestor counts, not only the customer.
        let enabled = !customer::disabled_on_path(&self.state.db, &c.path).await?;
        let api_allowed_networks = if c.is_partner() {
            store_settings::find(&self.state.db, &c.customer_id)
                .await?
                .unwrap_or_default()
                .api_allowed_networks
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        Ok(Response::new(pb::Access {
            enabled,
            api_allowed_networks,
        }))
    }

    async fn list_failed_setups(
        &self,
        req: Request<pb::ListFailedSetupsRequest>,
    ) -> Result<Response<pb::ListFailedSetupsResponse>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        let mut v = Violations::new();
        let take = if r.take == 0 { DEFAULT_TAKE } else { r.take };
        if !(1..=MAX_TAKE).contains(&take) {
            v.add("take", format!("must be between 1 and {MAX_TAKE}"));
        }
        if r.skip < 0 {
            v.add("skip", "must not be negative");
        }
        if !r.after.is_empty() && !platform::id::is_id(&r.after) {
            v.add("after", "is not a cursor this API issued");
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        // Unlike ListCustomers the caller's home counts: the setups of
        // accounts it tried to create itself are its own.
        let within = caller.as_ref().map_or("/", |home| home.path.as_str());
        // One row more than asked tells whether another page follows.
        let mut rows =
            store_failed_setup::list(&self.state.db, within, &r.after, r.skip, take + 1).await?;
        let total = platform::paging::total(
            &self.state.cache,
            FAILED_SETUPS,
            within,
            store_failed_setup::count(&self.state.db, within),
        )
        .await?;
        let more = rows.len() as i64 > take;
        rows.truncate(take as usize);
        let next_cursor = match rows.last() {
            Some(last) if more => last.failed_setup_id.clone(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListFailedSetupsResponse {
            items: rows.iter().map(failed_setup_to_pb).collect(),
            total,
            next_cursor,
        }))
    }

    async fn restore_failed_setup(
        &self,
        req: Request<pb::RestoreFailedSetupRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let key = Key::from_request(&req);
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        if let Some(answer) = self.claim_customer(&ctx, key.as_ref()).await? {
            return Ok(idempotency::replayed(answer));
        }
        let restored = self
            .restore(&ctx, caller, req.into_inner(), key.as_ref())
            .await;
        self.settle(key.as_ref(), restored).await
    }

    async fn get_contact_rules(
        &self,
        req: Request<pb::GetContactRulesRequest>,
    ) -> Result<Response<pb::ContactRules>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let c = self
            .visible(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        let policy = self.password_policy(&c.path).await?;
        // The value in force: the customer's own, else its plan's (0, no
        // limit, for a plan without one), read afresh on every call so a
        // change applies to the very next contact.
        let overrides = store_limit::overrides(&self.state.db, &c.customer_id).await?;
        let users_max = plan::find(&c.plan_name)
            .and_then(|p| limit::value_in_force(p, &overrides, USERS_MAX))
            .unwrap_or(0);
        Ok(Response::new(pb::ContactRules {
            kind: if c.is_partner() { "partner" } else { "account" }.into(),
            password_min_length: policy.min_length,
            password_require_symbols: policy.require_symbols,
            password_require_mixed_case: policy.require_mixed_case,
            users_max,
            path: c.path,
        }))
    }

    async fn get_settings(
        &self,
        req: Request<pb::GetSettingsRequest>,
    ) -> Result<Response<pb::PartnerSettings>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let caller = self.caller(&ctx).await?;
        let p = self
            .visible_partner(caller.as_ref(), &req.get_ref().customer_id)
            .await?;
        let row = store_settings::find(&self.state.db, &p.customer_id).await?;
        Ok(Response::new(settings_to_pb(&p, row)?))
    }

    async fn update_settings(
        &self,
        req: Request<pb::UpdateSettingsRequest>,
    ) -> Result<Response<pb::PartnerSettings>, Status> {
        let ctx = CallContext::from_request(&req)?;
        let r = req.into_inner();
        let caller = self.caller(&ctx).await?;
        // Scope first: an outsider learns nothing, not even that its input
        // was bad.
        let p = self
            .visible_partner(caller.as_ref(), &r.customer_id)
            .await?;
        let mut v = Violations::new();
        let Some(change) = SettingsChange::parse(&r, &mut v) else {
            return Err(Error::Invalid(v.into_vec()).into());
        };
        // Grants come from above: a partner cannot give them to itself.
        let own = is_callers_home(caller.as_ref(), &p);
        for (field, set) in [
            (CREATE_PARTNERS, change.create_partners),
            (PAYMENT_PROCESSING, change.payment_processing),
        ] {
            if set.is_some() && own {
                v.add(
                    field,
                    "is granted by the parent partner; a partner cannot change its own",
                );
            }
        }
        if change.create_partners.is_some()
            && PartnerProgram::from_stored(&p.partner_program) != Some(PartnerProgram::Advisor)
        {
            v.add(
                CREATE_PARTNERS,
                "applies to advisors only: a distributor always creates partners, a private-label partner never",
            );
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v.into_vec()).into());
        }
        if !change.is_empty() {
            let networks = change
                .api_allowed_networks
                .as_ref()
                .map(Networks::to_stored);
            let update = SettingsUpdate {
                support_email: change
                    .support_email
                    .as_ref()
                    .map(|e| e.as_ref().map_or("", SupportEmail::as_str)),
                default_culture: change
                    .default_culture
                    .as_ref()
                    .map(|c| c.as_ref().map_or("", Culture::as_str)),
                api_allowed_networks: networks.as_deref(),
                password_min_length: change.password_min_length.map(PasswordMinLength::get),
                password_require_symbols: change.password_require_symbols,
                password_require_mixed_case: change.password_require_mixed_case,
                create_partners: change.create_partners,
                payment_processing: change.payment_processing,
            };
            store_settings::upsert(&self.state.db, &p.customer_id, &update).await?;
            tracing::info!(
                customer_id = p.customer_id,
                fields = ?change.fields(),
                "partner settings updated"
            );
        }
        let row = store_settings::find(&self.state.db, &p.customer_id).await?;
        Ok(Response::new(settings_to_pb(&p, row)?))
    }

    async fn list_limits(
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

    async fn set_limit(
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

    async fn reset_limit(
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
            tracing::info!(customer_id = c.customer_id, name, "limit reset to default");
        }
        self.limits_changed(&c.customer_id).await;
        Ok(Response::new(limit_to_pb(&l, used)))
    }

    async fn get_quota(
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
}

/// Whether the caller acts for `c` itself (its home partner).
fn is_callers_home(caller: Option<&CustomerRow>, c: &CustomerRow) -> bool {
    caller.is_some_and(|home| home.customer_id == c.customer_id)
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

struct NewCustomer<'a> {
    customer_id: &'a str,
    program: Option<PartnerProgram>,
    name: &'a AccountName,
    parent: Option<&'a CustomerRow>,
    plan_name: &'a str,
    kind: Program,
    company: &'a Company,
    options: &'a std::collections::BTreeMap<String, String>,
    owner_contact_id: &'a str,
}

fn new_row(n: NewCustomer<'_>) -> Result<CustomerRow, Error> {
    let parent_path = n.parent.map_or("/", |p| p.path.as_str());
    Ok(CustomerRow {
        customer_id: n.customer_id.to_owned(),
        kind: n.kind.as_str().into(),
        partner_program: n
            .program
            .map(PartnerProgram::as_str)
            .unwrap_or_default()
            .into(),
        user_name: n.name.as_str().into(),
        parent_id: n.parent.map(|p| p.customer_id.clone()),
        path: format!("{parent_path}{}/", n.customer_id),
        plan_name: n.plan_name.into(),
        // The column once held a product list; it now repeats the kind,
        // which is what `programs` answers (read from the kind, so rows of
        // either era read the same).
        programs: n.kind.as_str().into(),
        status: "provisioning".into(),
        state: "enabled".into(),
        company_name: n.company.name.clone(),
        company_phone: n.company.phone.clone(),
        address_line1: n.company.address.line1.clone(),
        address_line2: n.company.address.line2.clone(),
        address_line3: n.company.address.line3.clone(),
        city: n.company.address.city.clone(),
        address_state: n.company.address.state.clone(),
        zip: n.company.address.zip.clone(),
        country: n.company.address.country.clone(),
        options: serde_json::to_string(n.options).map_err(|e| Error::Internal(e.to_string()))?,
        owner_contact_id: n.owner_contact_id.into(),
        created_at: String::new(),
        company_culture: n
            .company
            .culture
            .as_ref()
            .map(Culture::as_str)
            .unwrap_or_default()
            .into(),
        vat_number: n
            .company
            .vat_number
            .as_ref()
            .map(VatNumber::as_str)
            .unwrap_or_default()
            .into(),
        msa_accepted_at: String::new(),
        updated_at: String::new(),
    })
}

fn to_pb(c: &CustomerRow) -> pb::Customer {
    pb::Customer {
        customer_id: c.customer_id.clone(),
        kind: if c.is_partner() {
            pb::CustomerKind::Partner
        } else {
            pb::CustomerKind::Account
        } as i32,
        partner_program: c.partner_program.clone(),
        user_name: c.user_name.clone(),
        parent_partner_id: c.parent_id.clone().unwrap_or_default(),
        plan_name: c.plan_name.clone(),
        programs: vec![Program::of_kind(c.is_partner()).as_str().to_owned()],
        purchase_date: c.created_at.clone(),
        state: c.state.clone(),
        company: Some(company_to_pb(c)),
        owner_contact_id: c.owner_contact_id.clone(),
        path: c.path.clone(),
        msa_accepted: !c.msa_accepted_at.is_empty(),
        msa_accepted_at: c.msa_accepted_at.clone(),
        // Written by this service from a parsed map; a row that does not
        // parse answers none rather than failing the read.
        options: serde_json::from_str(&c.options).unwrap_or_default(),
    }
}

fn policy_to_pb(p: PasswordPolicy) -> contact::PasswordPolicy {
    contact::PasswordPolicy {
        min_length: p.min_length,
        require_symbols: p.require_symbols,
        require_mixed_case: p.require_mixed_case,
    }
}

/// Why a setup cannot be restored now.
fn not_open(status: &str) -> Error {
    match status {
        "restored" => Error::Conflict("the failed setup was restored already".into()),
        _ => Error::Conflict("a restore of the failed setup is under way; retry".into()),
    }
}

fn failed_setup_to_pb(f: &FailedSetupRow) -> pb::FailedSetup {
    let restored = f.status == "restored";
    pb::FailedSetup {
        failed_setup_id: f.failed_setup_id.clone(),
        parent_partner_id: f.parent_id.clone(),
        account_name: f.account_name.clone(),
        plan_name: f.plan_name.clone(),
        reason: f.reason.clone(),
        code: f.code.clone(),
        message: f.message.clone(),
        brand: f.brand.clone(),
        last4: f.last4.clone(),
        // The contract knows `open` and `restored`: a restore under way may
        // still fail and leave the setup open, so until it succeeds it is open.
        status: if restored { "restored" } else { "open" }.into(),
        // Until then the id names a customer that may never exist.
        customer_id: if restored {
            f.customer_id.clone()
        } else {
            String::new()
        },
        created_at: f.created_at.clone(),
        restored_at: f.restored_at.clone(),
    }
}

fn stored_address(c: &CustomerRow) -> proto::common::v1::Address {
    proto::common::v1::Address {
        line1: c.address_line1.clone(),
        line2: c.address_line2.clone(),
        line3: c.address_line3.clone(),
        city: c.city.clone(),
        state: c.address_state.clone(),
        zip: c.zip.clone(),
        country: c.country.clone(),
    }
}

fn company_to_pb(c: &CustomerRow) -> pb::Company {
    pb::Company {
        name: c.company_name.clone(),
        phone: c.company_phone.clone(),
        address: Some(stored_address(c)),
        culture: c.company_culture.clone(),
        vat_number: c.vat_number.clone(),
    }
}

/// What the lifecycle rules need of `c`, as seen by `caller`.
fn target<'a>(caller: Option<&CustomerRow>, c: &'a CustomerRow) -> Target<'a> {
    Target {
        is_partner: c.is_partner(),
        is_root: c.parent_id.is_none(),
        is_callers_home: caller.is_some_and(|home| home.customer_id == c.customer_id),
        state: &c.state,
        plan_name: &c.plan_name,
        msa_accepted: !c.msa_accepted_at.is_empty(),
    }
}

/// A partner's settings on the wire: the stored row (or the defaults when it
/// has none) and the features its programme includes. The password policy
/// is the partner's own; GetContactRules answers the one that applies.
fn settings_to_pb(
    partner: &CustomerRow,
    row: Option<SettingsRow>,
) -> Result<pb::PartnerSettings, Error> {
    let program = PartnerProgram::from_stored(&partner.partner_program).ok_or_else(|| {
        Error::Internal(format!(
            "partner {} has unknown program {:?}",
            partner.customer_id, partner.partner_program
        ))
    })?;
    let row = row.unwrap_or_default();
    let features = Features::of(program, row.grants);
    Ok(pb::PartnerSettings {
        customer_id: partner.customer_id.clone(),
        support_email: row.support_email,
        default_culture: row.default_culture,
        api_allowed_networks: row
            .api_allowed_networks
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        features: features
            .named()
            .into_iter()
            .map(|(name, on)| (name.to_owned(), on))
            .collect(),
        password_min_length: row.password.min_length,
        password_require_symbols: row.password.require_symbols,
        password_require_mixed_case: row.password.require_mixed_case,
    })
}

#[cfg(test)]
mod tests {
    use proto::account::v1::account_service_server::AccountService as _;

    use super::*;

    /// A fresh SQLite file per test; the peers are lazy channels to a port
    /// nothing listens on, since the calls tested here never reach them.
    async fn api() -> (AccountApi, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = platform::config::Storage {
            data_dir: dir.path().to_path_buf(),
            database_url: None,
            schema_prefix: String::new(),
            redis_url: None,
        };
        let peers = crate::Peers::connect(
            "http://127.0.0.1:1",
            "http://127.0.0.1:1",
            "http://127.0.0.1:1",
            &platform::identity::Signer::generate("account-svc")
                .expect("key")
                .0,
        )
        .expect("peers");
        let state = State::open(&storage, peers, platform::cache::Cache::in_memory())
            .await
            .expect("state");
        (AccountApi { state }, dir)
    }

    async fn insert_active(
        api: &AccountApi,
        kind: &str,
        parent: Option<&CustomerRow>,
    ) -> CustomerRow {
        let id = platform::id::new_id();
        let row = CustomerRow {
            customer_id: id.clone(),
            kind: kind.into(),
            partner_program: if kind == "partner" { "partner" } else { "" }.into(),
            // The random tail: the head is the creation time, which rows
            // inserted within one millisecond share.
            user_name: id[17..].into(),
            parent_id: parent.map(|p| p.customer_id.clone()),
            path: format!("{}{id}/", parent.map_or("/", |p| p.path.as_str())),
            plan_name: if kind == "partner" {
                plan::DEFAULT_PARTNER_PLAN
            } else {
                "starter"
            }
            .into(),
            programs: "Email".into(),
            status: "provisioning".into(),
            state: "enabled".into(),
            company_name: "Acme".into(),
            company_phone: String::new(),
            address_line1: "1 Main St".into(),
            address_line2: String::new(),
            address_line3: String::new(),
            city: "Paris".into(),
            address_state: String::new(),
            zip: String::new(),
            country: "FR".into(),
            options: "{}".into(),
            owner_contact_id: platform::id::new_id(),
            created_at: String::new(),
            company_culture: String::new(),
            vat_number: String::new(),
            msa_accepted_at: String::new(),
            updated_at: String::new(),
        };
        customer::insert_provisioning(&api.state.db, &row)
            .await
            .expect("insert");
        let mut tx = api.state.db.pool.begin().await.expect("begin");
        assert!(customer::activate(&mut tx, &id).await.expect("activate"));
        tx.commit().await.expect("commit");
        row
    }

    async fn get(api: &AccountApi, customer_id: &str) -> Result<pb::PartnerSettings, Status> {
        api.get_settings(Request::new(pb::GetSettingsRequest {
            customer_id: customer_id.into(),
        }))
        .await
        .map(Response::into_inner)
    }

    #[tokio::test]
    async fn partner_settings_read_update_and_refuse_bad_input() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let id = partner.customer_id.as_str();

        let defaults = get(&api, id).await.expect("defaults");
        assert_eq!(defaults.customer_id, id);
        assert_eq!(defaults.support_email, "");
        assert_eq!(defaults.default_culture, "");
        assert!(defaults.api_allowed_networks.is_empty());
        // A private-label partner creates accounts only (reference 000),
        // and takes cards only once its parent grants payment processing.
        assert_eq!(defaults.features.get("createPartners"), Some(&false));
        assert_eq!(defaults.features.get("paymentProcessing"), Some(&false));
        assert_eq!(defaults.features.get("createAccounts"), Some(&true));
        assert_eq!(defaults.features.get("paperCheck"), Some(&true));
        assert_eq!(
            (
                defaults.password_min_length,
                defaults.password_require_symbols,
                defaults.password_require_mixed_case
            ),
            (6, false, false)
        );

        let updated = api
            .update_settings(Request::new(pb::UpdateSettingsRequest {
                customer_id: id.into(),
                support_email: None,
                default_culture: Some("en-us".into()),
                api_allowed_networks: Some(pb::Networks {
                    cidrs: vec!["10.0.0.0/8".into()],
                }),
                password_min_length: Some(10),
                ..Default::default()
            }))
            .await
            .expect("update")
            .into_inner();
        assert_eq!(updated.default_culture, "EN-US");
        assert_eq!(updated.password_min_length, 10);
        assert!(!updated.password_require_symbols && !updated.password_require_mixed_case);
        assert_eq!(updated.api_allowed_networks, ["10.0.0.0/8"]);
        assert_eq!(updated.support_email, "");
        assert_eq!(get(&api, id).await.expect("read back"), updated);

        // A valid e-mail and flag beside three bad fields: every violation is
        // named and nothing is written, the valid fields included.
        let refused = api
            .update_settings(Request::new(pb::UpdateSettingsRequest {
                customer_id: id.into(),
                support_email: Some("help@example.com".into()),
                default_culture: Some("xx-xx".into()),
                api_allowed_networks: Some(pb::Networks {
                    cidrs: vec!["10.1.2.3/8".into()],
                }),
                password_min_length: Some(129),
                password_require_symbols: Some(true),
                ..Default::default()
            }))
            .await
            .expect_err("bad input");
        assert_eq!(refused.code(), Code::InvalidArgument);
        let fields: Vec<String> = field_violations(&refused)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            [
                "defaultCulture",
                "apiAllowedNetworks[0]",
                "passwordMinLength"
            ]
        );
        assert_eq!(get(&api, id).await.expect("unchanged"), updated);

        // Only what is present changes: the stored culture and minimum
        // length survive an update of the e-mail and a flag, and an empty
        // list clears the networks.
        let merged = api
            .update_settings(Request::new(pb::UpdateSettingsRequest {
                customer_id: id.into(),
                support_email: Some("help@example.com".into()),
                default_culture: None,
                api_allowed_networks: Some(pb::Networks { cidrs: vec![] }),
                password_require_mixed_case: Some(true),
                ..Default::default()
            }))
            .await
            .expect("partial update")
            .into_inner();
        assert_eq!(merged.support_email, "help@example.com");
        assert_eq!(merged.default_culture, "EN-US");
        assert_eq!(
            (
                merged.password_min_length,
                merged.password_require_symbols,
                merged.password_require_mixed_case
            ),
            (10, false, true)
        );
        assert!(merged.api_allowed_networks.is_empty());

        let unknown = get(&api, &platform::id::new_id())
            .await
            .expect_err("unknown id");
        assert_eq!(unknown.code(), Code::NotFound);
    }

    #[tokio::test]
    async fn accounts_have_no_settings() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&partner)).await;
        let e = get(&api, &account.customer_id)
            .await
            .expect_err("an account");
        assert_eq!(e.code(), Code::NotFound);
    }

    async fn set_policy(api: &AccountApi, partner: &CustomerRow, r: pb::UpdateSettingsRequest) {
        api.update_settings(Request::new(pb::UpdateSettingsRequest {
            customer_id: partner.customer_id.clone(),
            ..r
        }))
        .await
        .expect("policy");
    }

    async fn rules(api: &AccountApi, c: &CustomerRow) -> pb::ContactRules {
        api.get_contact_rules(Request::new(pb::GetContactRulesRequest {
            customer_id: c.customer_id.clone(),
        }))
        .await
        .expect("rules")
        .into_inner()
    }

    fn policy_of(r: &pb::ContactRules) -> (i32, bool, bool) {
        (
            r.password_min_length,
            r.password_require_symbols,
            r.password_require_mixed_case,
        )
    }

    #[tokio::test]
    async fn contact_rules_take_the_strictest_password_policy_along_the_ancestry() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        let child = insert_active(&api, "partner", Some(&root)).await;
        let grandchild = insert_active(&api, "account", Some(&child)).await;
        let sibling = insert_active(&api, "partner", Some(&root)).await;

        let before = rules(&api, &grandchild).await;
        assert_eq!(policy_of(&before), (6, false, false));

        set_policy(
            &api,
            &root,
            pb::UpdateSettingsRequest {
                password_min_length: Some(10),
                ..Default::default()
            },
        )
        .await;
        let r = rules(&api, &account).await;
        assert_eq!(
            (r.kind.as_str(), policy_of(&r), r.path.as_str()),
            ("account", (10, false, false), account.path.as_str())
        );

        // A child partner adds symbols and asks for a shorter minimum: the
        // root's 10 still holds below it, and its own rule counts for itself.
        set_policy(
            &api,
            &child,
            pb::UpdateSettingsRequest {
                password_min_length: Some(8),
                password_require_symbols: Some(true),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            policy_of(&rules(&api, &grandchild).await),
            (10, true, false)
        );
        let own = rules(&api, &child).await;
        assert_eq!(
            (own.kind.as_str(), policy_of(&own)),
            ("partner", (10, true, false))
        );
        // Nothing of the child's reaches up or sideways.
        assert_eq!(policy_of(&rules(&api, &root).await), (10, false, false));
        assert_eq!(policy_of(&rules(&api, &account).await), (10, false, false));
        assert_eq!(policy_of(&rules(&api, &sibling).await), (10, false, false));
    }

    #[tokio::test]
    async fn contact_rules_answer_the_plans_users_max() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&partner)).await;
        assert_eq!(rules(&api, &account).await.users_max, 5);
        assert_eq!(rules(&api, &partner).await.users_max, 100);
        change_plan(&api, &account.customer_id, "business")
            .await
            .expect("change");
        assert_eq!(rules(&api, &account).await.users_max, 50);
    }

    #[tokio::test]
    async fn contact_rules_outside_the_callers_subtree_are_not_found() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let mine = insert_active(&api, "partner", Some(&root)).await;
        let other = insert_active(&api, "partner", Some(&root)).await;
        let theirs = insert_active(&api, "account", Some(&other)).await;
        let ask = |home: &CustomerRow, id: &str| {
            api.get_contact_rules(as_caller(
                home,
                pb::GetContactRulesRequest {
                    customer_id: id.into(),
                },
            ))
        };
        for id in [
            theirs.customer_id.as_str(),
            root.customer_id.as_str(),
            &platform::id::new_id(),
            "x",
        ] {
            let e = ask(&mine, id).await.expect_err("not visible");
            assert_eq!(e.code(), Code::NotFound, "{id}");
        }
        assert!(ask(&other, &theirs.customer_id).await.is_ok());
        assert!(ask(&mine, &mine.customer_id).await.is_ok());
    }

    /// A request as the gateway sends it for a principal whose home is `home`.
    fn as_caller<T>(home: &CustomerRow, message: T) -> Request<T> {
        let principal = proto::common::v1::Principal {
            customer_id: home.customer_id.clone(),
            ..Default::default()
        };
        CallContext::new(Some(principal), None, None).request(message)
    }

    fn fields(status: &Status) -> Vec<String> {
        field_violations(status)
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    async fn company(api: &AccountApi, customer_id: &str) -> pb::Company {
        api.get_company(Request::new(pb::GetCompanyRequest {
            customer_id: customer_id.into(),
        }))
        .await
        .expect("company")
        .into_inner()
    }

    async fn set_state(
        api: &AccountApi,
        customer_id: &str,
        state: &str,
    ) -> Result<pb::Customer, Status> {
        api.set_state(Request::new(pb::SetStateRequest {
            customer_id: customer_id.into(),
            state: state.into(),
        }))
        .await
        .map(Response::into_inner)
    }

    async fn access(api: &AccountApi, customer_id: &str) -> Result<pb::Access, Status> {
        api.get_access(Request::new(pb::GetAccessRequest {
            customer_id: customer_id.into(),
        }))
        .await
        .map(Response::into_inner)
    }

    async fn change_plan(
        api: &AccountApi,
        customer_id: &str,
        plan_name: &str,
    ) -> Result<pb::Customer, Status> {
        api.change_plan(Request::new(pb::ChangePlanRequest {
            customer_id: customer_id.into(),
            plan_name: plan_name.into(),
        }))
        .await
        .map(Response::into_inner)
    }

    async fn accept_msa(
        api: &AccountApi,
        customer_id: &str,
        is_accepted: bool,
    ) -> Result<pb::Customer, Status> {
        api.accept_msa(Request::new(pb::AcceptMsaRequest {
            customer_id: customer_id.into(),
            is_accepted,
        }))
        .await
        .map(Response::into_inner)
    }

    async fn validate(
        address: Option<proto::common::v1::Address>,
        prefix: &str,
    ) -> pb::AddressValidation {
        let (api, _dir) = api().await;
        api.validate_address(Request::new(pb::ValidateAddressRequest {
            address,
            field_prefix: prefix.into(),
        }))
        .await
        .expect("validation never fails for a bad address")
        .into_inner()
    }

    #[tokio::test]
    async fn company_update_merges_the_patch_and_keeps_what_is_absent() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&partner)).await;
        let id = account.customer_id.as_str();

        let updated = api
            .update_company(Request::new(pb::UpdateCompanyRequest {
                customer_id: id.into(),
                address: Some(pb::AddressPatch {
                    country: Some("germany".into()),
                    state: Some("bavaria".into()),
                    zip: Some("80331".into()),
                    ..Default::default()
                }),
                culture: Some("de-de".into()),
                vat_number: Some("de 123.456.789".into()),
                ..Default::default()
            }))
            .await
            .expect("update")
            .into_inner();
        assert_eq!(updated.name, "Acme");
        assert_eq!(updated.culture, "DE-DE");
        assert_eq!(updated.vat_number, "DE123456789");
        let a = updated.address.clone().expect("address");
        assert_eq!(
            (
                a.line1.as_str(),
                a.city.as_str(),
                a.state.as_str(),
                a.zip.as_str(),
                a.country.as_str()
            ),
            ("1 Main St", "Paris", "BY", "80331", "DE")
        );
        assert_eq!(company(&api, id).await, updated);

        // Only the name: the v2 fields and the address stay as they are.
        let renamed = api
            .update_company(Request::new(pb::UpdateCompanyRequest {
                customer_id: id.into(),
                name: Some("Acme GmbH".into()),
                ..Default::default()
            }))
            .await
            .expect("rename")
            .into_inner();
        assert_eq!(renamed.name, "Acme GmbH");
        assert_eq!(
            (renamed.culture.as_str(), renamed.address),
            ("DE-DE", updated.address)
        );
    }

    #[tokio::test]
    async fn company_update_names_every_violation_and_stores_nothing() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let id = partner.customer_id.as_str();
        let before = company(&api, id).await;

        let refused = api
            .update_company(Request::new(pb::UpdateCompanyRequest {
                customer_id: id.into(),
                name: Some(String::new()),
                phone: Some("1".repeat(51)),
                culture: Some("xx-xx".into()),
                vat_number: Some("NL123".into()),
                // A valid city beside a move to Germany without a state or a
                // valid zip: the merged address answers as a whole.
                address: Some(pb::AddressPatch {
                    city: Some("Berlin".into()),
                    country: Some("DE".into()),
                    zip: Some("1011".into()),
                    ..Default::default()
                }),
            }))
            .await
            .expect_err("bad input");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(
            fields(&refused),
            [
                "name",
                "phone",
                "culture",
                "vatNumber",
                "address.zip",
                "address.state"
            ]
        );
        assert_eq!(company(&api, id).await, before);
    }

    #[tokio::test]
    async fn company_outside_the_callers_subtree_is_not_found() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let mine = insert_active(&api, "partner", Some(&root)).await;
        let other = insert_active(&api, "partner", Some(&root)).await;
        let theirs = insert_active(&api, "account", Some(&other)).await;
        let request = pb::GetCompanyRequest {
            customer_id: theirs.customer_id.clone(),
        };
        let e = api
            .get_company(as_caller(&mine, request.clone()))
            .await
            .expect_err("outside");
        assert_eq!(e.code(), Code::NotFound);
        assert!(api.get_company(as_caller(&other, request)).await.is_ok());
        let patch = pb::UpdateCompanyRequest {
            customer_id: theirs.customer_id.clone(),
            name: Some("Mine now".into()),
            ..Default::default()
        };
        let e = api
            .update_company(as_caller(&mine, patch))
            .await
            .expect_err("outside");
        assert_eq!(e.code(), Code::NotFound);
        assert_eq!(company(&api, &theirs.customer_id).await.name, "Acme");
    }

    #[tokio::test]
    async fn set_state_refuses_the_state_it_has_and_bad_states() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let partner = insert_active(&api, "partner", Some(&root)).await;
        let id = partner.customer_id.as_str();

        let same = set_state(&api, id, "enabled").await.expect_err("same");
        assert_eq!(same.code(), Code::FailedPrecondition);
        assert_eq!(same.message(), "the partner is already enabled");

        let bad = set_state(&api, id, "paused").await.expect_err("bad");
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(fields(&bad), ["state"]);

        let root_off = set_state(&api, &root.customer_id, "disabled")
            .await
            .expect_err("root");
        assert_eq!(root_off.code(), Code::FailedPrecondition);

        let own = api
            .set_state(as_caller(
                &partner,
                pb::SetStateRequest {
                    customer_id: id.into(),
                    state: "disabled".into(),
                },
            ))
            .await
            .expect_err("own home");
        assert_eq!(own.code(), Code::FailedPrecondition);
        assert_eq!(own.message(), "a customer's state is changed by its parent");

        let disabled = set_state(&api, id, "disabled").await.expect("disable");
        assert_eq!(disabled.state, "disabled");
        let again = set_state(&api, id, "disabled").await.expect_err("again");
        assert_eq!(again.code(), Code::FailedPrecondition);
    }

    #[tokio::test]
    async fn a_disabled_ancestor_closes_access_for_its_subtree() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let partner = insert_active(&api, "partner", Some(&root)).await;
        let account = insert_active(&api, "account", Some(&partner)).await;
        let sibling = insert_active(&api, "partner", Some(&root)).await;
        api.update_settings(Request::new(pb::UpdateSettingsRequest {
            customer_id: partner.customer_id.clone(),
            support_email: None,
            default_culture: None,
            api_allowed_networks: Some(pb::Networks {
                cidrs: vec!["10.0.0.0/8".into()],
            }),
            ..Default::default()
        }))
        .await
        .expect("networks");

        let open = access(&api, &account.customer_id).await.expect("access");
        assert!(open.enabled);
        assert!(open.api_allowed_networks.is_empty());
        let p = access(&api, &partner.customer_id).await.expect("access");
        assert_eq!(p.api_allowed_networks, ["10.0.0.0/8"]);

        set_state(&api, &partner.customer_id, "disabled")
            .await
            .expect("disable");
        assert!(
            !access(&api, &account.customer_id)
                .await
                .expect("access")
                .enabled
        );
        assert!(
            !access(&api, &partner.customer_id)
                .await
                .expect("access")
                .enabled
        );
        assert!(
            access(&api, &root.customer_id)
                .await
                .expect("access")
                .enabled
        );
        assert!(
            access(&api, &sibling.customer_id)
                .await
                .expect("access")
                .enabled
        );

        set_state(&api, &partner.customer_id, "enabled")
            .await
            .expect("enable");
        assert!(
            access(&api, &account.customer_id)
                .await
                .expect("access")
                .enabled
        );

        let unknown = access(&api, &platform::id::new_id())
            .await
            .expect_err("unknown");
        assert_eq!(unknown.code(), Code::NotFound);
    }

    #[tokio::test]
    async fn change_plan_switches_and_refuses_the_same_or_an_unknown_plan() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&partner)).await;
        let id = account.customer_id.as_str();

        let same = change_plan(&api, id, "starter").await.expect_err("same");
        assert_eq!(same.code(), Code::FailedPrecondition);

        let unknown = change_plan(&api, id, "gold").await.expect_err("unknown");
        assert_eq!(unknown.code(), Code::InvalidArgument);
        assert_eq!(fields(&unknown), ["name"]);

        let changed = change_plan(&api, id, "business").await.expect("change");
        assert_eq!(changed.plan_name, "business");
        let read = api
            .get_customer(Request::new(pb::GetCustomerRequest {
                customer_id: id.into(),
            }))
            .await
            .expect("read")
            .into_inner();
        assert_eq!(read.plan_name, "business");

        let partner_plan = change_plan(&api, &partner.customer_id, "starter")
            .await
            .expect_err("partner");
        assert_eq!(partner_plan.code(), Code::FailedPrecondition);
        assert!(
            partner_plan
                .message()
                .starts_with("partners are on partner plans")
        );
    }

    #[tokio::test]
    async fn msa_is_accepted_once_only() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&partner)).await;
        let id = account.customer_id.as_str();

        let declined = accept_msa(&api, id, false).await.expect_err("false");
        assert_eq!(declined.code(), Code::InvalidArgument);
        assert_eq!(fields(&declined), ["isAccepted"]);

        let accepted = accept_msa(&api, id, true).await.expect("accept");
        assert!(accepted.msa_accepted);
        assert!(!accepted.msa_accepted_at.is_empty());

        let again = accept_msa(&api, id, true).await.expect_err("twice");
        assert_eq!(again.code(), Code::FailedPrecondition);
        let read = api
            .get_customer(Request::new(pb::GetCustomerRequest {
                customer_id: id.into(),
            }))
            .await
            .expect("read")
            .into_inner();
        assert_eq!(read.msa_accepted_at, accepted.msa_accepted_at);
    }

    fn address(country: &str, state: &str, zip: &str) -> proto::common::v1::Address {
        proto::common::v1::Address {
            line1: "1 Main St".into(),
            city: "San Francisco".into(),
            state: state.into(),
            zip: zip.into(),
            country: country.into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn validate_address_answers_0_for_an_address_valid_as_given() {
        let given = address("US", "CA", "94105");
        let answer = validate(Some(given.clone()), "address").await;
        assert_eq!(answer.status, 0);
        assert_eq!(answer.address, Some(given));
        assert!(answer.changes.is_empty() && answer.errors.is_empty());
    }

    #[tokio::test]
    async fn validate_address_answers_1_with_the_refined_address_and_changes() {
        let answer = validate(Some(address("united states", "california", "94105")), "").await;
        assert_eq!(answer.status, 1);
        assert_eq!(answer.changes, ["country", "state"]);
        let a = answer.address.expect("address");
        assert_eq!((a.country.as_str(), a.state.as_str()), ("US", "CA"));
        assert!(answer.errors.is_empty());
    }

    #[tokio::test]
    async fn validate_address_answers_2_with_prefixed_errors_and_the_input() {
        let given = address("US", "", "9410");
        let answer = validate(Some(given.clone()), "company.address").await;
        assert_eq!(answer.status, 2);
        assert_eq!(answer.address, Some(given));
        let fields: Vec<&str> = answer.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["company.address.zip", "company.address.state"]);

        let missing = validate(None, "").await;
        assert_eq!(missing.status, 2);
        let fields: Vec<&str> = missing.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["addressLine1", "city", "country", "zip"]);
    }

    const BLACKLISTED: &str = "4100000000000019";

    /// A create request for an account, paying by `card_number`.
    fn account_request(card_number: &str) -> pb::CreateCustomerRequest {
        pb::CreateCustomerRequest {
            account_name: "acme".into(),
            programs: vec!["account".into()],
            plan_name: "starter".into(),
            owner: Some(pb::Owner {
                login: "owner".into(),
                password: "Zq8!unique-pass".into(),
                name: "Owner".into(),
                email: "owner@example.com".into(),
                ..Default::default()
            }),
            payment: Some(pb::Payment {
                r#type: "creditCard".into(),
                credit_card: Some(pb::CreditCard {
                    r#type: "VISA".into(),
                    card_number: card_number.into(),
                    expiration_date: "12/30".into(),
                    security_code: "7391".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn blacklisted() -> Refused {
        Refused {
            refusal: SetupRefusal::Blacklisted,
            code: "BL".into(),
            message: "Card is blacklisted".into(),
        }
    }

    /// Keeps a refused create below `parent` as the create flow does.
    async fn keep(api: &AccountApi, parent: &CustomerRow, name: &str) -> FailedSetupRow {
        let request = pb::CreateCustomerRequest {
            account_name: name.into(),
            ..account_request("4100 0000 0000 0019")
        };
        let name = AccountName::parse(name).expect("name");
        let kept = Kept {
            request: &request,
            parent: Some(parent),
            name: &name,
            plan_name: "starter",
        };
        let id = api
            .keep_failed_setup(&kept, &blacklisted(), Origin::Request)
            .await
            .expect("kept");
        store_failed_setup::find(&api.state.db, &id)
            .await
            .expect("find")
            .expect("stored")
    }

    async fn list_setups(
        api: &AccountApi,
        caller: Option<&CustomerRow>,
        skip: i64,
        take: i64,
    ) -> Result<pb::ListFailedSetupsResponse, Status> {
        let message = pb::ListFailedSetupsRequest {
            skip,
            take,
            ..Default::default()
        };
        let req = match caller {
            Some(home) => as_caller(home, message),
            None => Request::new(message),
        };
        api.list_failed_setups(req).await.map(Response::into_inner)
    }

    fn restore_request(id: &str) -> pb::RestoreFailedSetupRequest {
        pb::RestoreFailedSetupRequest {
            failed_setup_id: id.into(),
            payment: account_request("4111111111111111").payment,
            owner_password: "Zq8!unique-pass".into(),
        }
    }

    #[test]
    fn only_a_blacklisted_or_fraudulent_card_keeps_a_failed_setup() {
        let answer = |reason: &str, code: &str| {
            platform::status::with_reason(
                Code::FailedPrecondition,
                "card declined",
                reason,
                std::collections::HashMap::from([
                    ("code".to_owned(), code.to_owned()),
                    ("reason".to_owned(), "why".to_owned()),
                ]),
            )
        };
        let bl = refusal(&answer("CARD_BLACKLISTED", "BL")).expect("blacklisted");
        assert_eq!(
            (bl.refusal, bl.code.as_str(), bl.message.as_str()),
            (SetupRefusal::Blacklisted, "BL", "why")
        );
        let fr = refusal(&answer("FRAUD_SUSPECTED", "FR")).expect("fraud");
        assert_eq!(fr.refusal, SetupRefusal::FraudSuspected);
        assert!(refusal(&answer("CARD_DECLINED", "05")).is_none());
        assert!(refusal(&Status::unavailable("card processor is unavailable")).is_none());
    }

    #[tokio::test]
    async fn a_kept_setup_has_brand_last4_and_its_parent_but_no_secrets() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let f = keep(&api, &partner, "acme").await;
        assert_eq!(
            (
                f.parent_id.as_str(),
                f.parent_path.as_str(),
                f.status.as_str()
            ),
            (partner.customer_id.as_str(), partner.path.as_str(), "open")
        );
        assert_eq!(
            (
                f.reason.as_str(),
                f.code.as_str(),
                f.brand.as_str(),
                f.last4.as_str()
            ),
            ("blacklisted", "BL", "VISA", "0019")
        );
        let request = failed_setup::decode_request(&f.request).expect("decodes");
        // The parent as resolved, so a restore from further up lands here too.
        assert_eq!(request.parent_partner_id, partner.customer_id);
        let card = request.payment.and_then(|p| p.credit_card).expect("card");
        assert!(card.card_number.is_empty() && card.security_code.is_empty());
        assert!(request.owner.expect("owner").password.is_empty());
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &f.request)
            .expect("base64");
        assert!(
            !bytes
                .windows(BLACKLISTED.len())
                .any(|w| w == BLACKLISTED.as_bytes())
        );
    }

    #[tokio::test]
    async fn failed_setups_are_listed_within_the_callers_subtree_newest_first() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let mine = insert_active(&api, "partner", Some(&root)).await;
        let below = insert_active(&api, "partner", Some(&mine)).await;
        let other = insert_active(&api, "partner", Some(&root)).await;
        keep(&api, &mine, "first").await;
        keep(&api, &other, "theirs").await;
        let newest = keep(&api, &below, "second").await;

        let page = list_setups(&api, Some(&mine), 0, 0).await.expect("list");
        let names: Vec<&str> = page.items.iter().map(|f| f.account_name.as_str()).collect();
        assert_eq!((names, page.total), (vec!["second", "first"], 2));
        let item = &page.items[0];
        assert_eq!(item.failed_setup_id, newest.failed_setup_id);
        assert_eq!(
            (
                item.status.as_str(),
                item.customer_id.as_str(),
                item.last4.as_str()
            ),
            ("open", "", "0019")
        );
        assert_eq!(
            list_setups(&api, Some(&other), 0, 0)
                .await
                .expect("theirs")
                .total,
            1
        );
        let all = list_setups(&api, None, 1, 1).await.expect("internal");
        assert_eq!((all.items.len(), all.total), (1, 3));

        let bad = list_setups(&api, Some(&mine), -1, 1001)
            .await
            .expect_err("bad paging");
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(fields(&bad), ["take", "skip"]);
    }

    #[tokio::test]
    async fn failed_setups_walk_by_cursor_newest_first_and_count_a_new_one_at_once() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let mut kept = Vec::new();
        for n in 0..5 {
            kept.push(
                keep(&api, &root, &format!("setup{n}"))
                    .await
                    .failed_setup_id,
            );
        }
        kept.reverse();
        let page = |after: String, skip: i64| {
            let api = &api;
            async move {
                let message = pb::ListFailedSetupsRequest {
                    skip,
                    take: 2,
                    after,
                };
                api.list_failed_setups(Request::new(message))
                    .await
                    .map(Response::into_inner)
            }
        };
        let mut walked = Vec::new();
        let mut after = String::new();
        loop {
            let p = page(after, 0).await.expect("page");
            assert_eq!(p.total, 5);
            walked.extend(p.items.iter().map(|f| f.failed_setup_id.clone()));
            if p.next_cursor.is_empty() {
                break;
            }
            assert_eq!(
                Some(&p.next_cursor),
                walked.last(),
                "the cursor is the last id"
            );
            after = p.next_cursor;
        }
        assert_eq!(walked, kept, "each once, newest first");
        // `skip` counts after the cursor; the page ending at the last item
        // has no cursor.
        let tail = page(kept[1].clone(), 1).await.expect("skip after cursor");
        let ids: Vec<&str> = tail
            .items
            .iter()
            .map(|f| f.failed_setup_id.as_str())
            .collect();
        assert_eq!(ids, [kept[3].as_str(), kept[4].as_str()]);
        assert!(tail.next_cursor.is_empty());

        keep(&api, &root, "setup5").await;
        assert_eq!(page(String::new(), 0).await.expect("page").total, 6);

        let bad = page("not-a-cursor".into(), 0)
            .await
            .expect_err("bad cursor");
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(fields(&bad), ["after"]);
    }

    #[tokio::test]
    async fn a_plan_change_shows_in_the_totals_of_plan_filtered_lists_at_once() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        let total = |plan: &str| {
            let api = &api;
            let message = pb::ListCustomersRequest {
                plan_name: plan.into(),
                ..Default::default()
            };
            async move {
                api.list_customers(Request::new(message))
                    .await
                    .expect("list")
                    .into_inner()
                    .total
            }
        };
        assert_eq!((total("starter").await, total("business").await), (1, 0));
        change_plan(&api, &account.customer_id, "business")
            .await
            .expect("change");
        assert_eq!((total("starter").await, total("business").await), (0, 1));
    }

    #[tokio::test]
    async fn a_setup_outside_the_callers_subtree_is_not_found() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let mine = insert_active(&api, "partner", Some(&root)).await;
        let other = insert_active(&api, "partner", Some(&root)).await;
        let theirs = keep(&api, &other, "acme").await;
        for id in [
            theirs.failed_setup_id.as_str(),
            &platform::id::new_id(),
            "x",
        ] {
            let e = api
                .restore_failed_setup(as_caller(&mine, restore_request(id)))
                .await
                .expect_err("not visible");
            assert_eq!(e.code(), Code::NotFound, "{id}");
        }
    }

    #[tokio::test]
    async fn a_restore_needs_a_payment_and_the_owners_password() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let f = keep(&api, &partner, "acme").await;
        let e = api
            .restore_failed_setup(as_caller(
                &partner,
                pb::RestoreFailedSetupRequest {
                    failed_setup_id: f.failed_setup_id.clone(),
                    payment: None,
                    owner_password: String::new(),
                },
            ))
            .await
            .expect_err("missing input");
        assert_eq!(e.code(), Code::InvalidArgument);
        assert_eq!(fields(&e), ["payment", "ownerPassword"]);
        let after = store_failed_setup::find(&api.state.db, &f.failed_setup_id)
            .await
            .expect("find")
            .expect("row");
        assert_eq!(after.status, "open");
    }

    #[tokio::test]
    async fn a_restored_or_restoring_setup_is_not_restored_again() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let f = keep(&api, &partner, "acme").await;
        let id = f.failed_setup_id.as_str();
        let db = &api.state.db;

        assert!(store_failed_setup::claim(db, id, "c").await.expect("claim"));
        let busy = api
            .restore_failed_setup(as_caller(&partner, restore_request(id)))
            .await
            .expect_err("restoring");
        assert_eq!(busy.code(), Code::FailedPrecondition);

        assert!(
            store_failed_setup::mark_restored(db, id, "c")
                .await
                .expect("restored")
        );
        let done = api
            .restore_failed_setup(as_caller(&partner, restore_request(id)))
            .await
            .expect_err("restored");
        assert_eq!(done.code(), Code::FailedPrecondition);
        assert_eq!(done.message(), "the failed setup was restored already");
        let listed = list_setups(&api, Some(&partner), 0, 0).await.expect("list");
        assert_eq!(
            (
                listed.items[0].status.as_str(),
                listed.items[0].customer_id.as_str()
            ),
            ("restored", "c")
        );
    }

    #[tokio::test]
    async fn a_restore_that_fails_leaves_the_setup_open() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let f = keep(&api, &partner, "acme").await;
        // contact-svc is unreachable in these tests, so the create's
        // validation fails before anything is stored.
        let e = api
            .restore_failed_setup(as_caller(&partner, restore_request(&f.failed_setup_id)))
            .await
            .expect_err("peer down");
        assert_eq!(e.code(), Code::Unavailable);
        let after = store_failed_setup::find(&api.state.db, &f.failed_setup_id)
            .await
            .expect("find")
            .expect("row");
        assert_eq!(
            (after.status.as_str(), after.customer_id.as_str()),
            ("open", "")
        );
        assert!(
            !customer::user_name_taken(&api.state.db, "acme")
                .await
                .expect("name")
        );
    }

    #[tokio::test]
    async fn the_sweep_reopens_an_interrupted_restore_or_closes_a_finished_one() {
        let (api, _dir) = api().await;
        let partner = insert_active(&api, "partner", None).await;
        let created = insert_active(&api, "account", Some(&partner)).await;
        let db = &api.state.db;
        let lost = keep(&api, &partner, "lost").await;
        let done = keep(&api, &partner, "done").await;
        let running = keep(&api, &partner, "running").await;
        let missing = platform::id::new_id();
        for (f, customer_id) in [
            (&lost, missing.as_str()),
            (&done, created.customer_id.as_str()),
            (&running, missing.as_str()),
        ] {
            assert!(
                store_failed_setup::claim(db, &f.failed_setup_id, customer_id)
                    .await
                    .expect("claim")
            );
        }
        let long_ago =
            platform::id::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::minutes(3));
        for f in [&lost, &done] {
            sqlx::query("update failed_setup set updated_at = $1 where failed_setup_id = $2")
                .bind(&long_ago)
                .bind(&f.failed_setup_id)
                .execute(&db.pool)
                .await
                .expect("backdate");
        }

        recovery::sweep_once(&api.state).await.expect("sweep");
        recovery::sweep_once(&api.state).await.expect("idempotent");
        let status = |f: &FailedSetupRow| {
            let id = f.failed_setup_id.clone();
            async move {
                let row = store_failed_setup::find(db, &id)
                    .await
                    .expect("find")
                    .expect("row");
                (row.status, row.customer_id)
            }
        };
        assert_eq!(status(&lost).await, ("open".into(), String::new()));
        assert_eq!(
            status(&done).await,
            ("restored".into(), created.customer_id.clone())
        );
        assert_eq!(status(&running).await, ("restoring".into(), missing));
    }

    // ---- limits. Iam_usersMax's usage is contact-svc's, which these tests
    // do not run, so they change the other limits through the API and
    // Iam_usersMax through the store; the end-to-end tests cover the rest.

    fn set_request(c: &CustomerRow, name: &str, value: i64, create: bool) -> pb::SetLimitRequest {
        pb::SetLimitRequest {
            customer_id: c.customer_id.clone(),
            name: name.into(),
            value,
            create,
        }
    }

    async fn set_limit(
        api: &AccountApi,
        c: &CustomerRow,
        name: &str,
        value: i64,
        create: bool,
    ) -> Result<pb::Limit, Status> {
        api.set_limit(Request::new(set_request(c, name, value, create)))
            .await
            .map(Response::into_inner)
    }

    async fn reset_limit(
        api: &AccountApi,
        c: &CustomerRow,
        name: &str,
    ) -> Result<pb::Limit, Status> {
        api.reset_limit(Request::new(pb::ResetLimitRequest {
            customer_id: c.customer_id.clone(),
            name: name.into(),
        }))
        .await
        .map(Response::into_inner)
    }

    #[tokio::test]
    async fn a_limit_is_created_once_changed_and_reset_to_its_default() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;

        let made = set_limit(&api, &account, "Api_burst", 10, true)
            .await
            .expect("create");
        assert_eq!(
            (
                made.name.as_str(),
                made.value,
                made.default_value,
                made.overridden,
                made.used
            ),
            ("Api_burst", 10, 20, true, None)
        );
        let again = set_limit(&api, &account, "Api_burst", 12, true)
            .await
            .expect_err("exists");
        assert_eq!(again.code(), Code::AlreadyExists);
        assert_eq!(fields(&again), ["name"]);

        let changed = set_limit(&api, &account, "Api_burst", 12, false)
            .await
            .expect("change");
        assert_eq!((changed.value, changed.overridden), (12, true));
        let stored = store_limit::overrides(&api.state.db, &account.customer_id)
            .await
            .expect("read");
        assert_eq!(stored.get("Api_burst"), Some(&12));

        let reset = reset_limit(&api, &account, "Api_burst")
            .await
            .expect("reset");
        assert_eq!(
            (reset.value, reset.default_value, reset.overridden),
            (20, 20, false)
        );
        // At its default already: nothing to do, and no error.
        let again = reset_limit(&api, &account, "Api_burst")
            .await
            .expect("no-op");
        assert_eq!((again.value, again.overridden), (20, false));
        assert!(
            store_limit::overrides(&api.state.db, &account.customer_id)
                .await
                .expect("read")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn limit_changes_name_the_bad_field() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let partner = insert_active(&api, "partner", Some(&root)).await;
        let account = insert_active(&api, "account", Some(&partner)).await;
        for (c, name, value, field) in [
            (&account, "Nothing_max", 1, "name"),
            (&account, "Api_burst", -1, "value"),
            (&account, "Api_burst", limit::MAX_VALUE + 1, "value"),
            (&account, USERS_MAX, 0, "value"),
            (&partner, "Storage_bytesMax", 1, "name"),
        ] {
            let e = set_limit(&api, c, name, value, false)
                .await
                .expect_err("invalid");
            assert_eq!(e.code(), Code::InvalidArgument, "{name} {value}");
            assert_eq!(fields(&e), [field], "{name} {value}");
        }
        let e = reset_limit(&api, &account, "Nothing_max")
            .await
            .expect_err("unknown");
        assert_eq!(
            (e.code(), fields(&e)),
            (Code::InvalidArgument, vec!["name".to_owned()])
        );
    }

    #[tokio::test]
    async fn no_limit_goes_above_the_parent_partners() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let partner = insert_active(&api, "partner", Some(&root)).await;
        let account = insert_active(&api, "account", Some(&partner)).await;
        set_limit(&api, &partner, "Api_burst", 30, false)
            .await
            .expect("partner");
        let e = set_limit(&api, &account, "Api_burst", 31, false)
            .await
            .expect_err("above");
        assert_eq!(e.code(), Code::FailedPrecondition);
        assert!(
            e.message().contains("Api_burst") && e.message().contains("30"),
            "{}",
            e.message()
        );
        set_limit(&api, &account, "Api_burst", 30, false)
            .await
            .expect("equal is fine");
        // The partner plan has no Storage_bytesMax: nothing caps it.
        set_limit(&api, &account, "Storage_bytesMax", limit::MAX_VALUE, false)
            .await
            .expect("uncapped");
    }

    #[tokio::test]
    async fn a_partner_changes_the_limits_below_it_but_not_its_own() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let partner = insert_active(&api, "partner", Some(&root)).await;
        let set = |home: &CustomerRow, c: &CustomerRow, value: i64| {
            api.set_limit(as_caller(home, set_request(c, "Api_burst", value, false)))
        };
        set(&root, &partner, 40).await.expect("by the parent");
        let e = set(&partner, &partner, 50).await.expect_err("its own");
        assert_eq!(e.code(), Code::FailedPrecondition);
        let e = api
            .reset_limit(as_caller(
                &partner,
                pb::ResetLimitRequest {
                    customer_id: partner.customer_id.clone(),
                    name: "Api_burst".into(),
                },
            ))
            .await
            .expect_err("its own");
        assert_eq!(e.code(), Code::FailedPrecondition);
    }

    #[tokio::test]
    async fn limits_outside_the_callers_subtree_are_not_found_even_with_bad_input() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let mine = insert_active(&api, "partner", Some(&root)).await;
        let other = insert_active(&api, "partner", Some(&root)).await;
        let theirs = insert_active(&api, "account", Some(&other)).await;
        for value in [5, -1] {
            let e = api
                .set_limit(as_caller(
                    &mine,
                    set_request(&theirs, "Api_burst", value, true),
                ))
                .await
                .expect_err("outside");
            assert_eq!(e.code(), Code::NotFound);
        }
        let e = api
            .list_limits(as_caller(
                &mine,
                pb::ListLimitsRequest {
                    customer_id: theirs.customer_id.clone(),
                    without_usage: false,
                },
            ))
            .await
            .expect_err("outside");
        assert_eq!(e.code(), Code::NotFound);
        let e = api
            .get_quota(as_caller(
                &mine,
                pb::GetQuotaRequest {
                    customer_id: other.customer_id.clone(),
                },
            ))
            .await
            .expect_err("outside");
        assert_eq!(e.code(), Code::NotFound);
    }

    #[tokio::test]
    async fn an_accounts_quota_is_not_found() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        let e = api
            .get_quota(Request::new(pb::GetQuotaRequest {
                customer_id: account.customer_id.clone(),
            }))
            .await
            .expect_err("an account");
        assert_eq!(e.code(), Code::NotFound);
    }

    #[tokio::test]
    async fn a_changed_limit_drops_the_customers_cached_limits() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        let key = platform::cache::limits_key(&account.customer_id);
        let cached = || {
            api.state
                .cache
                .set(&key, "stale", std::time::Duration::from_secs(60))
        };

        cached().await;
        set_limit(&api, &account, "Api_burst", 5, false)
            .await
            .expect("set");
        assert_eq!(api.state.cache.get(&key).await, None);
        cached().await;
        reset_limit(&api, &account, "Api_burst")
            .await
            .expect("reset");
        assert_eq!(api.state.cache.get(&key).await, None);
        cached().await;
        change_plan(&api, &account.customer_id, "business")
            .await
            .expect("plan");
        assert_eq!(api.state.cache.get(&key).await, None);
        // A refused change leaves it.
        cached().await;
        set_limit(&api, &account, "Api_burst", -5, false)
            .await
            .expect_err("refused");
        assert!(api.state.cache.get(&key).await.is_some());
    }

    #[tokio::test]
    async fn contact_rules_answer_the_users_max_in_force() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        store_limit::upsert(&api.state.db, &account.customer_id, USERS_MAX, 2)
            .await
            .expect("own value");
        assert_eq!(rules(&api, &account).await.users_max, 2);
        // An own value survives a plan change that keeps the limit.
        change_plan(&api, &account.customer_id, "business")
            .await
            .expect("plan");
        assert_eq!(rules(&api, &account).await.users_max, 2);
        store_limit::delete(&api.state.db, &account.customer_id, USERS_MAX)
            .await
            .expect("reset");
        assert_eq!(rules(&api, &account).await.users_max, 50);
    }

    #[tokio::test]
    async fn a_removed_customer_takes_its_limits_along() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        set_limit(&api, &account, "Api_burst", 5, true)
            .await
            .expect("set");
        customer::remove(&api.state.db, &account.customer_id)
            .await
            .expect("remove");
        assert!(
            store_limit::overrides(&api.state.db, &account.customer_id)
                .await
                .expect("read")
                .is_empty()
        );
    }

    // ---- Idempotency-Key. Customer creates need contact-svc and
    // billing-svc, which these tests do not run: they cover what happens
    // before the peers are reached (replay, reuse, release, takeover of a
    // finished create) and SetLimit end to end; the crash and the retry of
    // a real create are in the end-to-end tests (idempotency_crash.rs).

    use platform::idempotency::{is_replayed as replayed, keyed as with_key};

    /// The state of `key` in the idempotency table, if it is there.
    async fn key_state(api: &AccountApi, key: &str) -> Option<(String, String)> {
        let row = sqlx::query("select state, resource_id from idempotency_key where idem_key = $1")
            .bind(key)
            .fetch_optional(&api.state.db.pool)
            .await
            .expect("read key")?;
        use sqlx::Row as _;
        Some((
            row.try_get("state").expect("state"),
            row.try_get("resource_id").expect("resource_id"),
        ))
    }

    fn reason(status: &Status) -> String {
        platform::status::reason(status)
            .map(|(r, _)| r)
            .unwrap_or_default()
    }

    async fn set_limit_keyed(
        api: &AccountApi,
        c: &CustomerRow,
        value: i64,
        hash: &str,
    ) -> Result<Response<pb::Limit>, Status> {
        let req = with_key(
            Request::new(set_request(c, "Api_burst", value, true)),
            "limit-1",
            hash,
        );
        api.set_limit(req).await
    }

    #[tokio::test]
    async fn a_limit_created_under_a_key_is_replayed_not_created_again() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;

        let first = set_limit_keyed(&api, &account, 10, "h1")
            .await
            .expect("create");
        assert!(!replayed(&first));
        assert_eq!(key_state(&api, "limit-1").await.expect("kept").0, "done");
        // Changed since: a replay still answers what the create answered,
        // where running the create again would answer ALREADY_EXISTS.
        set_limit(&api, &account, "Api_burst", 12, false)
            .await
            .expect("change");
        let again = set_limit_keyed(&api, &account, 10, "h1")
            .await
            .expect("replay");
        assert!(replayed(&again));
        assert_eq!(again.get_ref(), first.get_ref());
        assert_eq!(again.get_ref().value, 10);
        let stored = store_limit::overrides(&api.state.db, &account.customer_id)
            .await
            .expect("read");
        assert_eq!(stored.get("Api_burst"), Some(&12));
    }

    #[tokio::test]
    async fn a_key_used_again_with_another_request_is_refused() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        set_limit_keyed(&api, &account, 10, "h1")
            .await
            .expect("create");
        let e = set_limit_keyed(&api, &account, 11, "h2")
            .await
            .expect_err("reused");
        assert_eq!(
            (e.code(), reason(&e).as_str()),
            (Code::FailedPrecondition, "IDEMPOTENCY_KEY_REUSED")
        );
        // The first answer stays kept.
        assert_eq!(key_state(&api, "limit-1").await.expect("kept").0, "done");
    }

    #[tokio::test]
    async fn a_failed_create_releases_its_key_so_a_corrected_retry_runs() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        let e = set_limit_keyed(&api, &account, -1, "h1")
            .await
            .expect_err("invalid");
        assert_eq!(e.code(), Code::InvalidArgument);
        assert_eq!(key_state(&api, "limit-1").await, None);
        // Another body under the same key: released, so not "reused".
        let fixed = set_limit_keyed(&api, &account, 10, "h2")
            .await
            .expect("corrected retry");
        assert!(!replayed(&fixed));
        assert_eq!(fixed.get_ref().value, 10);
        let stored = store_limit::overrides(&api.state.db, &account.customer_id)
            .await
            .expect("read");
        assert_eq!(stored.get("Api_burst"), Some(&10));
    }

    /// Keeps `answer` under `key` as a finished create would have.
    async fn finished(api: &AccountApi, key: &Key, answer: &pb::Customer) {
        assert!(matches!(
            idempotency::claim::<pb::Customer>(&api.state.db, key)
                .await
                .expect("claim"),
            Claim::Fresh { previous: None }
        ));
        let mut tx = api.state.db.pool.begin().await.expect("begin");
        idempotency::complete(&mut tx, key, answer)
            .await
            .expect("complete");
        tx.commit().await.expect("commit");
    }

    #[tokio::test]
    async fn a_finished_customer_create_is_replayed_before_any_work() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        let key = Key {
            client_id: String::new(),
            key: "create-1".into(),
            hash: "h1".into(),
        };
        finished(&api, &key, &to_pb(&account)).await;
        // The peers are down here: only a replay can answer 200.
        let res = api
            .create_customer(with_key(
                as_caller(&root, account_request("4111111111111111")),
                "create-1",
                "h1",
            ))
            .await
            .expect("replay");
        assert!(replayed(&res));
        assert_eq!(res.get_ref(), &to_pb(&account));

        let e = api
            .create_customer(with_key(
                as_caller(&root, account_request("4111111111111111")),
                "create-1",
                "h2",
            ))
            .await
            .expect_err("reused");
        assert_eq!(
            (e.code(), reason(&e).as_str()),
            (Code::FailedPrecondition, "IDEMPOTENCY_KEY_REUSED")
        );
    }

    #[tokio::test]
    async fn a_failed_customer_create_releases_its_key() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        // No owner and no payment: refused before any peer is asked.
        let bad = pb::CreateCustomerRequest {
            owner: None,
            payment: None,
            ..account_request("4111111111111111")
        };
        let e = api
            .create_customer(with_key(as_caller(&root, bad), "create-1", "h1"))
            .await
            .expect_err("invalid");
        assert_eq!(e.code(), Code::InvalidArgument);
        assert_eq!(key_state(&api, "create-1").await, None);
        // The corrected request under the same key is not "reused": it
        // runs, and reaches the peers (down here).
        let e = api
            .create_customer(with_key(
                as_caller(&root, account_request("4111111111111111")),
                "create-1",
                "h2",
            ))
            .await
            .expect_err("peers down");
        assert_eq!(e.code(), Code::Unavailable);
        assert_eq!(key_state(&api, "create-1").await, None);
    }

    #[tokio::test]
    async fn a_takeover_of_a_create_that_did_finish_answers_its_customer() {
        let (api, _dir) = api().await;
        let root = insert_active(&api, "partner", None).await;
        let account = insert_active(&api, "account", Some(&root)).await;
        let key = Key {
            client_id: String::new(),
            key: "create-1".into(),
            hash: "h1".into(),
        };
        idempotency::claim::<pb::Customer>(&api.state.db, &key)
            .await
            .expect("claim");
        idempotency::note_resource(&api.state.db, &key, &account.customer_id)
            .await
            .expect("note");
        // Its owner died long ago, leaving the claim running.
        sqlx::query("update idempotency_key set updated_at = '2000-01-01T00:00:00.000000Z'")
            .execute(&api.state.db.pool)
            .await
            .expect("age");
        let res = api
            .create_customer(with_key(
                as_caller(&root, account_request("4111111111111111")),
                "create-1",
                "h1",
            ))
            .await
            .expect("answered");
        assert!(replayed(&res));
        assert_eq!(res.get_ref().customer_id, account.customer_id);
        assert_eq!(
            key_state(&api, "create-1").await,
            Some(("done".into(), account.customer_id.clone()))
        );
    }
}
