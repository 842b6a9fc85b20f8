//! Creating a customer, which crosses three services. The order keeps a
//! failure from leaving half an account: everything is validated first
//! (contact-svc and billing-svc validate their parts without storing), then
//! the customer row is written hidden (`provisioning`, which also reserves
//! the user name), then billing-svc records the payment, then contact-svc
//! creates the owner, and only then does the row become visible. A failure
//! after the row is written undoes what was done; if the undo itself cannot
//! reach a peer, the [`crate::recovery`] sweep finishes it.
//!
//! When the processor refuses the card as blacklisted or fraudulent, the
//! undo runs as for any failure and the request is then kept, without its
//! secrets, as a failed setup ([`crate::domain::failed_setup`]).
//! RestoreFailedSetup claims one and runs the same create with a new payment.
//!
//! `AccountApi::create` reads as those steps, each a function below:
//! `judge` (the parent, then [`Draft::parse`] for the rules that need no
//! I/O, then a taken name and the peers' validation), `write_hidden`,
//! `provision` (payment, owner, `activate`) and, on failure, `undo`. Its
//! log lines keep the API's target ([`LOG_TARGET`]).

use std::sync::atomic::Ordering;

use platform::context::CallContext;
use platform::idempotency::{self, Claim, Key};
use platform::status::{Violations, field_violations};
use proto::account::v1 as pb;
use proto::billing::v1 as billing;
use proto::contact::v1 as contact;
use tonic::{Code, Status};

use crate::domain::culture::Culture;
use crate::domain::failed_setup::{self, Refused, SetupRefusal};
use crate::domain::new_customer::{Draft, NewCustomer, Place};
use crate::domain::plan;
use crate::domain::settings::PasswordPolicy;
use crate::domain::vat::VatNumber;
use crate::domain::{AccountName, PartnerProgram};
use crate::error::Error;
use crate::grpc::{AccountApi, FAILED_SETUPS, LOG_TARGET, Stop, to_pb};
use crate::recovery;
use crate::store::customer::{self, CustomerRow};
use crate::store::failed_setup::{self as store_failed_setup, FailedSetupRow, RefusedAgain};

