//! Culture: the language and formatting a company or contact prefers. The
//! reference's tables (CompanyV2, ContactCreateV2, …) say "Standard format,
//! e.g. 'EN-US', 'EN-GB', …"; DESIGN §6.2 reads that list as examples: a
//! culture is any `ll-CC` tag of an ISO 639-1 language and an ISO 3166-1
//! alpha-2 country, case-insensitive on the way in and answered upper case
//! (`nl-nl` → `NL-NL`). Shared by companies and partner settings.
//!
//! Languages: all 184 ISO 639-1 codes, the `alpha_2` codes of Debian
//! iso-codes 4.15 `iso_639-2.json`. Countries: the ISO 3166-1 table of
//! [`super::country`]. contact-svc keeps its own copy of both lists for
//! contacts' cultures.

use std::sync::OnceLock;

use super::country::COUNTRIES;

/// Every ISO 639-1 language code, upper case, sorted.
pub const LANGUAGES: &[&str] = &[
    "AA", "AB", "AE", "AF", "AK", "AM", "AN", "AR", "AS", "AV", "AY", "AZ", "BA", "BE", "BG", "BH",
    "BI", "BM", "BN", "BO", "BR", "BS", "CA", "CE", "CH", "CO", "CR", "CS", "CU", "CV", "CY", "DA",
    "DE", "DV", "DZ", "EE", "EL", "EN", "EO", "ES", "ET", "EU", "FA", "FF", "FI", "FJ", "FO", "FR",
    "FY", "GA", "GD", "GL", "GN", "GU", "GV", "HA", "HE", "HI", "HO", "HR", "HT", "HU", "HY", "HZ",
    "IA", "ID", "IE", "IG", "II", "IK", "IO", "IS", "IT", "IU", "JA", "JV", "KA", "KG", "KI", "KJ",
    "KK", "KL", "KM", "KN", "KO", "KR", "KS", "KU", "KV", "KW", "KY", "LA", "LB", "LG", "LI", "LN",
    "LO", "LT", "LU", "LV", "MG", "MH", "MI", "MK", "ML", "MN", "MR", "MS", "MT", "MY", "NA", "NB",
    "ND", "NE", "NG", "NL", "NN", "NO", "NR", "NV", "NY", "OC", "OJ", "OM", "OR", "OS", "PA", "PI",
    "PL", "PS", "PT", "QU", "RM", "RN", "RO", "RU", "RW", "SA", "SC", "SD", "SE", "SG", "SI", "SK",
    "SL", "SM", "SN", "SO", "SQ", "SR", "SS", "ST", "SU", "SV", "SW", "TA", "TE", "TG", "TH", "TI",
    "TK", "TL", "TN", "TO", "TR", "TS", "TT", "TW", "TY", "UG", "UK", "UR", "UZ", "VE", "VI", "VO",
    "WA", "WO", "XH", "YI", "YO", "ZA", "ZH", "ZU",
];

/// What a culture looks like, for messages.
const SHAPE: &str = "must be a language and a country code as ll-CC (e.g. EN-US, NL-NL)";

/// `LL-CC`.
const TAG_LEN: usize = 5;

/// A culture: an ISO 639-1 language and an ISO 3166-1 country, in its
/// canonical upper-case spelling. Only case may differ on the way in
/// (`en-us`); `en_us`, `en` or `eng-US` are refused rather than guessed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Culture(&'static str);

impl Culture {
    pub fn parse(s: &str) -> Result<Self, String> {
        let given = s.trim();
        let Some((language, country)) = given
            .split_once('-')
            .filter(|(l, c)| is_code(l) && is_code(c))
        else {
            return Err(SHAPE.into());
        };
        let l = LANGUAGES
            .iter()
            .position(|code| code.eq_ignore_ascii_case(language));
        let c = COUNTRIES
            .iter()
            .position(|info| info.code.eq_ignore_ascii_case(country));
        match (l, c) {
            (Some(l), Some(c)) => Ok(Self(tag(l, c))),
            (l, c) => {
                let mut problems = Vec::new();
                if l.is_none() {
                    problems.push(format!(
                        "{} is not an ISO 639-1 language code",
                        language.to_ascii_uppercase()
                    ));
                }
                if c.is_none() {
                    problems.push(format!(
                        "{} is not an ISO 3166-1 country code",
                        country.to_ascii_uppercase()
                    ));
                }
                Err(problems.join("; "))
            }
        }
    }

