//! A customer's company and its address, by the reference's CompanyV2 and
//! AddressV2 tables: name ≤ 255 and phone ≤ 50 (both required), address
//! lines ≤ 100 (the first required), city ≤ 50 (required), state ≤ 50
//! (required and valid in US, CA, NL, IT and DE), zip ≤ 50 (required, in
//! the national format where the platform knows it), country as an ISO 3166
//! name or code (≤ 50, required), culture (any `ll-CC` tag) and a VAT number
//! (≤ 50), both optional.
//!
//! A parsed address holds the ISO codes and canonical zip, so every stored
//! address is refined; [`Refined::changes`] tells which fields refinement
//! changed, which is what address validation answers (DESIGN §6.1).

use platform::status::Violations;
use proto::account::v1 as pb;
use proto::common::v1 as common;

use super::country::{find_country, find_subdivision, state_required};
use super::culture::Culture;
use super::postal::parse_zip;
use super::vat::VatNumber;
use super::{bounded, unless_empty};

/// Address field names as v2 spells them (v1's `street` is `addressLine1`).
pub const LINE1: &str = "addressLine1";
pub const LINE2: &str = "addressLine2";
pub const LINE3: &str = "addressLine3";
pub const CITY: &str = "city";
pub const STATE: &str = "state";
pub const ZIP: &str = "zip";
pub const COUNTRY: &str = "country";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: String,
    pub line3: String,
    pub city: String,
    /// ISO 3166-2 subdivision code without the country prefix, where one
    /// applies; otherwise the state as given.
    pub state: String,
    /// Canonical where the country's format is known (`K1A 0B1`).
    pub zip: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl Address {
    pub fn to_pb(&self) -> common::Address {
        common::Address {
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            line3: self.line3.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
            country: self.country.clone(),
        }
    }
}

/// A valid address and the names of the fields refinement changed, in the
/// order country, state, zip, addressLine1…3, city.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refined {
    pub address: Address,
    pub changes: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub name: String,
    pub phone: String,
    pub address: Address,
    pub culture: Option<Culture>,
    pub vat_number: Option<VatNumber>,
}

/// The table gives a phone only a length: extensions and letters
/// (`555-FLOWERS x12`) are numbers people write, so no character set is
/// imposed beyond "no control characters".
fn phone(s: &str) -> Result<String, String> {
    bounded(s, 50, true)
}

/// The AddressV2 limits that are not in [`super::postal`].
const CITY_MAX: usize = 50;
const STATE_MAX: usize = 50;
const COUNTRY_MAX: usize = 50;

fn company_name(s: &str) -> Result<String, String> {
    bounded(s, 255, true)
}

/// `name` under `prefix` (`company.address` + `city`), or `name` alone when
/// there is no prefix.
fn under(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Parses and refines an address, reporting each problem under `prefix`
/// (e.g. `company.address`; empty for bare field names).
pub fn parse_address(
    a: Option<&common::Address>,
    prefix: &str,
    v: &mut Violations,
) -> Option<Refined> {
    let Some(a) = a else {
        v.add(
            if prefix.is_empty() { "address" } else { prefix },
            "is required",
        );
        return None;
    };
    let f = |name: &str| under(prefix, name);
    let line1 = v.check(&f(LINE1), bounded(&a.line1, 100, true));
    let line2 = v.check(&f(LINE2), bounded(&a.line2, 100, false));
    let line3 = v.check(&f(LINE3), bounded(&a.line3, 100, false));
    let city = v.check(&f(CITY), bounded(&a.city, CITY_MAX, true));
    let country = match find_country(&a.country) {
        _ if a.country.trim().chars().count() > COUNTRY_MAX => {
            v.add(
                f(COUNTRY),
                format!("must be at most {COUNTRY_MAX} characters"),
            );
            None
        }
        Some(c) => Some(c.code),
        None if a.country.trim().is_empty() => {
            v.add(f(COUNTRY), "is required");
            None
        }
        None => {
            v.add(f(COUNTRY), "must be an ISO 3166 country name or code");
            None
        }
    };
    // Without a known country only the length of the zip can be judged.
    let zip = v.check(&f(ZIP), parse_zip(country.unwrap_or_default(), &a.zip));
    let state = match country {
        Some(code) if state_required(code) => match find_subdivision(code, &a.state) {
            Some(s) => Some(s.code.to_owned()),
            None if a.state.trim().is_empty() => {
                v.add(f(STATE), format!("is required in {code}"));
                None
            }
            None => {
                v.add(f(STATE), format!("is not a state of {code}"));
                None
            }
        },
        _ => v.check(&f(STATE), bounded(&a.state, STATE_MAX, false)),
    };
    let address = Address {
        line1: line1?,
        line2: line2?,
        line3: line3?,
        city: city?,
        state: state?,
        zip: zip?,
        country: country?.to_owned(),
    };
    let changes = [
        (COUNTRY, &a.country, &address.country),
        (STATE, &a.state, &address.state),
        (ZIP, &a.zip, &address.zip),
        (LINE1, &a.line1, &address.line1),
        (LINE2, &a.line2, &address.line2),
        (LINE3, &a.line3, &address.line3),
        (CITY, &a.city, &address.city),
    ]
    .into_iter()
    .filter_map(|(name, given, refined)| (given != refined).then_some(name))
    .collect();
    Some(Refined { address, changes })
}

/// The answer to "is this address valid?" (DESIGN §6.1): a question, so a
/// bad address is an answer, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressCheck {
    Valid(Refined),
    Invalid(Vec<(String, String)>),
}

