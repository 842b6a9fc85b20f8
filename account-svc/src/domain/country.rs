//! ISO 3166 country and subdivision tables for address validation.
//!
//! account-svc validates postal addresses with these tables. The country may
//! be given as an ISO 3166-1 alpha-2 code, its English short name or a common
//! alias ("USA", "Holland", "South Korea"). In the United States, Canada, the
//! Netherlands, Italy and Germany the state (province, Land) is part of the
//! address: there it is required and must be one of the subdivisions listed
//! here, given as its code (with or without the country prefix, "CA" or
//! "US-CA"), its name or an alias. The refined address carries the ISO codes:
//! the alpha-2 country code and the subdivision code without the country
//! prefix.
//!
//! Matching ignores case, surrounding and repeated white space, the
//! punctuation `.`, `,`, `(` and `)`, treats `-`, `_` and `/` as spaces and
//! folds common Latin diacritics, so "Cote d'Ivoire", "Turkiye",
//! "Thuringen" and "Washington, D.C." all match.
//!
//! Sources:
//! - ISO 3166-1: all 249 officially assigned alpha-2 codes. The names are
//!   the English short names as carried by the Debian iso-codes data (ISO's
//!   short name without the "(the)" article form, e.g. "United States" for
//!   "United States of America (the)"); ISO's formal names are accepted as
//!   aliases.
//! - ISO 3166-2: US (50 states, the District of Columbia and the 6 outlying
//!   areas), CA (10 provinces and 3 territories), NL (12 provinces, the
//!   countries Aruba, Curaçao and Sint Maarten and the special municipalities
//!   Bonaire, Saba and Sint Eustatius), IT (the 106 two-letter codes of the
//!   provinces, metropolitan cities, free municipal consortia and
//!   decentralized regional entities; the 20 numeric region codes are not
//!   used) and DE (16 Länder). Names are as ISO 3166-2 lists them (Italian
//!   names for Italy, German for Germany); English names are aliases.
//! - One addition that is not in ISO 3166-2: the Italian "AO" (Aosta), which
//!   Italian addresses use for the Valle d'Aosta.
//!
//! The data was checked against Debian iso-codes 4.15 and pycountry 26.2.16;
//! it lives in [`table`].

mod table;

pub use table::COUNTRIES;
use table::{ALIASES, SUBDIVISION_ALIASES, SUBDIVISION_TABLES};

/// A country of ISO 3166-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryInfo {
    /// ISO 3166-1 alpha-2 code, upper case.
    pub code: &'static str,
    /// English short name.
    pub name: &'static str,
}

/// A subdivision of ISO 3166-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subdivision {
    /// The code without the country prefix, upper case ("CA" for "US-CA").
    pub code: &'static str,
    /// The name as ISO 3166-2 lists it.
    pub name: &'static str,
}

const fn country(code: &'static str, name: &'static str) -> CountryInfo {
    CountryInfo { code, name }
}

const fn subdivision(code: &'static str, name: &'static str) -> Subdivision {
    Subdivision { code, name }
}

/// Finds a country by its alpha-2 code, its name or an alias.
///
/// Returns `None` for anything else, including an empty input.
#[must_use]
pub fn find_country(input: &str) -> Option<&'static CountryInfo> {
    let key = normalize(input);
    if key.is_empty() {
        return None;
    }
    find_country_by_key(&key).or_else(|| key.strip_prefix("the ").and_then(find_country_by_key))
}

fn find_country_by_key(key: &str) -> Option<&'static CountryInfo> {
    COUNTRIES
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(key))
        .or_else(|| COUNTRIES.iter().find(|c| normalize(c.name) == key))
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| normalize(alias) == key)
                .and_then(|(_, code)| COUNTRIES.iter().find(|c| c.code == *code))
        })
}

/// Whether an address in this country (alpha-2 code, any case) must name a
/// state, province or Land: true for US, CA, NL, IT and DE.
#[must_use]
pub fn state_required(country_code: &str) -> bool {
    subdivisions_of(country_code).is_some()
}

