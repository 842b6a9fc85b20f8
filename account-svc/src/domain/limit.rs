//! A customer's limits (issue 7). Each plan names its limits with a default
//! ([`super::plan`]); a customer's own value, set by a partner above it,
//! replaces the default. The rules of a change live here: the name must be
//! one the customer's plan has, the value within range and never above what
//! the parent partner has for the same name, and no partner changes its own
//! limits.

use std::collections::BTreeMap;

use super::plan::{self, Plan, PlanKind, USERS_MAX};

/// The largest value a limit takes: 10^15, a petabyte of storage in bytes,
/// far above every plan's default and small enough that a partner's quota
/// (a sum over its accounts) stays within an `i64`.
pub const MAX_VALUE: i64 = 1_000_000_000_000_000;

/// The request fields, as the REST body spells them.
pub const NAME: &str = "name";
pub const VALUE: &str = "value";

/// A customer's own values, by limit name, as stored.
pub type Overrides = BTreeMap<String, i64>;

/// One limit of a customer's plan as it is in force for the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    /// The customer's own value, else the plan's default.
    pub value: i64,
    pub default: i64,
    pub overridden: bool,
}

/// Every limit of `plan`, in the plan's order, with the customer's own
/// values in force. An own value of a name the plan lacks (left by a plan
/// change) counts for nothing.
pub fn in_force(plan: &Plan, overrides: &Overrides) -> Vec<Limit> {
    plan.limits
        .iter()
        .map(|&(name, default)| {
            let own = overrides.get(name).copied();
            Limit {
                name,
                value: own.unwrap_or(default),
                default,
                overridden: own.is_some(),
            }
        })
        .collect()
}

/// The value of `name` in force for a customer on `plan`; `None` when the
/// plan has no such limit.
pub fn value_in_force(plan: &Plan, overrides: &Overrides, name: &str) -> Option<i64> {
    plan.limit(name)
        .map(|default| overrides.get(name).copied().unwrap_or(default))
}

/// Why a limit change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Bad fields, every one named (INVALID_ARGUMENT).
    Invalid(Vec<(String, String)>),
    /// Right in itself, refused by where the customer stands
    /// (FAILED_PRECONDITION; 409 at the edge).
    Conflict(String),
}

/// A customer's parent partner as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Parent<'a> {
    pub plan: &'a Plan,
    pub overrides: &'a Overrides,
}

/// What the rules need to know of the customer whose limit changes.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub plan: &'a Plan,
    /// The caller acts for this very customer (its home partner).
    pub is_callers_home: bool,
    /// `None` for the root distributor.
    pub parent: Option<Parent<'a>>,
}

/// A limit of the target's plan: its name as the plan spells it, and its
/// default.
fn parse_name(plan: &Plan, name: &str) -> Result<(&'static str, i64), String> {
    if name.trim().is_empty() {
        return Err("is required".into());
    }
    plan.limits
        .iter()
        .find(|&&(n, _)| n == name)
        .copied()
        .ok_or_else(|| {
            let known: Vec<&str> = plan.limits.iter().map(|&(n, _)| n).collect();
            format!(
                "the plan {:?} has no limit {name:?}; it has {}",
                plan.name,
                known.join(", ")
            )
        })
}

/// A value in range for the limit `name` (when the name is known).
fn parse_value(name: Option<&str>, value: i64) -> Result<i64, String> {
    if value < 0 {
        return Err("must not be negative".into());
    }
    if value > MAX_VALUE {
        return Err(format!("must be at most {MAX_VALUE}"));
    }
    // contact-svc reads an Iam_usersMax of 0 as "no limit" (the contract's
    // spelling), so 0 would lift the cap rather than close it; and the
    // owner is a user of its own, so no customer ever has fewer than one.
    if name == Some(USERS_MAX) && value < 1 {
        return Err(format!(
            "must be at least 1 for {USERS_MAX}: the owner counts as a user"
        ));
    }
    Ok(value)
}

/// A partner that could raise its own limits would make them meaningless.
fn not_own(t: &Target<'_>) -> Result<(), Refusal> {
    if t.is_callers_home {
        return Err(Refusal::Conflict(
            "a customer's limits are set by its parent partner".into(),
        ));
    }
    Ok(())
}

