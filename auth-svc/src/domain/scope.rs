//! OAuth2 scopes (RFC 6749 §3.3): a token may be narrowed to some of the
//! permissions its contact's roles grant, never widened past them.
//!
//! The permissions themselves are contact-svc's (the role catalogue); here
//! a scope is only a name compared with the names contact-svc answers, so an
//! unknown name is simply "not allowed".

/// The scope a client asked for: its permission names, in the order first
/// asked, each once. Empty asks for everything the roles allow.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope(Vec<String>);

impl Scope {
    /// RFC 6749 §3.3: space-delimited, order does not matter, so repeated
    /// names collapse. Any whitespace separates, as the gateway may pass
    /// a form value through unchanged.
    pub fn parse(s: &str) -> Self {
        let mut names: Vec<String> = Vec::new();
        for name in s.split_whitespace() {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        Self(names)
    }

    /// True when the client asked for all its roles allow.
    pub fn is_all(&self) -> bool {
        self.0.is_empty()
    }

    /// What the token row keeps: the names asked, or "" for all.
    pub fn stored(&self) -> String {
        self.0.join(" ")
    }

    /// The permissions a new token gets out of `permissions` (those of its
    /// contact's current roles): all of them when nothing was asked, else
    /// exactly those asked. Err lists every asked name the roles do not
    /// grant, for the `invalid_scope` answer.
    pub fn grant(&self, permissions: &[String]) -> Result<Vec<String>, Vec<String>> {
        if self.is_all() {
            return Ok(permissions.to_vec());
        }
        let not_allowed: Vec<String> = self
            .0
            .iter()
            .filter(|name| !permissions.contains(name))
            .cloned()
            .collect();
        if not_allowed.is_empty() {
            Ok(self.0.clone())
        } else {
            Err(not_allowed)
        }
    }

    /// What an existing token may do now: the contact's current permissions
    /// intersected with those asked at issue (all when nothing was asked).
    /// A permission lost since issue is gone at once; one asked for but
    /// lost and later regained comes back, as it was granted once.
    pub fn effective(&self, current: &[String]) -> Vec<String> {
        current
            .iter()
            .filter(|p| self.is_all() || self.0.contains(p))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(list: &str) -> Vec<String> {
        list.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn a_scope_is_space_separated_and_each_name_counts_once() {
        let s = Scope::parse("  accounts:read\taccounts:read  clients:manage-own ");
        assert_eq!(s.stored(), "accounts:read clients:manage-own");
    }

    #[test]
    fn an_empty_scope_asks_for_everything_and_is_stored_empty() {
        let s = Scope::parse(" ");
        assert!(s.is_all());
        assert_eq!(s.stored(), "");
        assert_eq!(
            s.grant(&perms("a:read b:write")),
            Ok(perms("a:read b:write"))
        );
    }

    #[test]
    fn a_scope_within_the_roles_is_granted_as_asked() {
        let s = Scope::parse("b:write");
        assert_eq!(s.grant(&perms("a:read b:write")), Ok(perms("b:write")));
    }

    #[test]
    fn every_name_the_roles_lack_is_named_in_the_refusal() {
        let s = Scope::parse("a:read nonsense b:write c:admin");
        assert_eq!(
            s.grant(&perms("a:read b:write")),
            Err(perms("nonsense c:admin"))
        );
    }

    #[test]
    fn the_effective_scope_is_current_permissions_within_those_asked() {
        let asked = Scope::parse("a:read c:admin");
        assert_eq!(asked.effective(&perms("a:read b:write")), perms("a:read"));
        assert_eq!(
            asked.effective(&perms("a:read b:write c:admin")),
            perms("a:read c:admin")
        );
        assert!(asked.effective(&[]).is_empty());
    }

    #[test]
    fn a_token_asked_for_everything_follows_the_roles() {
        let all = Scope::parse("");
        assert_eq!(all.effective(&perms("a:read")), perms("a:read"));
        assert_eq!(all.effective(&perms("a:read x:y")), perms("a:read x:y"));
    }
}
