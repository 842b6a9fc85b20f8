//! The role catalogue (DESIGN §5): partner-contact roles by the reference's
//! names, account-contact roles, and the permissions each grants. Data, not
//! scattered `if`s: a new role or permission is one more row here.

/// Every permission there is, sorted so that lists built from it compare
/// and diff predictably.
pub const PERMISSIONS: &[&str] = &[
    "accounts:read",
    "accounts:write",
    "billing:read",
    "billing:write",
    "clients:manage-all",
    "clients:manage-own",
    "contacts:read",
    "contacts:write",
    "limits:read",
    "limits:write",
    "settings:read",
    "settings:write",
];

/// The kind of customer a role is held on: partner roles go on partners,
/// account roles on accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Partner,
    Account,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "partner" => Ok(Self::Partner),
            "account" => Ok(Self::Account),
            _ => Err("must be \"partner\" or \"account\"".into()),
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partner => "partner",
            Self::Account => "account",
        }
    }

    /// The role that owns a customer of this kind. A customer must keep
    /// one holder, or nobody is left who may manage its contacts.
    pub fn owner_role(self) -> &'static str {
        match self {
            Self::Partner => "AG_PRIVATELABELOWNERS",
            Self::Account => "Owner",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    pub name: &'static str,
    pub display_name: &'static str,
    pub kind: Kind,
    /// What the role allows, sorted; a subset of [`PERMISSIONS`].
    pub permissions: &'static [&'static str],
}

/// In the order the reference lists them; `ListRoles` answers in this order.
pub const ROLES: &[Role] = &[
    Role {
        name: "AG_PRIVATELABELOWNERS",
        display_name: "Private Label Owner",
        kind: Kind::Partner,
        // "Only contacts with role Private Label Owner have full access via API."
        permissions: PERMISSIONS,
    },
    Role {
        name: "AG_PRIVATELABELOPERATORS",
        display_name: "Private Label Operator",
        kind: Kind::Partner,
        permissions: &[
            "accounts:read",
            "accounts:write",
            "contacts:read",
            "contacts:write",
            "limits:read",
            "limits:write",
            "settings:read",
        ],
    },
    Role {
        name: "AG_PRIVATELABELBILLINGADMINS",
        display_name: "Private Label Billing Admin",
        kind: Kind::Partner,
        permissions: &["accounts:read", "billing:read", "billing:write"],
    },
    Role {
        name: "AG_PRIVATELABELCUSTOMIZATIONADMINS",
        display_name: "Private Label Customization Admin",
        kind: Kind::Partner,
        permissions: &["accounts:read", "settings:read", "settings:write"],
    },
    Role {
        name: "AG_PRIVATELABELSALES",
        display_name: "Private Label Sales",
        kind: Kind::Partner,
        permissions: &[
            "accounts:read",
            "billing:read",
            "contacts:read",
            "limits:read",
            "settings:read",
        ],
    },
    Role {
        name: "AG_PRIVATELABELPUBLICAPI",
        display_name: "Private Label Public API",
        kind: Kind::Partner,
        // It may hold API clients and manage its own; anything else its
        // tokens do comes from the contact's other roles (DESIGN §5).
        permissions: &["clients:manage-own"],
    },
    Role {
        name: "Owner",
        display_name: "Owner",
        kind: Kind::Account,
        permissions: &[
            "accounts:read",
            "billing:read",
            "billing:write",
            "contacts:read",
            "contacts:write",
            "limits:read",
            "settings:read",
        ],
    },
    Role {
        name: "AccountBillingManager",
        display_name: "Account Billing Manager",
        kind: Kind::Account,
        permissions: &["accounts:read", "billing:read", "billing:write"],
    },
    Role {
        name: "ContactManager",
        display_name: "Contact Manager",
        kind: Kind::Account,
        permissions: &["accounts:read", "contacts:read", "contacts:write"],
    },
    Role {
        name: "SecurityManager",
        display_name: "Security Manager",
        kind: Kind::Account,
        permissions: &["accounts:read", "contacts:read", "settings:read"],
    },
    Role {
        name: "TechnicalAdministrator",
        display_name: "Technical Administrator",
        kind: Kind::Account,
        permissions: &["accounts:read", "limits:read"],
    },
];

impl Role {
    pub fn parse(name: &str) -> Result<Self, String> {
        ROLES
            .iter()
            .copied()
            .find(|r| r.name == name)
            .ok_or_else(|| format!("unknown role {name:?}"))
    }

