//! A partner's settings: where its customers get support, the culture its
//! new customers default to, the networks its API clients may call from, the
//! password policy of the contacts below it, and the read-only features its
//! programme includes. Empty text means unset, as the proto's
//! `PartnerSettings` says.

use platform::net::Cidr;
use platform::status::Violations;
use proto::account::v1 as pb;

use super::culture::Culture;
use super::{PartnerProgram, unless_empty};

/// RFC 5321 §4.5.3.1.3 caps a path at 256 octets, two of them the angle
/// brackets, so no deliverable address is longer than 254.
const MAX_EMAIL: usize = 254;

/// A support e-mail address: one `@`, a name before it, a dotted domain after
/// it, no white space. Deliverability is the partner's business; this only
/// keeps out what could never be an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportEmail(String);

impl SupportEmail {
    pub fn parse(s: &str) -> Result<Self, String> {
        let v = s.trim();
        if v.is_empty() {
            return Err("is required".into());
        }
        if v.chars().count() > MAX_EMAIL {
            return Err(format!("must be at most {MAX_EMAIL} characters"));
        }
        if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces or control characters".into());
        }
        let (local, domain) = match v.split_once('@') {
            Some((l, d)) if !d.contains('@') => (l, d),
            _ => return Err("must contain exactly one @".into()),
        };
        if local.is_empty() {
            return Err("needs a name before the @".into());
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err("needs a dotted domain after the @, such as example.com".into());
        }
        Ok(Self(v.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The most networks a partner may list: an allow-list is a handful of
/// office and data-centre blocks, and every API call is checked against it.
pub const MAX_NETWORKS: usize = 100;

/// The networks a partner's API clients may call from, canonical and without
/// repeats, in the order first given. Empty allows every network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(Vec<Cidr>);

impl Networks {
    /// Parses a request's list, reporting the list as a whole under `field`
    /// and each bad entry under `field[i]`. The cap counts entries as given,
    /// so it bounds the work before any parsing.
    pub fn parse(cidrs: &[String], field: &str, v: &mut Violations) -> Option<Self> {
        if cidrs.len() > MAX_NETWORKS {
            v.add(field, format!("must list at most {MAX_NETWORKS} networks"));
            return None;
        }
        let mut out: Vec<Cidr> = Vec::new();
        let mut ok = true;
        for (i, s) in cidrs.iter().enumerate() {
            match Cidr::parse(s) {
                // Equal after parsing means equal networks: `10.0.0.0/8` and
                // ` 10.0.0.0/8` are one entry, not two.
                Ok(c) if out.contains(&c) => {}
                Ok(c) => out.push(c),
                Err(m) => {
                    v.add(format!("{field}[{i}]"), m);
                    ok = false;
                }
            }
        }
        ok.then_some(Self(out))
    }

    /// The stored form: canonical blocks separated by a space.
    pub fn to_stored(&self) -> String {
        self.canonical().collect::<Vec<_>>().join(" ")
    }

    /// Each block as `Cidr`'s Display writes it (`10.0.0.0/8`, `2001:db8::/32`).
    pub fn canonical(&self) -> impl Iterator<Item = String> + '_ {
        self.0.iter().map(Cidr::to_string)
    }
}

/// The shortest minimum a partner may set: the platform's own floor (issue
/// 5: at least 6 characters by default), which no partner can loosen.
pub const MIN_PASSWORD_LENGTH: i32 = 6;
/// The longest minimum a partner may set. Passwords themselves have no
/// longest length (the reference sets none); this bounds only the rule, so
/// a partner cannot ask for a password no person would type.
pub const MAX_PASSWORD_LENGTH: i32 = 128;

/// The minimum password length a partner sets, within
/// [`MIN_PASSWORD_LENGTH`]..=[`MAX_PASSWORD_LENGTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordMinLength(i32);

impl PasswordMinLength {
    pub fn parse(n: i32) -> Result<Self, String> {
        if (MIN_PASSWORD_LENGTH..=MAX_PASSWORD_LENGTH).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!(
                "must be between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH}"
            ))
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A password rule: what a partner's settings ask of the contacts below it,
/// or what applies to a customer once its ancestry is merged
/// ([`PasswordPolicy::strictest`]). contact-svc enforces it; letters and
/// digits are always required there, whatever the policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: i32,
    pub require_symbols: bool,
    pub require_mixed_case: bool,
}

/// The platform's rule where no partner asks for more (issue 5).
impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: MIN_PASSWORD_LENGTH,
            require_symbols: false,
            require_mixed_case: false,
        }
    }
}