impl AccountApi {
    /// Claims the request's Idempotency-Key, if it has one, for a create of
    /// a customer. `Some`: the create ran to its end before; answer that
    /// again. Errors are the key's answers (reused: 422, in use: 409).
    pub(crate) async fn claim_customer(
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
                    target: LOG_TARGET,
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

    /// Creates a customer as `caller`, in the order the module doc tells.
    /// CreateCustomer and RestoreFailedSetup both come here, so a restore
    /// meets every rule a create does, scope included.
    pub(crate) async fn create(
        &self,
        ctx: &CallContext,
        caller: Option<CustomerRow>,
        r: pb::CreateCustomerRequest,
        origin: Origin<'_>,
        key: Option<&Key>,
    ) -> Result<pb::Customer, Stop> {
        let customer_id = match origin {
            Origin::Request => platform::id::new_id(),
            Origin::Restore { customer_id, .. } => customer_id.to_owned(),
        };
        let internal = ctx.internal();
        let Judged {
            parent,
            new,
            owner_contact_id,
            peers,
        } = self.judge(&internal, caller, &r, &customer_id).await?;
        let row = new_row(&customer_id, parent.as_ref(), &owner_contact_id, &new)?;
        self.write_hidden(&row, key).await?;
        // Set when the processor refuses the card for a reason that keeps
        // the request as a failed setup (only the real call reaches it).
        let mut refused = None;
        let provisioned = self
            .provision(&internal, &peers, &customer_id, key, &mut refused)
            .await;
        let answer = match provisioned {
            Ok(Some(answer)) => answer,
            // The test failpoint stopped the create as a crash would.
            Ok(None) => {
                tracing::warn!(
                    target: LOG_TARGET,
                    customer_id,
                    "failpoint crash_after_customer_row: stopping as if the process died"
                );
                return Err(Stop::Crashed(Status::unavailable(
                    "the service stopped mid-way (test failpoint crash_after_customer_row)",
                )));
            }
            Err(e) => {
                let kept = Kept {
                    request: &r,
                    parent: parent.as_ref(),
                    name: &new.name,
                    plan_name: new.plan_name,
                };
                return Err(self
                    .undo(&internal, &customer_id, e, refused, &kept, origin)
                    .await);
            }
        };
        tracing::info!(
            target: LOG_TARGET,
            customer_id,
            kind = row.kind,
            parent = row.parent_id.as_deref().unwrap_or(""),
            "customer created"
        );
        Ok(answer)
    }

    /// Judges the request by every rule before anything is written, so one
    /// answer names every bad field: the parent, the rules of the request
    /// itself, a taken name, and the owner's and the payment's own rules.
    async fn judge(
        &self,
        internal: &CallContext,
        caller: Option<CustomerRow>,
        r: &pb::CreateCustomerRequest,
        customer_id: &str,
    ) -> Result<Judged, Stop> {
        let mut v = Violations::new();
        let mut conflicts = Violations::new();
        let (parent, place) = self.place(caller, r, &mut v).await?;
        let draft = Draft::parse(r, place, &mut v);
        if let Some(n) = &draft.name
            && customer::user_name_taken(&self.state.db, &n.key()).await?
        {
            conflicts.add(draft.name_field, "is already taken");
        }
        let owner_contact_id = platform::id::new_id();
        // The owner's password meets the rule its customer will have: that
        // of the parent's ancestry, since the new customer has no settings.
        let policy = match &parent {
            Some(p) => self.password_policy(&p.path).await?,
            None => PasswordPolicy::default(),
        };
        let peers = PeerRequests::new(r, &draft, customer_id, &owner_contact_id, policy);
        self.validate_with_peers(internal, &draft, &peers, &mut v, &mut conflicts)
            .await?;
        let new = accept(draft, v, conflicts)?;
        Ok(Judged {
            parent,
            new,
            owner_contact_id,
            peers,
        })
    }

    /// The parent the new customer goes under, and what the rules need of
    /// it. A request that names none means the caller's home.
    async fn place(
        &self,
        caller: Option<CustomerRow>,
        r: &pb::CreateCustomerRequest,
        v: &mut Violations,
    ) -> Result<(Option<CustomerRow>, Place), Stop> {
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
        // What the parent may do, read once for both rules that need it.
        let features = match &parent {
            Some(p) => Some(self.features_of(p).await?),
            None => None,
        };
        let place = Place {
            is_root,
            parent: features,
        };
        Ok((parent, place))
    }

    /// Lets the owning services judge their parts too, so one answer names
    /// every bad field; nothing is stored by these calls.
    async fn validate_with_peers(
        &self,
        internal: &CallContext,
        draft: &Draft,
        peers: &PeerRequests,
        v: &mut Violations,
        conflicts: &mut Violations,
    ) -> Result<(), Error> {
        // Without an owner the draft names `general.owner` already.
        if peers.has_owner
            && let Err(s) = self
                .state
                .contacts
                .clone()
                .create_contact(internal.request(peers.contact(true)))
                .await
        {
            peer_violations(s, "general.owner.", v, conflicts)?;
        }
        if draft.payment.is_some()
            && let Err(s) = self
                .state
                .billing
                .clone()
                .setup_payment(internal.request(peers.payment(true)))
                .await
        {
            peer_violations(s, "", v, conflicts)?;
        }
        Ok(())
    }

    /// Writes the customer's row hidden (`provisioning`). Its id is noted
    /// under the key before the row is written, so whatever a crash leaves
    /// of this customer, a retry that takes the key over undoes it.
    async fn write_hidden(&self, row: &CustomerRow, key: Option<&Key>) -> Result<(), Error> {
        if let Some(key) = key {
            idempotency::note_resource(&self.state.db, key, &row.customer_id)
                .await
                .map_err(Error::Idempotency)?;
        }
        customer::insert_provisioning(&self.state.db, row).await
    }

    /// What follows the hidden row: billing-svc records the payment,
    /// contact-svc creates the owner, and the customer turns visible.
    /// `None`: the test failpoint stopped the create as a crash would. A
    /// refusal that keeps a failed setup is left in `refused`.
    async fn provision(
        &self,
        internal: &CallContext,
        peers: &PeerRequests,
        customer_id: &str,
        key: Option<&Key>,
        refused: &mut Option<Refused>,
    ) -> Result<Option<pb::Customer>, Error> {
        self.state
            .billing
            .clone()
            .setup_payment(internal.request(peers.payment(false)))
            .await
            .map_err(|s| {
                *refused = refusal(&s);
                Error::Upstream(s)
            })?;
        if self.state.crash_after_customer_row.load(Ordering::Relaxed) {
            return Ok(None);
        }
        self.state
            .contacts
            .clone()
            .create_contact(internal.request(peers.contact(false)))
            .await
            .map_err(|s| Error::Upstream(reroot(s, "general.owner.")))?;
        self.activate(customer_id, key).await.map(Some)
    }

    /// Makes the customer visible and answers it.
    async fn activate(&self, customer_id: &str, key: Option<&Key>) -> Result<pb::Customer, Error> {
        // The answer is built before the row turns visible and kept in
        // the same transaction, so a replay answers exactly this.
        let mut created = customer::find(&self.state.db, customer_id)
            .await?
            .ok_or(Error::NotFound)?;
        created.status = "active".into();
        let answer = to_pb(&created);
        let mut tx = self.state.db.pool.begin().await?;
        if !customer::activate(&mut tx, customer_id).await? {
            return Err(Error::Internal(
                "the customer was undone before it could be activated".into(),
            ));
        }
        if let Some(key) = key {
            idempotency::complete(&mut tx, key, &answer).await?;
        }
        tx.commit().await?;
        self.customers_changed().await;
        Ok(answer)
    }

    /// Undoes a create that failed part way after its row was written, and
    /// answers how it ends.
    async fn undo(
        &self,
        internal: &CallContext,
        customer_id: &str,
        e: Error,
        refused: Option<Refused>,
        kept: &Kept<'_>,
        origin: Origin<'_>,
    ) -> Stop {
        tracing::warn!(target: LOG_TARGET, customer_id, error = %e, "create failed part way; undoing");
        if let Err(undo) = recovery::undo_create(&self.state, internal, customer_id).await {
            tracing::error!(target: LOG_TARGET, customer_id, error = %undo, "undo incomplete; the recovery sweep will finish it");
            // The key stays claimed with this customer noted, as
            // after a crash: a retry under it waits (409 in use),
            // then takes it over and finishes the undo first. Freed
            // now, the retry would meet the half-made customer's
            // name and answer "already taken".
            return Stop::Crashed(Status::from(e));
        }
        // Kept after the undo, so a failed setup never sits beside a
        // half-made customer of the same request.
        let Some(refused) = refused else {
            return e.into();
        };
        match self.keep_failed_setup(kept, &refused, origin).await {
            Ok(id) => Error::FailedSetup { id, refused }.into(),
            Err(e) => e.into(),
        }
    }

    /// Keeps a create the processor refused as a failed setup, or for a
    /// restore records the new refusal on the setup being restored (one
    /// setup per intended customer, however often its card is refused).
    /// Answers the setup's id.
    pub(crate) async fn keep_failed_setup(
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
            target: LOG_TARGET,
            failed_setup_id = id,
            reason = refused.refusal.as_str(),
            "create refused by the card processor; kept as failed setup"
        );
        Ok(id)
    }
}

