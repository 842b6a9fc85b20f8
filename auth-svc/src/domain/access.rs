//! Who may manage which API clients, who may hold one, and the API access
//! requests of partners (DESIGN §5: the owner role manages all clients of
//! its subtree, the public-API role only its own).

/// Manage every client of the principal's subtree.
pub const MANAGE_ALL: &str = "clients:manage-all";
/// Manage the principal's own clients.
pub const MANAGE_OWN: &str = "clients:manage-own";

/// The roles whose contacts may hold API clients.
pub const HOLDER_ROLES: [&str; 2] = ["AG_PRIVATELABELOWNERS", "AG_PRIVATELABELPUBLICAPI"];

/// How far a principal's client management reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manage {
    /// Its own contact's clients.
    Own,
    /// Every client of its subtree, its own included.
    All,
}

impl Manage {
    /// From a principal's granted permissions; `None` when it may manage none.
    pub fn of(scopes: &[String]) -> Option<Self> {
        if scopes.iter().any(|s| s == MANAGE_ALL) {
            Some(Self::All)
        } else if scopes.iter().any(|s| s == MANAGE_OWN) {
            Some(Self::Own)
        } else {
            None
        }
    }
}

/// Whether `path` has the shape of account-svc's customer paths:
/// `/root/…/self/`, each segment an id of ASCII letters and digits. Only
/// such a path is a safe prefix: without the trailing `/`, `/a/b` would
/// also claim `/a/bc/`; an empty one would claim everything; and no segment
/// can hold a LIKE wildcard.
pub fn is_customer_path(path: &str) -> bool {
    path.strip_prefix('/')
        .and_then(|p| p.strip_suffix('/'))
        .is_some_and(|inner| {
            !inner.is_empty()
                && inner
                    .split('/')
                    .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric()))
        })
}

/// Whether `path` lies in the subtree of `home_path`. A home path of the
/// wrong shape (see [`is_customer_path`]) contains nothing.
pub fn within(home_path: &str, path: &str) -> bool {
    is_customer_path(home_path) && path.starts_with(home_path)
}

/// The principal looking at clients: its granted permissions, its contact,
/// and its home partner's path (empty when it was not looked up, which
/// makes only its own clients visible).
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub scopes: &'a [String],
    pub contact_id: &'a str,
    pub home_path: &'a str,
}

/// Whether the viewer may see and manage a client held by
/// `client_contact_id` under the customer at `client_path`. Anything it may
/// not is answered NOT_FOUND, so a client id does not reveal that it exists.
pub fn may_manage(viewer: &Viewer<'_>, client_contact_id: &str, client_path: &str) -> bool {
    match Manage::of(viewer.scopes) {
        Some(Manage::All) => {
            within(viewer.home_path, client_path) || viewer.contact_id == client_contact_id
        }
        Some(Manage::Own) => viewer.contact_id == client_contact_id,
        None => false,
    }
}

/// Whether these roles (on the client's customer) allow holding clients.
pub fn may_hold_clients(roles: &[String]) -> bool {
    roles.iter().any(|r| HOLDER_ROLES.contains(&r.as_str()))
}

/// Where an API access request stands. Rejection is final for that request;
/// the partner may file a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessStatus {
    Pending,
    Approved,
    Rejected,
}

impl AccessStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn decision(approve: bool) -> Self {
        if approve {
            Self::Approved
        } else {
            Self::Rejected
        }
    }
}

/// The contacts an access request names: 1..=50 platform ids, each once.
/// The limit keeps one request's role checks (a call each) bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactIds(Vec<String>);

pub const MAX_CONTACT_IDS: usize = 50;

