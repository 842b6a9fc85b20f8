//! A CreateCustomer request judged by every rule that needs nothing beyond
//! the request and what its parent may do: what is created and on which
//! plan (reference 000, DESIGN §6.2), the name, company, options, owner and
//! payment. What needs the store or a peer (the parent, a taken name, the
//! owner's and the payment's own rules) is the create flow's
//! ([`crate::provisioning`]).
//!
//! Every rule broken is named in the [`Violations`] the parse is given, in
//! the order the fields are judged, so one answer names every bad field.

use std::collections::BTreeMap;

use platform::status::Violations;
use proto::account::v1 as pb;

use super::company::{Company, Refined, parse_address, parse_company};
use super::plan::{self, PlanKind};
use super::settings::Features;
use super::{AccountName, PartnerProgram, Program, bounded, parse_options};

/// AccountOwnerCreateV2 `CellularPhone`.
const OWNER_CELLULAR_PHONE_MAX: usize = 50;

/// Where the new customer goes, as far as these rules need it.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    /// Bootstrap creating the root distributor: no parent and no principal.
    pub is_root: bool,
    /// What the parent may do; `None` without a parent.
    pub parent: Option<Features>,
}

/// A create request as parsed: a field is `None` when it broke a rule (or
/// one it depends on did).
#[derive(Debug)]
pub struct Draft {
    pub kind: Option<Program>,
    pub program: Option<PartnerProgram>,
    /// `general.userName` in v1, `general.accountName` in v2: where a name
    /// violation (or a taken name) is reported.
    pub name_field: &'static str,
    pub name: Option<AccountName>,
    pub plan_name: Option<&'static str>,
    pub company: Option<Company>,
    pub options: Option<BTreeMap<String, String>>,
    pub payment: Option<pb::Payment>,
    /// The payment's address, refined as the company's is.
    pub billing_address: Option<Refined>,
}

/// A create whose every part parsed: what the customer's row is made of.
#[derive(Debug)]
pub struct NewCustomer {
    pub kind: Program,
    pub program: Option<PartnerProgram>,
    pub name: AccountName,
    pub plan_name: &'static str,
    pub company: Company,
    pub options: BTreeMap<String, String>,
}

impl Draft {
    pub fn parse(r: &pb::CreateCustomerRequest, place: Place, v: &mut Violations) -> Self {
        let (kind, program) = parse_kind(r, place, v);
        let (name_field, name) = parse_name(r, v);
        let plan_name = parse_plan(r, place.is_root, kind, v);
        let company = parse_company(r.company.as_ref(), v);
        let options = parse_options(&r.options, "general.options", v);
        // AccountOwnerCreateV2 allows the owner a shorter cellular phone
        // than a contact has (50, not 255); the rest is contact-svc's.
        if let Some(o) = &r.owner
            && let Err(e) = bounded(&o.cellular_phone, OWNER_CELLULAR_PHONE_MAX, false)
        {
            v.add("general.owner.cellularPhone", e);
        }
        let (payment, billing_address) = parse_payment(r, place, v);
        if r.owner.is_none() {
            v.add("general.owner", "is required");
        }
        Self {
            kind,
            program,
            name_field,
            name,
            plan_name,
            company,
            options,
            payment,
            billing_address,
        }
    }

    pub fn is_partner(&self) -> bool {
        self.kind == Some(Program::Partner)
    }

    /// The owner's role: a partner's owner administers a private label.
    pub fn owner_roles(&self) -> Vec<String> {
        vec![
            if self.is_partner() {
                "AG_PRIVATELABELOWNERS"
            } else {
                "Owner"
            }
            .to_owned(),
        ]
    }

    /// The customer to create, once every part parsed.
    pub fn complete(self) -> Option<NewCustomer> {
        let (Some(name), Some(kind), Some(plan_name), Some(company), Some(options)) = (
            self.name,
            self.kind,
            self.plan_name,
            self.company,
            self.options,
        ) else {
            return None;
        };
        Some(NewCustomer {
            kind,
            program: self.program,
            name,
            plan_name,
            company,
            options,
        })
    }
}

/// What is created (`programs`, DESIGN §6.2) and, for a partner, its
/// programme; the root is the one partner bootstrap makes without asking.
fn parse_kind(
    r: &pb::CreateCustomerRequest,
    place: Place,
    v: &mut Violations,
) -> (Option<Program>, Option<PartnerProgram>) {
    let kind = match place.is_root {
        true => Some(Program::Partner),
        false => v.check("programs", Program::parse(&r.programs)),
    };
    let program = match (place.is_root, kind) {
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
    // Who may create what (reference 000, DESIGN §6.2): a parent whose
    // programme or settings do not include partners creates accounts only.
    if let (Some(f), Some(Program::Partner)) = (place.parent, kind)
        && !f.create_partners
    {
        v.add(
            "programs",
            "the parent partner may create accounts only; its programme does not include partners",
        );
    }
    (kind, program)
}

fn parse_name(
    r: &pb::CreateCustomerRequest,
    v: &mut Violations,
) -> (&'static str, Option<AccountName>) {
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
    (name_field, name)
}

/// A partner takes a partner plan (the default one unless it names
/// another), an account one its parent sells; the root is a distributor.
fn parse_plan(
    r: &pb::CreateCustomerRequest,
    is_root: bool,
    kind: Option<Program>,
    v: &mut Violations,
) -> Option<&'static str> {
    let is_partner = kind == Some(Program::Partner);
    match (is_partner, r.plan_name.as_str()) {
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
    }
}

/// The payment, which only the root may leave out, and its address.
fn parse_payment(
    r: &pb::CreateCustomerRequest,
    place: Place,
    v: &mut Violations,
) -> (Option<pb::Payment>, Option<Refined>) {
    let payment = match (&r.payment, place.is_root) {
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
        .and_then(|p| parse_address(p.address.as_ref(), "payment.address", v));
    // A partner may take cards only where its parent enabled payment
    // processing for it (reference 002); the root always may.
    if let (Some(f), Some(pay)) = (place.parent, &payment)
        && pay.r#type.eq_ignore_ascii_case("creditCard")
        && !f.payment_processing
    {
        v.add(
            "payment.type",
            "creditCard is not enabled for the parent partner (payment processing is off); use paperCheck to bill the parent",
        );
    }
    (payment, billing_address)
}