    /// Whether `name` owns the customers of its kind (see [`Kind::owner_role`]).
    pub fn is_owner_role(name: &str) -> bool {
        [Kind::Partner, Kind::Account]
            .iter()
            .any(|kind| kind.owner_role() == name)
    }

    /// A role to hold on a customer of `kind`: known, and of that kind.
    pub fn parse_for(name: &str, kind: Kind) -> Result<Self, String> {
        let role = Self::parse(name)?;
        if role.kind != kind {
            return Err(format!(
                "{name} is {} {} role; this customer is {} {}",
                article(role.kind),
                role.kind.as_str(),
                article(kind),
                kind.as_str()
            ));
        }
        Ok(role)
    }
}

fn article(kind: Kind) -> &'static str {
    match kind {
        Kind::Partner => "a",
        Kind::Account => "an",
    }
}

/// Parses a list of role names: each known, of `kind` when the kind is
/// known (without one, only existence can be checked), and listed once.
/// Answers the catalogue names in the order given, or one message per
/// problem in that order.
pub fn parse_roles(
    names: &[impl AsRef<str>],
    kind: Option<Kind>,
) -> Result<Vec<&'static str>, Vec<String>> {
    let mut roles: Vec<&'static str> = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        let name = name.as_ref();
        let parsed = match kind {
            Some(kind) => Role::parse_for(name, kind),
            None => Role::parse(name),
        };
        match parsed {
            // A second copy would add nothing, and the store keys
            // assignments by role: refuse it rather than guess.
            Ok(role) if roles.contains(&role.name) => {
                errors.push(format!("{name} is listed twice"));
            }
            Ok(role) => roles.push(role.name),
            Err(message) => errors.push(message),
        }
    }
    if errors.is_empty() {
        Ok(roles)
    } else {
        Err(errors)
    }
}