/// Checks a new own value of `name` for the target; answers the limit as
/// it will be in force. Bad fields first (all of them), then where the
/// customer stands.
pub fn set(t: &Target<'_>, name: &str, value: i64) -> Result<Limit, Refusal> {
    let mut invalid = Vec::new();
    let known = parse_name(t.plan, name)
        .map_err(|m| invalid.push((NAME.to_owned(), m)))
        .ok();
    if let Err(m) = parse_value(known.map(|(n, _)| n), value) {
        invalid.push((VALUE.to_owned(), m));
    }
    let Some((name, default)) = known.filter(|_| invalid.is_empty()) else {
        return Err(Refusal::Invalid(invalid));
    };
    not_own(t)?;
    // A partner hands down no more than it has itself; where its plan has
    // no such limit (Storage_bytesMax on a partner plan) nothing caps it.
    if let Some(parent) = t.parent
        && let Some(cap) = value_in_force(parent.plan, parent.overrides, name)
        && value > cap
    {
        return Err(Refusal::Conflict(format!(
            "{name} may be at most {cap}, the parent partner's {name}"
        )));
    }
    Ok(Limit {
        name,
        value,
        default,
        overridden: true,
    })
}

/// Checks a return to the plan's default; answers the limit as it will be
/// in force.
pub fn reset(t: &Target<'_>, name: &str) -> Result<Limit, Refusal> {
    let (name, default) =
        parse_name(t.plan, name).map_err(|m| Refusal::Invalid(vec![(NAME.to_owned(), m)]))?;
    not_own(t)?;
    Ok(Limit {
        name,
        value: default,
        default,
        overridden: false,
    })
}

/// One limit summed over a partner's descendant accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaItem {
    pub name: &'static str,
    /// The sum of the values in force.
    pub allocated: i64,
    /// How many of the accounts have the limit.
    pub accounts: i64,
}