/// Where a create comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin<'a> {
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

/// What a failed setup keeps of a refused create, as the create parsed it.
pub(crate) struct Kept<'a> {
    pub(crate) request: &'a pb::CreateCustomerRequest,
    pub(crate) parent: Option<&'a CustomerRow>,
    pub(crate) name: &'a AccountName,
    pub(crate) plan_name: &'a str,
}

/// What a judged create holds: where it goes, what it makes, and the
/// requests it will send the peers.
struct Judged {
    parent: Option<CustomerRow>,
    new: NewCustomer,
    owner_contact_id: String,
    peers: PeerRequests,
}

/// The customer to create, or the answer naming what is wrong: every
/// invalid field (then any conflict), or else the first conflict, as
/// ALREADY_EXISTS.
fn accept(draft: Draft, v: Violations, conflicts: Violations) -> Result<NewCustomer, Stop> {
    let Some(new) = draft.complete() else {
        return Err(Error::Invalid(v.into_vec()).into());
    };
    if !v.is_empty() {
        let mut all = v.into_vec();
        all.extend(conflicts.into_vec());
        return Err(Error::Invalid(all).into());
    }
    if !conflicts.is_empty() {
        let (field, message) = conflicts.fields()[0].clone();
        return Err(platform::status::field_error(Code::AlreadyExists, &field, &message).into());
    }
    Ok(new)
}

