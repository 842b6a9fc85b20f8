//! Locale tags as the reference's models spell a culture: `ll-CC`, an ISO
//! 639-1 language and an ISO 3166-1 alpha-2 country, case-insensitive on
//! the way in and answered upper case (`nl-nl` → `NL-NL`). DESIGN §6.2 reads
//! the reference's list ("e.g. 'EN-US', 'EN-GB', …") as examples, so any
//! such tag is one. A standard's code tables, not a rule of any service:
//! account-svc (companies, partner settings) and contact-svc (contacts)
//! parse the same tags here.
//!
//! Both lists come from Debian iso-codes 4.15: the `alpha_2` codes of
//! `iso_639-2.json` (all 184 ISO 639-1 codes) and of `iso_3166-1.json` (all
//! 249 officially assigned ISO 3166-1 alpha-2 codes).

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

/// Every officially assigned ISO 3166-1 alpha-2 country code, sorted.
pub const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// What a culture looks like, for messages.
const SHAPE: &str = "must be a language and a country code as ll-CC (e.g. EN-US, NL-NL)";

/// A culture: an ISO 639-1 language and an ISO 3166-1 country, held in its
/// canonical upper-case spelling (`NL-NL`). Five ASCII bytes, so it is
/// `Copy` and needs no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Culture([u8; 5]);

impl Culture {
    /// Only case may differ from the canonical spelling (`nl-nl`); `nl_NL`,
    /// `nl` or `nld-NL` are refused rather than guessed at. Surrounding
    /// blanks are dropped; an empty tag is not a culture (a caller for whom
    /// empty means "not given" says so before asking).
    pub fn parse(s: &str) -> Result<Self, String> {
        let tag = s.trim().to_ascii_uppercase();
        let Some((language, country)) = tag
            .split_once('-')
            .filter(|(l, c)| is_code(l) && is_code(c))
        else {
            return Err(SHAPE.into());
        };
        let mut problems = Vec::new();
        if LANGUAGES.binary_search(&language).is_err() {
            problems.push(format!("{language} is not an ISO 639-1 language code"));
        }
        if COUNTRIES.binary_search(&country).is_err() {
            problems.push(format!("{country} is not an ISO 3166-1 country code"));
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        let mut bytes = [0u8; 5];
        bytes.copy_from_slice(tag.as_bytes());
        Ok(Self(bytes))
    }

    /// The canonical (upper-case) spelling.
    pub fn as_str(&self) -> &str {
        // Only `parse` builds one, from five ASCII bytes.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Two ASCII letters.
fn is_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn culture(s: &str) -> String {
        Culture::parse(s).expect("valid").as_str().to_owned()
    }

    #[test]
    fn the_references_examples_are_cultures() {
        for example in [
            "EN-US", "EN-GB", "FR-CA", "DE-DE", "IT-IT", "NL-NL", "JA-JP", "EN-AU",
        ] {
            assert_eq!(culture(example), example);
        }
    }

    #[test]
    fn culture_is_any_iso_language_with_any_iso_country() {
        for tag in [
            "ES-MX", "PT-BR", "SW-KE", "ZH-TW", "FR-FR", "DE-CH", "AA-AD", "ZU-ZW",
        ] {
            assert_eq!(culture(tag), tag);
        }
    }

    #[test]
    fn culture_is_case_insensitive_in_and_upper_case_out() {
        assert_eq!(culture("nl-nl"), "NL-NL");
        assert_eq!(culture("pt-br"), "PT-BR");
        assert_eq!(culture(" En-gB "), "EN-GB");
    }

    #[test]
    fn culture_language_must_be_iso_639_1() {
        assert_eq!(
            Culture::parse("xx-US"),
            Err("XX is not an ISO 639-1 language code".into())
        );
    }

    #[test]
    fn culture_country_must_be_iso_3166_1() {
        // "UK" is not an ISO 3166-1 code: the United Kingdom is GB.
        assert_eq!(
            Culture::parse("en-UK"),
            Err("UK is not an ISO 3166-1 country code".into())
        );
    }

    #[test]
    fn culture_names_both_codes_when_both_are_unknown() {
        assert_eq!(
            Culture::parse("xx-XX"),
            Err(
                "XX is not an ISO 639-1 language code; XX is not an ISO 3166-1 country code".into()
            )
        );
    }

    #[test]
    fn culture_is_two_letters_a_hyphen_and_two_letters() {
        for bad in [
            "nl_NL", "nl", "NL-", "-NL", "EN-USA", "eng-US", "e1-US", "en-U5", "english", "en-US-x",
        ] {
            assert_eq!(Culture::parse(bad), Err(SHAPE.into()), "{bad}");
        }
    }

    #[test]
    fn an_empty_tag_is_no_culture() {
        assert_eq!(Culture::parse(""), Err(SHAPE.into()));
        assert_eq!(Culture::parse("  "), Err(SHAPE.into()));
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
    fn country_list_holds_the_249_iso_3166_1_codes_sorted_and_once() {
        assert_eq!(COUNTRIES.len(), 249);
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            COUNTRIES
                .iter()
                .all(|c| is_code(c) && *c == c.to_ascii_uppercase())
        );
    }
}
