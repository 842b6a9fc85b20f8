//! The plan catalogue that ships with the platform: one partner plan and a
//! few account plans, each with its named limits and list prices.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    Partner,
    Account,
}

impl PlanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partner => "partner",
            Self::Account => "account",
        }
    }
}

#[derive(Debug)]
pub struct Plan {
    pub name: &'static str,
    pub pretty_name: &'static str,
    pub kind: PlanKind,
    /// Named limits and their defaults (DESIGN §6: `Iam_usersMax`, …).
    pub limits: &'static [(&'static str, i64)],
    /// (item, amount in minor units, ISO 4217 currency, per units): item
    /// [`MONTHLY`] is the fee per calendar month; any other item is a usage
    /// meter, `amount` buying `per` units of it.
    pub prices: &'static [(&'static str, i64, &'static str, i64)],
}

const GIB: i64 = 1 << 30;

/// The most user contacts a customer on the plan may have (DESIGN §6).
pub const USERS_MAX: &str = "Iam_usersMax";

impl Plan {
    /// The plan's value of the limit `name`, if it has one.
    pub fn limit(&self, name: &str) -> Option<i64> {
        self.limits
            .iter()
            .find_map(|(n, value)| (*n == name).then_some(*value))
    }
}

/// The price item of a plan's fee per calendar month.
pub const MONTHLY: &str = "monthly";

pub const DEFAULT_PARTNER_PLAN: &str = "partner-standard";

/// The root distributor's plan, and no one else's: the platform's operator
/// provisions every partner through it, so its API budget is the largest.
pub const DISTRIBUTOR_PLAN: &str = "distributor";

pub const PLANS: &[Plan] = &[
    Plan {
        name: DISTRIBUTOR_PLAN,
        pretty_name: "Distributor",
        kind: PlanKind::Partner,
        limits: &[
            (USERS_MAX, 1000),
            ("Api_requestsPerMinute", 12_000),
            ("Api_burst", 2000),
        ],
        prices: &[],
    },
    Plan {
        name: DEFAULT_PARTNER_PLAN,
        pretty_name: "Partner Standard",
        kind: PlanKind::Partner,
        limits: &[
            (USERS_MAX, 100),
            ("Api_requestsPerMinute", 600),
            ("Api_burst", 100),
        ],
        prices: &[],
    },
    Plan {
        name: "starter",
        pretty_name: "Starter",
        kind: PlanKind::Account,
        limits: &[
            (USERS_MAX, 5),
            ("Storage_bytesMax", 10 * GIB),
            ("Api_requestsPerMinute", 60),
            ("Api_burst", 20),
        ],
        prices: &[
            (MONTHLY, 900, "USD", 1),
            ("users", 500, "USD", 1),
            ("api_calls", 10, "USD", 1000),
        ],
    },
    Plan {
        name: "business",
        pretty_name: "Business",
        kind: PlanKind::Account,
        limits: &[
            (USERS_MAX, 50),
            ("Storage_bytesMax", 100 * GIB),
            ("Api_requestsPerMinute", 300),
            ("Api_burst", 50),
        ],
        prices: &[
            (MONTHLY, 2900, "USD", 1),
            ("users", 1200, "USD", 1),
            ("api_calls", 8, "USD", 1000),
        ],
    },
    Plan {
        name: "enterprise",
        pretty_name: "Enterprise",
        kind: PlanKind::Account,
        limits: &[
            (USERS_MAX, 1000),
            ("Storage_bytesMax", 1024 * GIB),
            ("Api_requestsPerMinute", 1200),
            ("Api_burst", 200),
        ],
        prices: &[
            (MONTHLY, 9900, "USD", 1),
            ("users", 2500, "USD", 1),
            ("api_calls", 5, "USD", 1000),
        ],
    },
];

pub fn find(name: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.name == name)
}

/// The `Iam_usersMax` of the plan named, or 0 (no limit, as the protos spell
/// it) for a plan without one.
pub fn users_max(plan_name: &str) -> i64 {
    find(plan_name)
        .and_then(|p| p.limit(USERS_MAX))
        .unwrap_or(0)
}

/// The account plans a partner may sell; today every partner sells the whole
/// account catalogue.
pub fn sellable() -> impl Iterator<Item = &'static Plan> {
    PLANS.iter().filter(|p| p.kind == PlanKind::Account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_partner_plan_is_a_partner_plan() {
        assert_eq!(
            find(DEFAULT_PARTNER_PLAN).map(|p| p.kind),
            Some(PlanKind::Partner)
        );
    }

    #[test]
    fn a_plan_answers_its_limits_by_name() {
        let starter = find("starter").expect("starter");
        assert_eq!(starter.limit(USERS_MAX), Some(5));
        assert_eq!(starter.limit("Nothing_max"), None);
    }

    #[test]
    fn users_max_is_the_plans_limit_or_none() {
        assert_eq!(users_max("business"), 50);
        assert_eq!(users_max("no-such-plan"), 0);
    }

    #[test]
    fn every_plan_defines_the_api_rate_limits() {
        for p in PLANS {
            assert!(
                p.limits.iter().any(|(n, _)| *n == "Api_requestsPerMinute"),
                "{}",
                p.name
            );
            assert!(
                p.limits.iter().any(|(n, _)| *n == "Api_burst"),
                "{}",
                p.name
            );
        }
    }
}