impl AddressCheck {
    pub fn of(a: &common::Address, prefix: &str) -> Self {
        let mut v = Violations::new();
        match parse_address(Some(a), prefix, &mut v) {
            Some(r) if v.is_empty() => Self::Valid(r),
            _ => Self::Invalid(v.into_vec()),
        }
    }

    /// The wire's status: 0 valid as given, 1 valid after refinement,
    /// 2 invalid.
    pub fn status(&self) -> i32 {
        match self {
            Self::Valid(r) if r.changes.is_empty() => 0,
            Self::Valid(_) => 1,
            Self::Invalid(_) => 2,
        }
    }
}

/// Parses the company of a create, fields under `company.`.
pub fn parse_company(c: Option<&pb::Company>, v: &mut Violations) -> Option<Company> {
    let Some(c) = c else {
        v.add("company", "is required");
        return None;
    };
    let name = v.check("company.name", company_name(&c.name));
    let phone = v.check("company.phone", phone(&c.phone));
    let address = parse_address(c.address.as_ref(), "company.address", v);
    let culture = v.check("company.culture", unless_empty(&c.culture, Culture::parse));
    let vat_number = v.check(
        "company.vatNumber",
        unless_empty(&c.vat_number, VatNumber::parse),
    );
    Some(Company {
        name: name?,
        phone: phone?,
        address: address?.address,
        culture: culture?,
        vat_number: vat_number?,
    })
}

/// What a company update sets; `None` keeps the stored value, and for the
/// optional fields `Some(None)` clears it. The address, when the update
/// touches it, is the whole merged address, validated as one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyChange {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<Address>,
    pub culture: Option<Option<Culture>>,
    pub vat_number: Option<Option<VatNumber>>,
}

impl CompanyChange {
    /// Parses an update over the stored address, collecting every violation
    /// (bare field names: `name`, `vatNumber`, `address.city`, …).
    ///
    /// An update that does not touch the address leaves it as stored, even
    /// if today's rules would refuse it: a rename must not fail on a zip a
    /// former version accepted. One that touches any part of it makes the
    /// merged address answer to every rule, so moving to DE without a state
    /// is refused.
    pub fn parse(
        stored: &common::Address,
        u: &pb::UpdateCompanyRequest,
        v: &mut Violations,
    ) -> Option<Self> {
        let before = v.fields().len();
        let name = u.name.as_deref().map(|s| v.check("name", company_name(s)));
        let phone = u.phone.as_deref().map(|s| v.check("phone", phone(s)));
        let culture = u
            .culture
            .as_deref()
            .map(|s| v.check("culture", unless_empty(s, Culture::parse)));
        let vat_number = u
            .vat_number
            .as_deref()
            .map(|s| v.check("vatNumber", unless_empty(s, VatNumber::parse)));
        let address = u.address.as_ref().map(|p| {
            let pick = |patch: &Option<String>, kept: &String| {
                patch.clone().unwrap_or_else(|| kept.clone())
            };
            let merged = common::Address {
                line1: pick(&p.line1, &stored.line1),
                line2: pick(&p.line2, &stored.line2),
                line3: pick(&p.line3, &stored.line3),
                city: pick(&p.city, &stored.city),
                state: pick(&p.state, &stored.state),
                zip: pick(&p.zip, &stored.zip),
                country: pick(&p.country, &stored.country),
            };
            parse_address(Some(&merged), "address", v).map(|r| r.address)
        });
        if v.fields().len() > before {
            return None;
        }
        // Nothing failed, so `flatten` only drops the parse layer.
        Some(Self {
            name: name.flatten(),
            phone: phone.flatten(),
            address: address.flatten(),
            culture: culture.flatten(),
            vat_number: vat_number.flatten(),
        })
    }