    /// The canonical (upper-case) name.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// Two ASCII letters.
fn is_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// The canonical text of language `l` with country `c` (indexes into
/// [`LANGUAGES`] and [`COUNTRIES`]). A culture is a `Copy` value whose text
/// callers borrow for as long as they like, so the text is `'static`: each
/// language's cultures are written once, on first use, back to back
/// (`NL-AD`, `NL-AE`, … 249 × 5 bytes), and a culture is its slice of that.
/// At most every language is ever written: about 230 KB.
fn tag(l: usize, c: usize) -> &'static str {
    static BY_LANGUAGE: [OnceLock<String>; LANGUAGES.len()] =
        [const { OnceLock::new() }; LANGUAGES.len()];
    let (Some(cell), Some(language)) = (BY_LANGUAGE.get(l), LANGUAGES.get(l)) else {
        return "";
    };
    let all = cell.get_or_init(|| {
        COUNTRIES
            .iter()
            .map(|info| format!("{language}-{}", info.code))
            .collect()
    });
    all.get(c * TAG_LEN..(c + 1) * TAG_LEN).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn culture(s: &str) -> Result<&'static str, String> {
        Culture::parse(s).map(Culture::as_str)
    }

    #[test]
    fn the_references_examples_are_cultures() {
        for example in [
            "EN-US", "EN-GB", "FR-CA", "DE-DE", "IT-IT", "NL-NL", "JA-JP", "EN-AU",
        ] {
            assert_eq!(culture(example), Ok(example));
        }
    }

    #[test]
    fn culture_is_any_iso_language_with_any_iso_country() {
        for tag in [
            "ES-MX", "PT-BR", "SW-KE", "ZH-TW", "FR-FR", "DE-CH", "AA-AD", "ZU-ZW",
        ] {
            assert_eq!(culture(tag), Ok(tag));
        }
    }

    #[test]
    fn culture_is_case_insensitive_in_and_canonical_out() {
        assert_eq!(culture("en-us"), Ok("EN-US"));
        assert_eq!(culture("Ja-jP"), Ok("JA-JP"));
        assert_eq!(culture(" nl-nl "), Ok("NL-NL"));
    }

    #[test]
    fn culture_language_must_be_iso_639_1() {
        assert_eq!(
            culture("xx-US"),
            Err("XX is not an ISO 639-1 language code".into())
        );
    }

    #[test]
    fn culture_country_must_be_iso_3166_1() {
        // "UK" is not an ISO 3166-1 code: the United Kingdom is GB.
        assert_eq!(
            culture("en-uk"),
            Err("UK is not an ISO 3166-1 country code".into())
        );
    }

    #[test]
    fn culture_names_both_codes_when_both_are_unknown() {
        assert_eq!(
            culture("xx-XX"),
            Err(
                "XX is not an ISO 639-1 language code; XX is not an ISO 3166-1 country code".into()
            )
        );
    }

    #[test]
    fn culture_separator_must_be_a_hyphen() {
        assert_eq!(culture("en_us"), Err(SHAPE.into()));
    }

    #[test]
    fn culture_is_two_letters_a_hyphen_and_two_letters() {
        for bad in [
            "", "en", "EN-", "-US", "EN-USA", "eng-US", "e1-US", "en-U5", "english", "en-US-x",
        ] {
            assert_eq!(culture(bad), Err(SHAPE.into()), "{bad:?}");
        }
    }

    #[test]
    fn equal_cultures_compare_equal_however_they_were_spelled() {
        assert_eq!(Culture::parse("de-ch"), Culture::parse("DE-CH"));
        assert_ne!(Culture::parse("de-ch"), Culture::parse("de-de"));
    }

    #[test]
    fn language_list_holds_the_184_iso_639_1_codes_sorted_and_once() {
        assert_eq!(LANGUAGES.len(), 184);
        assert!(LANGUAGES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            LANGUAGES
                .iter()
                .all(|l| is_code(l) && *l == l.to_ascii_uppercase())
        );
    }

    #[test]
    fn every_country_code_is_two_upper_case_letters() {
        // The cultures of a language are cut from one string at TAG_LEN
        // steps: every country code must be two letters for that to hold.
        assert!(
            COUNTRIES
                .iter()
                .all(|info| is_code(info.code) && info.code == info.code.to_ascii_uppercase())
        );
    }
}