/// What the named roles allow together: the sorted, deduplicated union of
/// their permissions. Names not in the catalogue grant nothing, so a role
/// retired from the catalogue stops granting at once.
pub fn permissions_of(roles: &[impl AsRef<str>]) -> Vec<&'static str> {
    let mut permissions: Vec<&'static str> = ROLES
        .iter()
        .filter(|role| roles.iter().any(|name| name.as_ref() == role.name))
        .flat_map(|role| role.permissions.iter().copied())
        .collect();
    permissions.sort_unstable();
    permissions.dedup();
    permissions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_sorted_and_unique(list: &[&str]) -> bool {
        list.windows(2).all(|w| w[0] < w[1])
    }

    #[test]
    fn known_roles_parse_and_unknown_do_not() {
        assert_eq!(
            Role::parse("AG_PRIVATELABELOWNERS").expect("known").kind,
            Kind::Partner
        );
        assert_eq!(Role::parse("Owner").expect("known").kind, Kind::Account);
        assert!(Role::parse("Root").is_err());
    }

    #[test]
    fn an_unknown_role_is_named_in_the_message() {
        let message = Role::parse("Root").expect_err("unknown");
        assert!(message.contains("Root"), "{message}");
    }

    #[test]
    fn customer_kind_is_partner_or_account() {
        assert_eq!(Kind::parse("partner"), Ok(Kind::Partner));
        assert_eq!(Kind::parse("account"), Ok(Kind::Account));
        assert!(Kind::parse("Partner").is_err());
        assert!(Kind::parse("").is_err());
    }

    #[test]
    fn partner_roles_go_only_on_partners() {
        assert!(Role::parse_for("AG_PRIVATELABELSALES", Kind::Partner).is_ok());
        assert_eq!(
            Role::parse_for("AG_PRIVATELABELSALES", Kind::Account),
            Err("AG_PRIVATELABELSALES is a partner role; this customer is an account".into())
        );
    }

    #[test]
    fn account_roles_go_only_on_accounts() {
        assert!(Role::parse_for("Owner", Kind::Account).is_ok());
        assert_eq!(
            Role::parse_for("Owner", Kind::Partner),
            Err("Owner is an account role; this customer is a partner".into())
        );
    }

    #[test]
    fn each_kind_has_an_owner_role_of_that_kind() {
        for kind in [Kind::Partner, Kind::Account] {
            assert_eq!(
                Role::parse(kind.owner_role())
                    .expect("in the catalogue")
                    .kind,
                kind
            );
        }
    }

    #[test]
    fn only_the_two_owner_roles_own() {
        let owners: Vec<_> = ROLES
            .iter()
            .filter(|r| Role::is_owner_role(r.name))
            .map(|r| r.name)
            .collect();
        assert_eq!(owners, ["AG_PRIVATELABELOWNERS", "Owner"]);
    }

    #[test]
    fn permission_catalogue_is_sorted_and_unique() {
        assert!(is_sorted_and_unique(PERMISSIONS));
    }

    #[test]
    fn role_names_are_unique() {
        for (i, role) in ROLES.iter().enumerate() {
            assert!(
                ROLES[i + 1..].iter().all(|other| other.name != role.name),
                "{} is listed twice",
                role.name
            );
        }
    }

    #[test]
    fn every_role_permission_is_in_the_catalogue() {
        for role in ROLES {
            for permission in role.permissions {
                assert!(
                    PERMISSIONS.contains(permission),
                    "{}: {permission}",
                    role.name
                );
            }
        }
    }

    #[test]
    fn every_role_lists_its_permissions_sorted_and_once() {
        for role in ROLES {
            assert!(is_sorted_and_unique(role.permissions), "{}", role.name);
        }
    }

    #[test]
    fn owners_hold_every_permission() {
        assert_eq!(permissions_of(&["AG_PRIVATELABELOWNERS"]), PERMISSIONS);
    }

    #[test]
    fn only_owners_may_manage_every_client() {
        let holders: Vec<_> = ROLES
            .iter()
            .filter(|r| r.permissions.contains(&"clients:manage-all"))
            .map(|r| r.name)
            .collect();
        assert_eq!(holders, ["AG_PRIVATELABELOWNERS"]);
    }

    #[test]
    fn public_api_role_manages_only_its_own_clients() {
        assert_eq!(
            permissions_of(&["AG_PRIVATELABELPUBLICAPI"]),
            ["clients:manage-own"]
        );
    }

    #[test]
    fn public_api_role_adds_to_what_other_roles_allow() {
        assert_eq!(
            permissions_of(&["AG_PRIVATELABELPUBLICAPI", "AG_PRIVATELABELBILLINGADMINS"]),
            [
                "accounts:read",
                "billing:read",
                "billing:write",
                "clients:manage-own"
            ]
        );
    }

    #[test]
    fn sales_may_only_read() {
        let permissions = permissions_of(&["AG_PRIVATELABELSALES"]);
        assert!(!permissions.is_empty());
        assert!(
            permissions.iter().all(|p| p.ends_with(":read")),
            "{permissions:?}"
        );
    }

    #[test]
    fn union_is_sorted_and_unique() {
        let union = permissions_of(&["Owner", "ContactManager", "AccountBillingManager"]);
        assert!(is_sorted_and_unique(&union), "{union:?}");
        assert_eq!(
            union,
            permissions_of(&["Owner"]),
            "both are inside Owner's permissions"
        );
    }

    #[test]
    fn unknown_role_names_grant_nothing() {
        assert!(permissions_of(&["Root"]).is_empty());
        assert_eq!(
            permissions_of(&["Root", "TechnicalAdministrator"]),
            ["accounts:read", "limits:read"]
        );
    }

    #[test]
    fn no_roles_grant_nothing() {
        assert!(permissions_of(&[] as &[&str]).is_empty());
    }

    #[test]
    fn role_lists_keep_the_order_given() {
        assert_eq!(
            parse_roles(&["Owner", "ContactManager"], Some(Kind::Account)),
            Ok(vec!["Owner", "ContactManager"])
        );
    }

    #[test]
    fn a_role_listed_twice_is_refused() {
        assert_eq!(
            parse_roles(&["Owner", "ContactManager", "Owner"], None),
            Err(vec!["Owner is listed twice".to_owned()])
        );
    }

    #[test]
    fn a_role_list_reports_every_problem_in_order() {
        assert_eq!(
            parse_roles(&["Root", "Owner", "Owner"], Some(Kind::Account)),
            Err(vec![
                "unknown role \"Root\"".to_owned(),
                "Owner is listed twice".to_owned()
            ])
        );
    }

    #[test]
    fn a_role_list_for_a_kind_refuses_roles_of_the_other_kind() {
        assert!(parse_roles(&["AG_PRIVATELABELSALES"], Some(Kind::Account)).is_err());
        assert!(parse_roles(&["AG_PRIVATELABELSALES"], None).is_ok());
    }

    #[test]
    fn an_empty_role_list_parses() {
        assert_eq!(parse_roles(&[] as &[&str], None), Ok(vec![]));
    }
}