    /// The fields this change sets, for the log.
    pub fn fields(&self) -> Vec<&'static str> {
        [
            (self.name.is_some(), "name"),
            (self.phone.is_some(), "phone"),
            (self.address.is_some(), "address"),
            (self.culture.is_some(), "culture"),
            (self.vat_number.is_some(), "vatNumber"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(country: &str, state: &str) -> common::Address {
        common::Address {
            line1: "1 Main St".into(),
            city: "Town".into(),
            country: country.into(),
            state: state.into(),
            zip: sample_zip(country).into(),
            ..Default::default()
        }
    }

    /// A zip valid in `country` (a name or a code), since one is required.
    fn sample_zip(country: &str) -> &'static str {
        match find_country(country).map(|c| c.code) {
            Some("NL") => "1012 AB",
            Some("CA") => "K1A 0B1",
            Some("GB") => "SW1A 1AA",
            _ => "75001",
        }
    }

    fn parsed(a: &common::Address) -> (Option<Refined>, Vec<String>) {
        let mut v = Violations::new();
        let r = parse_address(Some(a), "a", &mut v);
        (r, v.into_vec().into_iter().map(|(f, _)| f).collect())
    }

    fn company(name: &str) -> pb::Company {
        pb::Company {
            name: name.into(),
            phone: "+33 1 23 45 67 89".into(),
            address: Some(address("FR", "")),
            ..Default::default()
        }
    }

    fn update() -> pb::UpdateCompanyRequest {
        pb::UpdateCompanyRequest::default()
    }

    #[test]
    fn state_is_required_in_the_netherlands() {
        let (r, fields) = parsed(&address("NL", ""));
        assert!(r.is_none());
        assert_eq!(fields, ["a.state"]);
    }

    #[test]
    fn country_and_state_names_are_refined_to_iso_codes() {
        let r = parsed(&address("united states", "california"))
            .0
            .expect("valid");
        assert_eq!(
            (r.address.country.as_str(), r.address.state.as_str()),
            ("US", "CA")
        );
        assert_eq!(r.changes, [COUNTRY, STATE]);
    }

    #[test]
    fn an_address_in_canonical_form_has_no_changes() {
        let mut a = address("US", "CA");
        a.zip = "94105".into();
        assert_eq!(parsed(&a).0.expect("valid").changes, Vec::<&str>::new());
    }

    #[test]
    fn zip_refinement_is_reported_as_a_change() {
        let mut a = address("CA", "ON");
        a.zip = "k1a0b1".into();
        let r = parsed(&a).0.expect("valid");
        assert_eq!(r.address.zip, "K1A 0B1");
        assert_eq!(r.changes, [ZIP]);
    }

    #[test]
    fn trimming_a_line_is_reported_as_a_change() {
        let mut a = address("FR", "");
        a.line1 = " 1 Main St ".into();
        assert_eq!(parsed(&a).0.expect("valid").changes, [LINE1]);
    }

    #[test]
    fn zip_must_fit_the_country_format() {
        let mut a = address("DE", "BY");
        a.zip = "1234".into();
        assert_eq!(parsed(&a).1, ["a.zip"]);
    }

    #[test]
    fn unknown_country_is_refused() {
        let (r, fields) = parsed(&address("Atlantis", ""));
        assert!(r.is_none());
        assert_eq!(fields, ["a.country"]);
    }

    #[test]
    fn address_lines_are_at_most_100_characters() {
        let mut a = address("FR", "");
        a.line1 = "x".repeat(101);
        assert_eq!(parsed(&a).1, ["a.addressLine1"]);
    }

    #[test]
    fn field_names_are_bare_without_a_prefix() {
        let mut v = Violations::new();
        assert!(parse_address(Some(&address("", "")), "", &mut v).is_none());
        assert_eq!(v.fields()[0].0, "country");
    }

    #[test]
    fn address_check_answers_0_1_or_2() {
        let mut exact = address("US", "CA");
        exact.zip = "94105".into();
        assert_eq!(AddressCheck::of(&exact, "").status(), 0);
        assert_eq!(
            AddressCheck::of(&address("united states", "california"), "").status(),
            1
        );
        assert_eq!(AddressCheck::of(&address("US", ""), "").status(), 2);
    }

    #[test]
    fn company_name_is_at_most_255_characters() {
        let mut v = Violations::new();
        assert!(parse_company(Some(&company(&"n".repeat(256))), &mut v).is_none());
        assert_eq!(v.fields()[0].0, "company.name");
    }

    #[test]
    fn company_culture_is_optional_and_canonical() {
        let mut v = Violations::new();
        let c = parse_company(Some(&company("Acme")), &mut v).expect("valid");
        assert_eq!(c.culture, None);
        let mut given = company("Acme");
        given.culture = "fr-ca".into();
        let c = parse_company(Some(&given), &mut v).expect("valid");
        assert_eq!(c.culture.as_ref().map(Culture::as_str), Some("FR-CA"));
    }

    #[test]
    fn company_culture_and_vat_number_are_checked_under_company() {
        let mut v = Violations::new();
        let mut given = company("Acme");
        given.culture = "xx".into();
        given.vat_number = "DE123".into();
        assert!(parse_company(Some(&given), &mut v).is_none());
        let fields: Vec<&str> = v.fields().iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["company.culture", "company.vatNumber"]);
    }