/// Finds a subdivision of the country with this alpha-2 code (any case) by
/// its code ("CA" or "US-CA"), its name or an alias.
///
/// Returns `None` if the country has no subdivision table (see
/// [`state_required`]) or nothing matches.
#[must_use]
pub fn find_subdivision(country_code: &str, input: &str) -> Option<&'static Subdivision> {
    let country_code = country_code.trim();
    let table = subdivisions_of(country_code)?;
    let input = input.trim();
    // A full ISO 3166-2 code such as "US-CA".
    if let Some((prefix, code)) = input.split_once('-')
        && prefix.trim().eq_ignore_ascii_case(country_code)
        && let Some(found) = table
            .iter()
            .find(|s| s.code.eq_ignore_ascii_case(code.trim()))
    {
        return Some(found);
    }
    let key = normalize(input);
    if key.is_empty() {
        return None;
    }
    table
        .iter()
        .find(|s| s.code.eq_ignore_ascii_case(&key))
        .or_else(|| table.iter().find(|s| normalize(s.name) == key))
        .or_else(|| {
            SUBDIVISION_ALIASES
                .iter()
                .find(|(cc, alias, _)| {
                    cc.eq_ignore_ascii_case(country_code) && normalize(alias) == key
                })
                .and_then(|(_, _, code)| table.iter().find(|s| s.code == *code))
        })
}

fn subdivisions_of(country_code: &str) -> Option<&'static [Subdivision]> {
    let country_code = country_code.trim();
    SUBDIVISION_TABLES
        .iter()
        .find(|(cc, _)| cc.eq_ignore_ascii_case(country_code))
        .map(|(_, table)| *table)
}

/// The comparison key of a name: lower case, common Latin diacritics folded,
/// `.`, `,`, `(` and `)` dropped, typographic apostrophes made `'`, and runs
/// of white space, `-`, `_` and `/` made one space, trimmed.
fn normalize(input: &str) -> String {
    let mut key = String::with_capacity(input.len());
    let mut space = false;
    for c in input.chars().flat_map(char::to_lowercase).map(fold) {
        match c {
            '.' | ',' | '(' | ')' => {}
            '-' | '_' | '/' | '\u{2013}' | '\u{2014}' => space = true,
            c if c.is_whitespace() => space = true,
            c => {
                if space && !key.is_empty() {
                    key.push(' ');
                }
                space = false;
                key.push(c);
            }
        }
    }
    key
}

