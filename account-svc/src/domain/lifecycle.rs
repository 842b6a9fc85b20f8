//! What may happen to a customer after it is created: suspending and
//! resuming it (state), switching its plan, accepting the MSA. Each rule
//! answers why not as a [`Refusal`]; the caller maps it once (error.rs).

use super::plan::{self, Plan, PlanKind};

/// A field to fix, or a request that is fine but meets the wrong moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Wrong whatever the customer's state (INVALID_ARGUMENT).
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Right in itself, refused by what the customer is now
    /// (FAILED_PRECONDITION; 409 at the edge).
    Conflict(String),
}

fn invalid(field: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::Invalid {
        field,
        message: message.into(),
    }
}

/// Whether a customer may use the platform. DESIGN §6.1: state applies to
/// partners and accounts; disabling a partner stops its whole subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerState {
    Enabled,
    Disabled,
}

impl CustomerState {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "enabled" => Ok(Self::Enabled),
            "disabled" => Ok(Self::Disabled),
            _ => Err("must be \"enabled\" or \"disabled\"".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }
}

/// What the rules need to know of the customer a change targets.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub is_partner: bool,
    /// The root distributor: no parent above it.
    pub is_root: bool,
    /// The caller acts for this very customer (its home partner).
    pub is_callers_home: bool,
    /// As stored: `enabled` or `disabled`.
    pub state: &'a str,
    pub plan_name: &'a str,
    pub msa_accepted: bool,
}

impl Target<'_> {
    fn noun(&self) -> &'static str {
        if self.is_partner {
            "partner"
        } else {
            "account"
        }
    }
}

/// Checks a state change and answers the state to store.
pub fn change_state(t: &Target<'_>, to: &str) -> Result<CustomerState, Refusal> {
    let to = CustomerState::parse(to).map_err(|m| invalid("state", m))?;
    // A partner that could re-enable itself would make suspension by its
    // parent meaningless.
    if t.is_callers_home {
        return Err(Refusal::Conflict(
            "a customer's state is changed by its parent".into(),
        ));
    }
    // Disabling the root would lock everyone out, the operators included,
    // with nobody above it to undo that.
    if t.is_root && to == CustomerState::Disabled {
        return Err(Refusal::Conflict(
            "the root distributor cannot be disabled".into(),
        ));
    }
    if t.state == to.as_str() {
        return Err(Refusal::Conflict(format!(
            "the {} is already {}",
            t.noun(),
            to.as_str()
        )));
    }
    Ok(to)
}

/// Checks a plan change and answers the plan to store. Accounts switch among
/// the account plans their parent sells; partners stay on partner plans.
pub fn change_plan(t: &Target<'_>, name: &str) -> Result<&'static Plan, Refusal> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "is required"));
    }
    let offer = || {
        plan::sellable()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(p) = plan::find(name) else {
        return Err(invalid(
            "name",
            format!("unknown plan {name:?}; the parent sells {}", offer()),
        ));
    };
    match (t.is_partner, p.kind) {
        (true, PlanKind::Account) => {
            return Err(Refusal::Conflict(format!(
                "partners are on partner plans; {name:?} is an account plan"
            )));
        }
        (false, _) if !plan::sellable().any(|s| s.name == p.name) => {
            return Err(invalid(
                "name",
                format!("the parent does not sell {name:?}; it sells {}", offer()),
            ));
        }
        _ => {}
    }
    if t.plan_name == p.name {
        return Err(Refusal::Conflict(format!(
            "the {} is already on the plan {name:?}",
            t.noun()
        )));
    }
    Ok(p)
}

/// Checks an MSA acceptance: it is given once and never taken back.
pub fn accept_msa(t: &Target<'_>, is_accepted: bool) -> Result<(), Refusal> {
    if !is_accepted {
        return Err(invalid(
            "isAccepted",
            "must be true: the MSA is accepted, never declined or withdrawn here",
        ));
    }
    if t.msa_accepted {
        return Err(Refusal::Conflict("the MSA is already accepted".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Target<'static> {
        Target {
            is_partner: false,
            is_root: false,
            is_callers_home: false,
            state: "enabled",
            plan_name: "starter",
            msa_accepted: false,
        }
    }

    fn partner() -> Target<'static> {
        Target {
            is_partner: true,
            plan_name: plan::DEFAULT_PARTNER_PLAN,
            ..account()
        }
    }

    fn conflict<T: std::fmt::Debug>(r: Result<T, Refusal>) -> String {
        match r {
            Err(Refusal::Conflict(m)) => m,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    fn invalid_field<T: std::fmt::Debug>(r: Result<T, Refusal>) -> &'static str {
        match r {
            Err(Refusal::Invalid { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn state_is_enabled_or_disabled() {
        assert_eq!(
            invalid_field(change_state(&account(), "suspended")),
            "state"
        );
        assert_eq!(
            change_state(&account(), "disabled"),
            Ok(CustomerState::Disabled)
        );
    }

    #[test]
    fn setting_the_state_it_has_is_a_conflict() {
        let m = conflict(change_state(&account(), "enabled"));
        assert_eq!(m, "the account is already enabled");
    }

    #[test]
    fn a_customer_cannot_change_its_own_state() {
        let home = Target {
            is_callers_home: true,
            ..partner()
        };
        let m = conflict(change_state(&home, "disabled"));
        assert!(m.contains("by its parent"), "{m}");
    }

    #[test]
    fn the_root_cannot_be_disabled() {
        let root = Target {
            is_root: true,
            ..partner()
        };
        assert!(conflict(change_state(&root, "disabled")).contains("root"));
    }

    #[test]
    fn accounts_switch_to_a_plan_their_parent_sells() {
        assert_eq!(
            change_plan(&account(), "business").map(|p| p.name),
            Ok("business")
        );
    }

    #[test]
    fn unknown_plan_is_invalid_on_name() {
        assert_eq!(invalid_field(change_plan(&account(), "gold")), "name");
    }

    #[test]
    fn accounts_cannot_take_a_partner_plan() {
        let r = change_plan(&account(), plan::DEFAULT_PARTNER_PLAN);
        assert_eq!(invalid_field(r), "name");
    }

    #[test]
    fn partners_stay_on_partner_plans() {
        let m = conflict(change_plan(&partner(), "starter"));
        assert!(m.starts_with("partners are on partner plans"), "{m}");
    }

    #[test]
    fn the_plan_it_has_is_a_conflict() {
        assert!(conflict(change_plan(&account(), "starter")).contains("already"));
        assert!(conflict(change_plan(&partner(), plan::DEFAULT_PARTNER_PLAN)).contains("already"));
    }

    #[test]
    fn msa_acceptance_must_say_true() {
        assert_eq!(invalid_field(accept_msa(&account(), false)), "isAccepted");
        assert_eq!(accept_msa(&account(), true), Ok(()));
    }

    #[test]
    fn msa_is_accepted_once_only() {
        let accepted = Target {
            msa_accepted: true,
            ..account()
        };
        assert!(conflict(accept_msa(&accepted, true)).contains("already"));
    }
}