    #[test]
    fn company_update_keeps_what_it_does_not_set() {
        let mut v = Violations::new();
        let u = pb::UpdateCompanyRequest {
            phone: Some("+1 555".into()),
            ..update()
        };
        let c = CompanyChange::parse(&address("FR", ""), &u, &mut v).expect("valid");
        assert_eq!(c.fields(), ["phone"]);
    }

    #[test]
    fn company_update_merges_the_address_field_by_field() {
        let mut v = Violations::new();
        let u = pb::UpdateCompanyRequest {
            address: Some(pb::AddressPatch {
                country: Some("germany".into()),
                state: Some("bavaria".into()),
                ..Default::default()
            }),
            ..update()
        };
        let c = CompanyChange::parse(&address("FR", ""), &u, &mut v).expect("valid");
        let a = c.address.expect("address set");
        assert_eq!((a.line1.as_str(), a.city.as_str()), ("1 Main St", "Town"));
        assert_eq!((a.country.as_str(), a.state.as_str()), ("DE", "BY"));
    }

    #[test]
    fn company_update_validates_the_merged_address_as_a_whole() {
        let mut v = Violations::new();
        let u = pb::UpdateCompanyRequest {
            address: Some(pb::AddressPatch {
                country: Some("DE".into()),
                ..Default::default()
            }),
            ..update()
        };
        assert!(CompanyChange::parse(&address("FR", ""), &u, &mut v).is_none());
        assert_eq!(v.fields()[0].0, "address.state");
    }

    #[test]
    fn company_update_empty_text_clears_culture_and_vat_number() {
        let mut v = Violations::new();
        let u = pb::UpdateCompanyRequest {
            culture: Some(String::new()),
            vat_number: Some(" ".into()),
            ..update()
        };
        let c = CompanyChange::parse(&address("FR", ""), &u, &mut v).expect("valid");
        assert_eq!((c.culture, c.vat_number), (Some(None), Some(None)));
    }

    #[test]
    fn company_update_name_cannot_be_cleared() {
        let mut v = Violations::new();
        let u = pb::UpdateCompanyRequest {
            name: Some(String::new()),
            ..update()
        };
        assert!(CompanyChange::parse(&address("FR", ""), &u, &mut v).is_none());
        assert_eq!(v.fields()[0].0, "name");
    }
}