/// What a create asks of contact-svc (its owner) and billing-svc (its
/// payment). Each is asked twice, to validate and then for real, with the
/// same request.
struct PeerRequests {
    has_owner: bool,
    contact: contact::CreateContactRequest,
    payment: billing::SetupPaymentRequest,
}

impl PeerRequests {
    fn new(
        r: &pb::CreateCustomerRequest,
        draft: &Draft,
        customer_id: &str,
        owner_contact_id: &str,
        policy: PasswordPolicy,
    ) -> Self {
        let o = r.owner.clone().unwrap_or_default();
        let contact = contact::CreateContactRequest {
            customer_id: customer_id.to_owned(),
            login: o.login,
            password: o.password,
            name: o.name,
            email: o.email,
            cellular_phone: o.cellular_phone,
            roles: draft.owner_roles(),
            contact_id: owner_contact_id.to_owned(),
            validate_only: false,
            culture: o.culture,
            policy: Some(policy_to_pb(policy)),
            alternative_email: String::new(),
            phone: String::new(),
            customer_kind: if draft.is_partner() {
                "partner"
            } else {
                "account"
            }
            .into(),
            // A new customer has no own limit values yet: its plan's
            // default is the value in force.
            users_max: draft.plan_name.map_or(0, plan::users_max),
        };
        let p = draft.payment.clone().unwrap_or_default();
        let payment = billing::SetupPaymentRequest {
            name: p.name,
            phone: p.phone,
            address: draft.billing_address.as_ref().map(|a| a.address.to_pb()),
            customer_id: customer_id.to_owned(),
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
            validate_only: false,
        };
        Self {
            has_owner: r.owner.is_some(),
            contact,
            payment,
        }
    }

    fn contact(&self, validate_only: bool) -> contact::CreateContactRequest {
        contact::CreateContactRequest {
            validate_only,
            ..self.contact.clone()
        }
    }

    fn payment(&self, validate_only: bool) -> billing::SetupPaymentRequest {
        billing::SetupPaymentRequest {
            validate_only,
            ..self.payment.clone()
        }
    }
}

/// The row of a new customer, hidden until the create finishes.
fn new_row(
    customer_id: &str,
    parent: Option<&CustomerRow>,
    owner_contact_id: &str,
    n: &NewCustomer,
) -> Result<CustomerRow, Error> {
    let parent_path = parent.map_or("/", |p| p.path.as_str());
    Ok(CustomerRow {
        customer_id: customer_id.to_owned(),
        kind: n.kind.as_str().into(),
        partner_program: n
            .program
            .map(PartnerProgram::as_str)
            .unwrap_or_default()
            .into(),
        user_name: n.name.as_str().into(),
        parent_id: parent.map(|p| p.customer_id.clone()),
        path: format!("{parent_path}{customer_id}/"),
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
        options: serde_json::to_string(&n.options).map_err(|e| Error::Internal(e.to_string()))?,
        owner_contact_id: owner_contact_id.into(),
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

fn policy_to_pb(p: PasswordPolicy) -> contact::PasswordPolicy {
    contact::PasswordPolicy {
        min_length: p.min_length,
        require_symbols: p.require_symbols,
        require_mixed_case: p.require_mixed_case,
    }
}

/// The refusal in billing-svc's answer to the real SetupPayment, if it is
/// one that keeps a failed setup (a blacklisted card, failed fraud
/// screening). A plain decline is not: the client fixes the card and retries.
pub(crate) fn refusal(status: &Status) -> Option<Refused> {
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