/// Folds a lower-case letter with a diacritic to its base letter, and a
/// typographic apostrophe to `'`.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
        'ł' => 'l',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ŕ' | 'ř' => 'r',
        'ś' | 'š' | 'ş' | 'ș' => 's',
        'ť' | 'ţ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' => '\'',
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn country_code(input: &str) -> Option<&'static str> {
        find_country(input).map(|c| c.code)
    }

    fn subdivision_code(country: &str, input: &str) -> Option<&'static str> {
        find_subdivision(country, input).map(|s| s.code)
    }

    #[test]
    fn united_states_by_name_code_and_alias() {
        for input in [
            "United States",
            "united states",
            "US",
            " us ",
            "USA",
            "U.S.A.",
            "United States of America",
            "the United States",
        ] {
            assert_eq!(country_code(input), Some("US"), "{input:?}");
        }
        assert_eq!(find_country("us").map(|c| c.name), Some("United States"));
    }

    #[test]
    fn california_by_name_and_code() {
        for input in ["California", "california", " CA ", "ca", "US-CA", "us-ca"] {
            assert_eq!(subdivision_code("US", input), Some("CA"), "{input:?}");
        }
        assert_eq!(
            find_subdivision("us", "CA").map(|s| s.name),
            Some("California")
        );
    }

    #[test]
    fn state_is_required_in_the_netherlands() {
        assert!(state_required("NL"));
        assert!(state_required(" nl "));
        assert_eq!(subdivision_code("NL", "Noord-Holland"), Some("NH"));
        assert_eq!(subdivision_code("NL", "North Holland"), Some("NH"));
        assert_eq!(subdivision_code("NL", "NL-ZH"), Some("ZH"));
        assert_eq!(subdivision_code("NL", "Friesland"), Some("FR"));
        assert_eq!(subdivision_code("NL", "Fryslan"), Some("FR"));
        assert_eq!(subdivision_code("NL", "BQ2"), Some("BQ2"));
    }

    #[test]
    fn state_is_required_in_the_five_listed_countries_only() {
        for code in ["US", "CA", "NL", "IT", "DE"] {
            assert!(state_required(code), "{code}");
        }
        let required = COUNTRIES.iter().filter(|c| state_required(c.code)).count();
        assert_eq!(required, 5);
    }

    #[test]
    fn state_is_not_required_in_france() {
        assert!(!state_required("FR"));
        assert_eq!(find_subdivision("FR", "IDF"), None);
        assert_eq!(find_subdivision("FR", "Île-de-France"), None);
    }

    #[test]
    fn unknown_country_is_none() {
        for input in ["Atlantis", "XX", "", "   ", "U", "Korea", "the"] {
            assert_eq!(find_country(input), None, "{input:?}");
        }
    }

    #[test]
    fn unknown_subdivision_is_none() {
        assert_eq!(find_subdivision("US", "Ontario"), None);
        assert_eq!(find_subdivision("US", ""), None);
        assert_eq!(find_subdivision("DE", "XX"), None);
    }

    #[test]
    fn prefixed_code_must_name_the_same_country() {
        assert_eq!(subdivision_code("CA", "US-CA"), None);
        assert_eq!(subdivision_code("CA", "CA-ON"), Some("ON"));
    }

    #[test]
    fn bavaria_is_by() {
        for input in ["Bavaria", "bayern", "BY", "DE-BY"] {
            assert_eq!(subdivision_code("DE", input), Some("BY"), "{input:?}");
        }
    }

    #[test]
    fn german_laender_accept_english_names_and_transliterations() {
        for (input, code) in [
            ("Hesse", "HE"),
            ("Lower Saxony", "NI"),
            ("North Rhine-Westphalia", "NW"),
            ("North Rhine Westphalia", "NW"),
            ("NRW", "NW"),
            ("Rhineland-Palatinate", "RP"),
            ("Saxony", "SN"),
            ("Saxony-Anhalt", "ST"),
            ("Thuringia", "TH"),
            ("Thüringen", "TH"),
            ("Thueringen", "TH"),
            ("Thuringen", "TH"),
            ("Baden-Württemberg", "BW"),
            ("Baden-Wuerttemberg", "BW"),
            ("Mecklenburg-Vorpommern", "MV"),
        ] {
            assert_eq!(subdivision_code("DE", input), Some(code), "{input:?}");
        }
    }

    #[test]
    fn rome_is_rm() {
        for input in ["Rome", "Roma", "RM", "rm", "IT-RM"] {
            assert_eq!(subdivision_code("IT", input), Some("RM"), "{input:?}");
        }
        assert_eq!(find_subdivision("IT", "Rome").map(|s| s.name), Some("Roma"));
    }

    #[test]
    fn english_city_names_find_italian_provinces() {
        for (input, code) in [
            ("Milan", "MI"),
            ("Turin", "TO"),
            ("Naples", "NA"),
            ("Florence", "FI"),
            ("Venice", "VE"),
            ("Genoa", "GE"),
            ("Milano", "MI"),
            ("Forli-Cesena", "FC"),
            ("L'Aquila", "AQ"),
            ("Aosta", "AO"),
        ] {
            assert_eq!(subdivision_code("IT", input), Some(code), "{input:?}");
        }
    }

    #[test]
    fn common_country_names_are_aliases() {
        for (input, code) in [
            ("united states of america", "US"),
            ("usa", "US"),
            ("uk", "GB"),
            ("United Kingdom", "GB"),
            ("great britain", "GB"),
            ("Netherlands", "NL"),
            ("the netherlands", "NL"),
            ("holland", "NL"),
            ("Germany", "DE"),
            ("deutschland", "DE"),
            ("Italy", "IT"),
            ("Canada", "CA"),
            ("russia", "RU"),
            ("south korea", "KR"),
            ("north korea", "KP"),
            ("czech republic", "CZ"),
            ("vietnam", "VN"),
            ("iran", "IR"),
            ("syria", "SY"),
            ("bolivia", "BO"),
            ("venezuela", "VE"),
            ("tanzania", "TZ"),
            ("laos", "LA"),
            ("moldova", "MD"),
            ("taiwan", "TW"),
            ("macedonia", "MK"),
            ("The Gambia", "GM"),
        ] {
            assert_eq!(country_code(input), Some(code), "{input:?}");
        }
    }

    #[test]
    fn accents_and_punctuation_are_ignored() {
        assert_eq!(country_code("Côte d'Ivoire"), Some("CI"));
        assert_eq!(country_code("Cote d’Ivoire"), Some("CI"));
        assert_eq!(country_code("Turkiye"), Some("TR"));
        assert_eq!(country_code("Aland Islands"), Some("AX"));
        assert_eq!(country_code("Korea, Republic of"), Some("KR"));
        assert_eq!(country_code("Cocos Keeling Islands"), Some("CC"));
        assert_eq!(subdivision_code("US", "Washington, D.C."), Some("DC"));
        assert_eq!(subdivision_code("US", "N.Y."), Some("NY"));
        assert_eq!(subdivision_code("CA", "Québec"), Some("QC"));
        assert_eq!(subdivision_code("CA", "Quebec"), Some("QC"));
    }

    #[test]
    fn table_has_249_countries_with_unique_codes() {
        assert_eq!(COUNTRIES.len(), 249);
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for c in COUNTRIES {
            assert!(
                c.code.len() == 2 && c.code.bytes().all(|b| b.is_ascii_uppercase()),
                "{}",
                c.code
            );
            assert!(codes.insert(c.code), "duplicate code {}", c.code);
            assert!(names.insert(normalize(c.name)), "duplicate name {}", c.name);
        }
    }

    #[test]
    fn country_aliases_name_listed_codes_without_clashing() {
        let mut keys = HashSet::new();
        for (alias, code) in ALIASES {
            assert_eq!(*alias, alias.to_lowercase(), "alias not lowercase");
            let key = normalize(alias);
            assert!(keys.insert(key.clone()), "duplicate alias {alias}");
            assert!(
                COUNTRIES.iter().any(|c| c.code == *code),
                "{alias} -> unknown {code}"
            );
            assert_eq!(country_code(alias), Some(*code), "{alias} is shadowed");
        }
    }

    #[test]
    fn subdivision_codes_are_unique_per_country() {
        for (country, table) in SUBDIVISION_TABLES {
            let mut codes = HashSet::new();
            let mut names = HashSet::new();
            for s in *table {
                assert!(
                    s.code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                    "{country}-{}",
                    s.code
                );
                assert!(codes.insert(s.code), "duplicate {country}-{}", s.code);
                assert!(names.insert(normalize(s.name)), "duplicate {}", s.name);
            }
        }
    }

    #[test]
    fn subdivision_tables_have_the_expected_sizes() {
        let sizes: Vec<(&str, usize)> = SUBDIVISION_TABLES
            .iter()
            .map(|(country, table)| (*country, table.len()))
            .collect();
        assert_eq!(
            sizes,
            [("US", 57), ("CA", 13), ("NL", 18), ("IT", 107), ("DE", 16)]
        );
    }

    #[test]
    fn subdivision_aliases_name_listed_codes_without_clashing() {
        let mut keys = HashSet::new();
        for (country, alias, code) in SUBDIVISION_ALIASES {
            assert_eq!(*alias, alias.to_lowercase(), "alias not lowercase");
            assert!(
                keys.insert((*country, normalize(alias))),
                "duplicate alias {alias}"
            );
            assert!(state_required(country), "{country} has no table");
            assert_eq!(
                subdivision_code(country, alias),
                Some(*code),
                "{country} {alias} is shadowed or unknown"
            );
        }
    }
}
