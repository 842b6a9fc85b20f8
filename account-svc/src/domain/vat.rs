//! A company's VAT number: at most 50 characters by the reference's CompanyV2
//! table, and, when it carries an EU member-state prefix, in that state's
//! format. Only the format is checked: whether the number is registered is
//! VIES's question, asked by whoever needs the answer, not at every save.

/// The most characters the reference's CompanyV2 table allows, as given.
pub const MAX_VAT_NUMBER: usize = 50;

/// The national formats by VAT prefix, after the prefix, from the European
/// Commission's VIES FAQ table "VAT identification number structure", in its
/// own notation (see [`super::has_shape`]). Deviations, each deliberate:
/// - ES: VIES wants a letter at the first or last position; any letter or
///   digit is accepted there, since Spanish numbers mix both forms.
/// - IE: VIES's `S` (letter, digit, `+` or `*`) is `X` here: the numbers we
///   keep hold letters and digits only. `9999999WI` is 7 digits and one or
///   two letters.
/// - BE: the first digit is 0 or 1 (VIES's note admits 1 since 2023).
/// - SE: VIES's 12 digits always end in `01`.
/// - XI (Northern Ireland, which VIES lists under the Windsor Framework):
///   the UK formats, branches (`GD`) and health authorities (`HA`) included.
const FORMATS: &[(&str, &str, &[&str])] = &[
    ("AT", "Austrian", &["U99999999"]),
    ("BE", "Belgian", &["0999999999", "1999999999"]),
    ("BG", "Bulgarian", &["999999999", "9999999999"]),
    ("CY", "Cypriot", &["99999999L"]),
    ("CZ", "Czech", &["99999999", "999999999", "9999999999"]),
    ("DE", "German", &["999999999"]),
    ("DK", "Danish", &["99999999"]),
    ("EE", "Estonian", &["999999999"]),
    ("EL", "Greek", &["999999999"]),
    ("ES", "Spanish", &["X9999999X"]),
    ("FI", "Finnish", &["99999999"]),
    ("FR", "French", &["XX999999999"]),
    ("HR", "Croatian", &["99999999999"]),
    ("HU", "Hungarian", &["99999999"]),
    ("IE", "Irish", &["9X99999L", "9999999L", "9999999LL"]),
    ("IT", "Italian", &["99999999999"]),
    ("LT", "Lithuanian", &["999999999", "999999999999"]),
    ("LU", "Luxembourg", &["99999999"]),
    ("LV", "Latvian", &["99999999999"]),
    ("MT", "Maltese", &["99999999"]),
    ("NL", "Dutch", &["999999999B99"]),
    ("PL", "Polish", &["9999999999"]),
    ("PT", "Portuguese", &["999999999"]),
    (
        "RO",
        "Romanian",
        &[
            "99",
            "999",
            "9999",
            "99999",
            "999999",
            "9999999",
            "99999999",
            "999999999",
            "9999999999",
        ],
    ),
    ("SE", "Swedish", &["999999999901"]),
    ("SI", "Slovenian", &["99999999"]),
    ("SK", "Slovak", &["9999999999"]),
    (
        "XI",
        "Northern Irish",
        &["999999999", "999999999999", "GD999", "HA999"],
    ),
];

/// A VAT number in its compact form: upper case, without the spaces and dots
/// people write for readability (`de 123.456.789` is `DE123456789`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatNumber(String);

impl VatNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        let given = s.trim();
        if given.chars().count() > MAX_VAT_NUMBER {
            return Err(format!("must be at most {MAX_VAT_NUMBER} characters"));
        }
        let compact: String = given
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .flat_map(char::to_uppercase)
            .collect();
        if compact.is_empty() {
            return Err("is required".into());
        }
        if !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("may hold only letters and digits (spaces and dots are ignored)".into());
        }
        // `compact` is ASCII here, so slicing at byte 2 is on a boundary.
        if let Some((prefix, adjective, shapes)) = FORMATS
            .iter()
            .find(|(prefix, _, _)| compact.starts_with(prefix))
        {
            let national = &compact[prefix.len()..];
            if !shapes.iter().any(|s| super::has_shape(national, s)) {
                return Err(format!(
                    "is not a valid {adjective} VAT number (expected {prefix} followed by {}, \
                     where 9 is a digit, L a letter and X either)",
                    shapes.join(" or ")
                ));
            }
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> Result<String, String> {
        VatNumber::parse(s).map(|v| v.as_str().to_owned())
    }

    #[test]
    fn vat_number_is_at_most_50_characters() {
        assert!(parsed(&"1".repeat(50)).is_ok());
        assert!(parsed(&"1".repeat(51)).is_err());
    }

    #[test]
    fn vat_number_drops_spaces_and_dots_and_is_upper_cased() {
        assert_eq!(parsed(" de 123.456.789 "), Ok("DE123456789".into()));
    }

    #[test]
    fn vat_number_holds_only_letters_and_digits() {
        assert!(parsed("DE-123456789").is_err());
    }

    #[test]
    fn german_vat_number_is_9_digits() {
        assert!(parsed("DE123456789").is_ok());
        let e = parsed("DE12345678").expect_err("8 digits");
        assert!(e.starts_with("is not a valid German VAT number"), "{e}");
    }

    #[test]
    fn dutch_vat_number_is_9_digits_b_and_2_digits() {
        assert!(parsed("NL123456789B01").is_ok());
        assert!(parsed("NL123456789001").is_err());
    }

    #[test]
    fn french_vat_number_is_2_letters_or_digits_and_9_digits() {
        assert!(parsed("FR40303265045").is_ok());
        assert!(parsed("FRXX303265045").is_ok());
        assert!(parsed("FR4030326504").is_err());
    }

    #[test]
    fn italian_vat_number_is_11_digits() {
        assert!(parsed("IT12345678901").is_ok());
        assert!(parsed("IT1234567890A").is_err());
    }

    #[test]
    fn belgian_vat_number_is_10_digits_starting_0_or_1() {
        assert!(parsed("BE0123456789").is_ok());
        assert!(parsed("BE1123456789").is_ok());
        assert!(parsed("BE2123456789").is_err());
    }

    #[test]
    fn austrian_vat_number_is_u_and_8_digits() {
        assert!(parsed("ATU12345678").is_ok());
        assert!(parsed("AT123456789").is_err());
    }

    #[test]
    fn spanish_vat_number_has_a_letter_or_digit_at_either_end() {
        assert!(parsed("ESX1234567X").is_ok());
        assert!(parsed("ES12345678Z").is_ok());
        assert!(parsed("ESXX234567X").is_err());
    }

    #[test]
    fn northern_irish_vat_number_takes_the_uk_formats() {
        assert!(parsed("XI123456789").is_ok());
        assert!(parsed("XIGD123").is_ok());
        assert!(parsed("XI12345").is_err());
    }

    #[test]
    fn swedish_vat_number_ends_in_01() {
        assert!(parsed("SE123456789001").is_ok());
        assert!(parsed("SE123456789012").is_err());
    }

    #[test]
    fn vat_number_without_an_eu_prefix_is_not_format_checked() {
        assert!(parsed("CHE123456789").is_ok());
        assert!(parsed("123").is_ok());
    }

    #[test]
    fn every_eu_member_state_and_northern_ireland_has_a_format() {
        let prefixes: Vec<&str> = FORMATS.iter().map(|(p, _, _)| *p).collect();
        assert_eq!(prefixes.len(), 28);
        for s in FORMATS.iter().flat_map(|(_, _, shapes)| shapes.iter()) {
            assert!(s.chars().all(|c| c.is_ascii_alphanumeric()), "{s}");
        }
    }
}