/// Every limit name of the account plans, in catalogue order, once each.
pub fn account_limit_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for p in plan::PLANS.iter().filter(|p| p.kind == PlanKind::Account) {
        for &(name, _) in p.limits {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Per limit name of the account plans: what `accounts` (each its plan and
/// own values) are allocated in sum, and how many have the limit. Sums
/// saturate rather than wrap: a quota is a report, not a ledger.
pub fn quota<'a>(accounts: impl IntoIterator<Item = (&'a Plan, &'a Overrides)>) -> Vec<QuotaItem> {
    let mut items: Vec<QuotaItem> = account_limit_names()
        .into_iter()
        .map(|name| QuotaItem {
            name,
            allocated: 0,
            accounts: 0,
        })
        .collect();
    for (plan, overrides) in accounts {
        for item in &mut items {
            if let Some(v) = value_in_force(plan, overrides, item.name) {
                item.allocated = item.allocated.saturating_add(v);
                item.accounts += 1;
            }
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(name: &str) -> &'static Plan {
        plan::find(name).expect("plan")
    }

    fn own(pairs: &[(&str, i64)]) -> Overrides {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect()
    }

    fn account<'a>(parent: Option<Parent<'a>>) -> Target<'a> {
        Target {
            plan: plan("starter"),
            is_callers_home: false,
            parent,
        }
    }

    fn invalid_fields<T: std::fmt::Debug>(r: Result<T, Refusal>) -> Vec<String> {
        match r {
            Err(Refusal::Invalid(v)) => v.into_iter().map(|(f, _)| f).collect(),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    fn conflict<T: std::fmt::Debug>(r: Result<T, Refusal>) -> String {
        match r {
            Err(Refusal::Conflict(m)) => m,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn an_own_value_replaces_the_default() {
        let limits = in_force(plan("starter"), &own(&[(USERS_MAX, 3)]));
        let users = limits.iter().find(|l| l.name == USERS_MAX).expect("users");
        assert_eq!((users.value, users.default, users.overridden), (3, 5, true));
        let burst = limits
            .iter()
            .find(|l| l.name == "Api_burst")
            .expect("burst");
        assert_eq!(
            (burst.value, burst.default, burst.overridden),
            (20, 20, false)
        );
    }

    #[test]
    fn limits_follow_the_plans_order_and_ignore_names_it_lacks() {
        let limits = in_force(plan("starter"), &own(&[("Gone_max", 1)]));
        let names: Vec<_> = limits.iter().map(|l| l.name).collect();
        assert_eq!(
            names,
            [
                USERS_MAX,
                "Storage_bytesMax",
                "Api_requestsPerMinute",
                "Api_burst"
            ]
        );
    }

    #[test]
    fn a_name_the_plan_lacks_is_invalid() {
        assert_eq!(
            invalid_fields(set(&account(None), "Nothing_max", 1)),
            [NAME]
        );
        assert_eq!(invalid_fields(set(&account(None), "", 1)), [NAME]);
        // Names are spelled as the plan spells them.
        assert_eq!(
            invalid_fields(set(&account(None), "iam_usersmax", 1)),
            [NAME]
        );
        let partner = Target {
            plan: plan(plan::DEFAULT_PARTNER_PLAN),
            ..account(None)
        };
        assert_eq!(invalid_fields(set(&partner, "Storage_bytesMax", 1)), [NAME]);
        assert_eq!(invalid_fields(reset(&partner, "Storage_bytesMax")), [NAME]);
    }

    #[test]
    fn a_value_is_between_0_and_10_to_the_15() {
        assert_eq!(
            invalid_fields(set(&account(None), "Api_burst", -1)),
            [VALUE]
        );
        assert_eq!(
            invalid_fields(set(&account(None), "Api_burst", MAX_VALUE + 1)),
            [VALUE]
        );
        assert!(set(&account(None), "Api_burst", 0).is_ok());
        assert!(set(&account(None), "Storage_bytesMax", MAX_VALUE).is_ok());
    }

    #[test]
    fn users_max_is_at_least_one() {
        assert_eq!(invalid_fields(set(&account(None), USERS_MAX, 0)), [VALUE]);
        assert!(set(&account(None), USERS_MAX, 1).is_ok());
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            invalid_fields(set(&account(None), "Nothing_max", -1)),
            [NAME, VALUE]
        );
    }

    #[test]
    fn a_value_above_the_parents_is_a_conflict_naming_both() {
        let parent_own = own(&[(USERS_MAX, 10)]);
        let parent = Parent {
            plan: plan(plan::DEFAULT_PARTNER_PLAN),
            overrides: &parent_own,
        };
        let m = conflict(set(&account(Some(parent)), USERS_MAX, 11));
        assert!(m.contains(USERS_MAX) && m.contains("10"), "{m}");
        assert_eq!(
            set(&account(Some(parent)), USERS_MAX, 10),
            Ok(Limit {
                name: USERS_MAX,
                value: 10,
                default: 5,
                overridden: true
            })
        );
        // Without an own value the parent's default caps (600 a minute).
        assert!(
            conflict(set(&account(Some(parent)), "Api_requestsPerMinute", 601)).contains("600")
        );
    }

    #[test]
    fn a_limit_the_parents_plan_lacks_is_not_capped() {
        let none = Overrides::new();
        let parent = Parent {
            plan: plan(plan::DEFAULT_PARTNER_PLAN),
            overrides: &none,
        };
        assert!(set(&account(Some(parent)), "Storage_bytesMax", MAX_VALUE).is_ok());
    }

    #[test]
    fn a_reset_answers_the_default() {
        assert_eq!(
            reset(&account(None), "Api_burst"),
            Ok(Limit {
                name: "Api_burst",
                value: 20,
                default: 20,
                overridden: false
            })
        );
    }

    #[test]
    fn no_partner_changes_its_own_limits() {
        let home = Target {
            plan: plan(plan::DEFAULT_PARTNER_PLAN),
            is_callers_home: true,
            parent: None,
        };
        assert!(conflict(set(&home, USERS_MAX, 1)).contains("parent"));
        assert!(conflict(reset(&home, USERS_MAX)).contains("parent"));
    }

    #[test]
    fn bad_input_is_named_before_the_callers_own_limits_are_refused() {
        let home = Target {
            is_callers_home: true,
            ..account(None)
        };
        assert_eq!(invalid_fields(set(&home, USERS_MAX, -1)), [VALUE]);
    }

    #[test]
    fn quota_sums_the_values_in_force_per_name() {
        let a = own(&[(USERS_MAX, 3)]);
        let b = Overrides::new();
        let items = quota([(plan("starter"), &a), (plan("business"), &b)]);
        let users = items.iter().find(|i| i.name == USERS_MAX).expect("users");
        assert_eq!((users.allocated, users.accounts), (3 + 50, 2));
        let names: Vec<_> = items.iter().map(|i| i.name).collect();
        assert_eq!(names, account_limit_names());
    }

    #[test]
    fn quota_of_no_accounts_is_zero_for_every_name() {
        let items = quota([]);
        assert!(!items.is_empty());
        assert!(items.iter().all(|i| i.allocated == 0 && i.accounts == 0));
    }

    #[test]
    fn quota_saturates_instead_of_wrapping() {
        let big = own(&[("Storage_bytesMax", MAX_VALUE)]);
        let items = quota(std::iter::repeat_n((plan("starter"), &big), 10_000));
        let storage = items
            .iter()
            .find(|i| i.name == "Storage_bytesMax")
            .expect("storage");
        assert_eq!(storage.allocated, i64::MAX);
    }
}