impl PasswordPolicy {
    /// The rule that satisfies both: the longer minimum and every
    /// requirement either has.
    pub fn stricter(self, other: Self) -> Self {
        Self {
            min_length: self.min_length.max(other.min_length),
            require_symbols: self.require_symbols || other.require_symbols,
            require_mixed_case: self.require_mixed_case || other.require_mixed_case,
        }
    }

    /// The rule along a customer's ancestry: a partner's policy applies to
    /// its whole subtree and no descendant may loosen it, so every policy
    /// counts and the strictest wins. Starts from the platform's default,
    /// so no policy (or a looser stored one) never drops below the floor.
    pub fn strictest(policies: impl IntoIterator<Item = Self>) -> Self {
        policies
            .into_iter()
            .fold(Self::default(), |merged, p| merged.stricter(p))
    }
}

/// Names of the request fields, as the REST body spells them.
pub const SUPPORT_EMAIL: &str = "supportEmail";
pub const DEFAULT_CULTURE: &str = "defaultCulture";
pub const API_ALLOWED_NETWORKS: &str = "apiAllowedNetworks";
pub const PASSWORD_MIN_LENGTH: &str = "passwordMinLength";
pub const PASSWORD_REQUIRE_SYMBOLS: &str = "passwordRequireSymbols";
pub const PASSWORD_REQUIRE_MIXED_CASE: &str = "passwordRequireMixedCase";
pub const CREATE_PARTNERS: &str = "createPartners";
pub const PAYMENT_PROCESSING: &str = "paymentProcessing";

/// What an update sets: `None` leaves a setting as it is; `Some(None)`
/// clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsChange {
    pub support_email: Option<Option<SupportEmail>>,
    pub default_culture: Option<Option<Culture>>,
    pub api_allowed_networks: Option<Networks>,
    pub password_min_length: Option<PasswordMinLength>,
    pub password_require_symbols: Option<bool>,
    pub password_require_mixed_case: Option<bool>,
    pub create_partners: Option<bool>,
    pub payment_processing: Option<bool>,
}

impl SettingsChange {
    /// Parses the fields a request carries (empty text clears a setting),
    /// collecting every violation before answering.
    pub fn parse(r: &pb::UpdateSettingsRequest, v: &mut Violations) -> Option<Self> {
        let before = v.fields().len();
        let support_email = r
            .support_email
            .as_deref()
            .map(|s| v.check(SUPPORT_EMAIL, unless_empty(s, SupportEmail::parse)));
        let default_culture = r
            .default_culture
            .as_deref()
            .map(|s| v.check(DEFAULT_CULTURE, unless_empty(s, Culture::parse)));
        let api_allowed_networks = r
            .api_allowed_networks
            .as_ref()
            .map(|n| Networks::parse(&n.cidrs, API_ALLOWED_NETWORKS, v));
        let password_min_length = r
            .password_min_length
            .map(|n| v.check(PASSWORD_MIN_LENGTH, PasswordMinLength::parse(n)));
        if v.fields().len() > before {
            return None;
        }
        // Nothing failed, so `flatten` only drops the parse layer: absent
        // stays `None`, present keeps its (possibly cleared) value.
        Some(Self {
            support_email: support_email.flatten(),
            default_culture: default_culture.flatten(),
            api_allowed_networks: api_allowed_networks.flatten(),
            password_min_length: password_min_length.flatten(),
            password_require_symbols: r.password_require_symbols,
            password_require_mixed_case: r.password_require_mixed_case,
            create_partners: r.create_partners,
            payment_processing: r.payment_processing,
        })
    }

    /// The fields this change sets, for the log.
    pub fn fields(&self) -> Vec<&'static str> {
        [
            (self.support_email.is_some(), SUPPORT_EMAIL),
            (self.default_culture.is_some(), DEFAULT_CULTURE),
            (self.api_allowed_networks.is_some(), API_ALLOWED_NETWORKS),
            (self.password_min_length.is_some(), PASSWORD_MIN_LENGTH),
            (
                self.password_require_symbols.is_some(),
                PASSWORD_REQUIRE_SYMBOLS,
            ),
            (
                self.password_require_mixed_case.is_some(),
                PASSWORD_REQUIRE_MIXED_CASE,
            ),
            (self.create_partners.is_some(), CREATE_PARTNERS),
            (self.payment_processing.is_some(), PAYMENT_PROCESSING),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }
}

/// What a partner's parent granted it (stored with its settings; only an
/// ancestor changes them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grants {
    /// An advisor may create partners.
    pub create_partners: bool,
    /// The partner's customers may pay by credit card.
    pub payment_processing: bool,
}