impl ContactIds {
    /// Every problem, as (field, message) with the field `contactIDs[i]`.
    pub fn parse(ids: &[String]) -> Result<Self, Vec<(String, String)>> {
        let mut problems = Vec::new();
        if ids.is_empty() {
            problems.push((
                "contactIDs".to_owned(),
                "needs at least one contact".to_owned(),
            ));
        }
        if ids.len() > MAX_CONTACT_IDS {
            problems.push((
                "contactIDs".to_owned(),
                format!("may name at most {MAX_CONTACT_IDS} contacts"),
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            if !platform::id::is_id(id) {
                problems.push((
                    format!("contactIDs[{i}]"),
                    "must be a 32-character id".into(),
                ));
            } else if ids[..i].contains(id) {
                problems.push((format!("contactIDs[{i}]"), "is listed twice".into()));
            }
        }
        if problems.is_empty() {
            Ok(Self(ids.to_vec()))
        } else {
            Err(problems)
        }
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// As the `access_request.contact_ids` column keeps them.
    pub fn stored(&self) -> String {
        self.0.join(" ")
    }
}

/// Whether a stored contact list (space-separated) names `contact_id`.
pub fn names_contact(stored: &str, contact_id: &str) -> bool {
    stored.split_whitespace().any(|c| c == contact_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &str) -> Vec<String> {
        list.split_whitespace().map(str::to_owned).collect()
    }

    const ME: &str = "me";
    const HOME: &str = "/root/p1/";

    fn sees(scope_list: &str, home: &str, contact: &str, path: &str) -> bool {
        let s = scopes(scope_list);
        may_manage(
            &Viewer {
                scopes: &s,
                contact_id: ME,
                home_path: home,
            },
            contact,
            path,
        )
    }

    #[test]
    fn manage_all_sees_every_client_of_its_subtree() {
        assert!(sees(MANAGE_ALL, HOME, "other", "/root/p1/"));
        assert!(sees(MANAGE_ALL, HOME, "other", "/root/p1/a2/"));
    }

    #[test]
    fn manage_all_does_not_see_beside_or_above_its_subtree() {
        assert!(!sees(MANAGE_ALL, HOME, "other", "/root/"));
        assert!(!sees(MANAGE_ALL, HOME, "other", "/root/p2/"));
        assert!(!sees(MANAGE_ALL, HOME, "other", "/root/p10/"));
        assert!(!sees(MANAGE_ALL, HOME, "other", ""));
    }

    #[test]
    fn a_contact_sees_its_own_clients_wherever_they_are() {
        assert!(sees(MANAGE_OWN, HOME, ME, "/root/p2/"));
        assert!(sees(MANAGE_ALL, HOME, ME, "/root/"));
        assert!(sees(MANAGE_OWN, "", ME, ""));
    }

    #[test]
    fn manage_own_does_not_see_other_contacts_clients_even_in_its_subtree() {
        assert!(!sees(MANAGE_OWN, HOME, "other", "/root/p1/"));
    }

    #[test]
    fn without_a_manage_permission_nothing_is_visible() {
        assert!(!sees("accounts:read", HOME, ME, "/root/p1/"));
        assert!(!sees("", HOME, ME, "/root/p1/"));
    }

    #[test]
    fn an_unknown_home_path_contains_nothing() {
        assert!(!sees(MANAGE_ALL, "", "other", "/root/p1/"));
        assert!(!sees(MANAGE_ALL, "/", "other", "/root/p1/"));
        assert!(!sees(MANAGE_ALL, "/root/p1", "other", "/root/p10/"));
    }

    #[test]
    fn a_customer_path_is_slash_delimited_ids() {
        assert!(is_customer_path("/root/"));
        assert!(is_customer_path("/root/p1/a2/"));
        assert!(!is_customer_path(""));
        assert!(!is_customer_path("/"));
        assert!(!is_customer_path("//"));
        assert!(!is_customer_path("/root"));
        assert!(!is_customer_path("root/"));
        assert!(!is_customer_path("/root//p1/"));
        assert!(!is_customer_path("/ro%t/"));
        assert!(!is_customer_path("/ro_t/"));
    }

    #[test]
    fn manage_all_outranks_manage_own() {
        assert_eq!(
            Manage::of(&scopes("clients:manage-own clients:manage-all")),
            Some(Manage::All)
        );
        assert_eq!(Manage::of(&scopes("clients:manage-own")), Some(Manage::Own));
        assert_eq!(Manage::of(&scopes("accounts:read")), None);
    }

    #[test]
    fn owners_and_public_api_contacts_may_hold_clients() {
        assert!(may_hold_clients(&scopes(
            "AG_PRIVATELABELSALES AG_PRIVATELABELPUBLICAPI"
        )));
        assert!(may_hold_clients(&scopes("AG_PRIVATELABELOWNERS")));
        assert!(!may_hold_clients(&scopes("AG_PRIVATELABELOPERATORS Owner")));
        assert!(!may_hold_clients(&[]));
    }

    #[test]
    fn an_access_request_names_1_to_50_distinct_contacts() {
        let id = || platform::id::new_id();
        assert!(ContactIds::parse(&[id()]).is_ok());
        assert!(ContactIds::parse(&(0..50).map(|_| id()).collect::<Vec<_>>()).is_ok());
        assert_eq!(ContactIds::parse(&[]).expect_err("none")[0].0, "contactIDs");
        assert_eq!(
            ContactIds::parse(&(0..51).map(|_| id()).collect::<Vec<_>>()).expect_err("51")[0].0,
            "contactIDs"
        );
        let same = id();
        let problems = ContactIds::parse(&[same.clone(), "nope".into(), same]).expect_err("bad");
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["contactIDs[1]", "contactIDs[2]"]);
    }

    #[test]
    fn a_stored_contact_list_names_whole_ids_only() {
        assert!(names_contact("aa bb", "bb"));
        assert!(!names_contact("aa bbb", "bb"));
        assert!(!names_contact("", "bb"));
    }
}