/// What a partner may do: its programme, and within it what its parent
/// granted. Derived on every read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// Reference 000 and DESIGN §6.2: a distributor manages partners and
    /// accounts; a private-label partner manages accounts only; an advisor
    /// creates partners where its parent allows it.
    pub create_partners: bool,
    /// Every partner manages customer accounts (DESIGN §1).
    pub create_accounts: bool,
    /// Every programme may bill by paper check (the reference's payment
    /// types: credit card or paper check).
    pub paper_check: bool,
    /// Reference 002: "a Partner can use credit card in his requests, if
    /// payment processing is enabled for him"; the root always may.
    pub payment_processing: bool,
}

impl Features {
    pub fn of(program: PartnerProgram, grants: Grants) -> Self {
        let root = program == PartnerProgram::Distributor;
        Self {
            create_partners: match program {
                PartnerProgram::Distributor => true,
                PartnerProgram::Partner => false,
                PartnerProgram::Advisor => grants.create_partners,
            },
            create_accounts: true,
            paper_check: true,
            payment_processing: root || grants.payment_processing,
        }
    }

    /// The flags by their wire names.
    pub fn named(self) -> [(&'static str, bool); 4] {
        [
            ("createPartners", self.create_partners),
            ("createAccounts", self.create_accounts),
            ("paperCheck", self.paper_check),
            ("paymentProcessing", self.payment_processing),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn networks(list: &[&str]) -> (Option<Networks>, Violations) {
        let mut v = Violations::new();
        let owned: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        (Networks::parse(&owned, "n", &mut v), v)
    }

    #[test]
    fn support_email_needs_exactly_one_at() {
        assert!(SupportEmail::parse("help@example.com").is_ok());
        assert!(SupportEmail::parse("help.example.com").is_err());
        assert!(SupportEmail::parse("a@b@example.com").is_err());
    }

    #[test]
    fn support_email_needs_a_dotted_domain() {
        assert!(SupportEmail::parse("help@localhost").is_err());
        assert!(SupportEmail::parse("help@example.").is_err());
        assert!(SupportEmail::parse("help@.example.com").is_err());
    }

    #[test]
    fn support_email_needs_a_name_before_the_at() {
        assert!(SupportEmail::parse("@example.com").is_err());
    }

    #[test]
    fn support_email_has_no_spaces() {
        assert!(SupportEmail::parse("help desk@example.com").is_err());
    }

    #[test]
    fn support_email_is_at_most_254_characters() {
        let domain = "@example.com";
        let fits = format!("{}{domain}", "a".repeat(MAX_EMAIL - domain.len()));
        assert!(SupportEmail::parse(&fits).is_ok());
        assert!(SupportEmail::parse(&format!("a{fits}")).is_err());
    }

    #[test]
    fn empty_text_clears_a_setting() {
        let mut v = Violations::new();
        let r = pb::UpdateSettingsRequest {
            support_email: Some(String::new()),
            default_culture: Some(" ".into()),
            ..Default::default()
        };
        let change = SettingsChange::parse(&r, &mut v).expect("valid");
        assert_eq!(change.support_email, Some(None));
        assert_eq!(change.default_culture, Some(None));
        assert_eq!(change.api_allowed_networks, None);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut v = Violations::new();
        let r = pb::UpdateSettingsRequest {
            support_email: Some("x".into()),
            default_culture: Some("xx".into()),
            api_allowed_networks: Some(pb::Networks {
                cidrs: vec!["10.0.0.0/8".to_owned(), "banana".to_owned()],
            }),
            password_min_length: Some(5),
            ..Default::default()
        };
        assert!(SettingsChange::parse(&r, &mut v).is_none());
        let fields: Vec<_> = v.fields().iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "supportEmail",
                "defaultCulture",
                "apiAllowedNetworks[1]",
                "passwordMinLength"
            ]
        );
    }

    #[test]
    fn absent_fields_are_left_alone() {
        let mut v = Violations::new();
        let r = pb::UpdateSettingsRequest {
            default_culture: Some("fr-ca".into()),
            ..Default::default()
        };
        let change = SettingsChange::parse(&r, &mut v).expect("valid");
        assert_eq!(change.fields(), ["defaultCulture"]);
    }

    #[test]
    fn password_min_length_is_between_6_and_128() {
        assert!(PasswordMinLength::parse(5).is_err());
        assert!(PasswordMinLength::parse(-6).is_err());
        assert_eq!(
            PasswordMinLength::parse(6).map(PasswordMinLength::get),
            Ok(6)
        );
        assert_eq!(
            PasswordMinLength::parse(128).map(PasswordMinLength::get),
            Ok(128)
        );
        assert!(PasswordMinLength::parse(129).is_err());
    }

    #[test]
    fn the_password_fields_are_set_only_when_present() {
        let mut v = Violations::new();
        let r = pb::UpdateSettingsRequest {
            password_min_length: Some(12),
            password_require_symbols: Some(false),
            ..Default::default()
        };
        let change = SettingsChange::parse(&r, &mut v).expect("valid");
        assert_eq!(
            change.password_min_length.map(PasswordMinLength::get),
            Some(12)
        );
        assert_eq!(change.password_require_symbols, Some(false));
        assert_eq!(change.password_require_mixed_case, None);
        assert_eq!(
            change.fields(),
            ["passwordMinLength", "passwordRequireSymbols"]
        );
    }

    fn policy(min_length: i32, require_symbols: bool, require_mixed_case: bool) -> PasswordPolicy {
        PasswordPolicy {
            min_length,
            require_symbols,
            require_mixed_case,
        }
    }

    #[test]
    fn the_default_password_policy_is_6_characters_without_symbols_or_mixed_case() {
        assert_eq!(PasswordPolicy::default(), policy(6, false, false));
    }

    #[test]
    fn without_policies_along_the_ancestry_the_default_applies() {
        assert_eq!(PasswordPolicy::strictest([]), PasswordPolicy::default());
    }

    #[test]
    fn the_longest_minimum_along_the_ancestry_wins() {
        let merged = PasswordPolicy::strictest([policy(10, false, false), policy(8, false, false)]);
        assert_eq!(merged.min_length, 10);
    }

    #[test]
    fn a_requirement_anywhere_along_the_ancestry_applies() {
        let merged = PasswordPolicy::strictest([
            policy(10, false, true),
            policy(6, true, false),
            policy(6, false, false),
        ]);
        assert_eq!(merged, policy(10, true, true));
    }

    #[test]
    fn the_merge_never_drops_below_the_platform_floor() {
        // A row can only hold what UpdateSettings accepted, but the floor
        // holds even if one did not.
        assert_eq!(
            PasswordPolicy::strictest([policy(1, false, false)]).min_length,
            6
        );
    }

    #[test]
    fn networks_with_host_bits_are_refused() {
        let (parsed, v) = networks(&["10.0.0.0/8", "10.1.2.3/8"]);
        assert!(parsed.is_none());
        assert_eq!(v.fields()[0].0, "n[1]");
        assert!(v.fields()[0].1.contains("10.0.0.0/8"), "{:?}", v.fields());
    }

    #[test]
    fn duplicate_networks_are_kept_once() {
        let (parsed, _) = networks(&["10.0.0.0/8", "192.0.2.0/24", " 10.0.0.0/8"]);
        assert_eq!(
            parsed.expect("valid").to_stored(),
            "10.0.0.0/8 192.0.2.0/24"
        );
    }

    #[test]
    fn networks_are_stored_canonically() {
        let (parsed, _) = networks(&["2001:DB8:0::/32", "192.0.2.7"]);
        assert_eq!(
            parsed.expect("valid").to_stored(),
            "2001:db8::/32 192.0.2.7/32"
        );
    }

    #[test]
    fn at_most_100_networks() {
        let list: Vec<String> = (0..=MAX_NETWORKS)
            .map(|i| format!("10.0.{i}.0/24"))
            .collect();
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        let (parsed, v) = networks(&refs[..MAX_NETWORKS]);
        assert!(parsed.is_some(), "{v:?}");
        let (parsed, v) = networks(&refs);
        assert!(parsed.is_none());
        assert_eq!(v.fields()[0].0, "n");
    }

    const NONE: Grants = Grants {
        create_partners: false,
        payment_processing: false,
    };
    const ALL: Grants = Grants {
        create_partners: true,
        payment_processing: true,
    };

    #[test]
    fn advisors_create_partners_only_where_their_parent_allows_it() {
        assert!(!Features::of(PartnerProgram::Advisor, NONE).create_partners);
        assert!(Features::of(PartnerProgram::Advisor, ALL).create_partners);
    }

    #[test]
    fn private_label_partners_create_accounts_only() {
        assert!(!Features::of(PartnerProgram::Partner, ALL).create_partners);
        assert!(Features::of(PartnerProgram::Partner, ALL).create_accounts);
    }

    #[test]
    fn the_distributor_creates_partners_and_takes_cards_without_grants() {
        let f = Features::of(PartnerProgram::Distributor, NONE);
        assert!(f.create_partners && f.payment_processing);
    }

    #[test]
    fn payment_processing_below_the_root_is_granted() {
        assert!(!Features::of(PartnerProgram::Partner, NONE).payment_processing);
        assert!(Features::of(PartnerProgram::Partner, ALL).payment_processing);
    }

    #[test]
    fn every_programme_creates_accounts_and_takes_paper_checks() {
        for p in [
            PartnerProgram::Distributor,
            PartnerProgram::Partner,
            PartnerProgram::Advisor,
        ] {
            let f = Features::of(p, NONE);
            assert!(f.create_accounts && f.paper_check, "{p:?}");
        }
    }
}
