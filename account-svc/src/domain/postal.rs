//! Postal codes: required and at most 50 characters everywhere (the
//! reference's AddressV2 `Zip`), and in the countries whose format the
//! platform knows, that format, refined to the way the national post writes
//! it.

use super::{bounded, has_shape};

/// The most characters any zip may have (reference AddressV2 table).
pub const MAX_ZIP: usize = 50;

/// One country's format.
struct PostalFormat {
    country: &'static str,
    /// What the post calls it, for messages.
    name: &'static str,
    /// The shapes without spaces, in the VIES notation of
    /// [`super::has_shape`].
    shapes: &'static [&'static str],
    /// The canonical form has one space before this many trailing
    /// characters; 0 for none.
    space_before_last: usize,
    /// Whether the code may start with 0.
    leading_zero: bool,
    example: &'static str,
}

/// Sources: USPS Publication 28 (ZIP and ZIP+4), Canada Post Addressing
/// Guidelines (`A1A 1A1`), PostNL (four digits, the first not 0, a space
/// and two letters), Poste Italiane CAP, Deutsche Post PLZ and La Poste code
/// postal (five digits), and Royal Mail's postcode format (an outward code of
/// `A9`, `A99`, `A9A`, `AA9`, `AA99` or `AA9A`, a space, an inward code `9AA`).
const FORMATS: &[PostalFormat] = &[
    PostalFormat {
        country: "US",
        name: "ZIP code",
        shapes: &["99999", "99999-9999"],
        space_before_last: 0,
        leading_zero: true,
        example: "12345 or 12345-6789",
    },
    PostalFormat {
        country: "CA",
        name: "Canadian postal code",
        shapes: &["L9L9L9"],
        space_before_last: 3,
        leading_zero: true,
        example: "K1A 0B1",
    },
    PostalFormat {
        country: "NL",
        name: "Dutch postcode",
        shapes: &["9999LL"],
        space_before_last: 2,
        leading_zero: false,
        example: "1234 AB",
    },
    PostalFormat {
        country: "IT",
        name: "Italian CAP",
        shapes: &["99999"],
        space_before_last: 0,
        leading_zero: true,
        example: "00184",
    },
    PostalFormat {
        country: "DE",
        name: "German postcode",
        shapes: &["99999"],
        space_before_last: 0,
        leading_zero: true,
        example: "10115",
    },
    PostalFormat {
        country: "GB",
        name: "UK postcode",
        shapes: &["L99LL", "L999LL", "L9L9LL", "LL99LL", "LL999LL", "LL9L9LL"],
        space_before_last: 3,
        leading_zero: true,
        example: "SW1A 1AA",
    },
    PostalFormat {
        country: "FR",
        name: "French postal code",
        shapes: &["99999"],
        space_before_last: 0,
        leading_zero: true,
        example: "75001",
    },
];

/// Parses the zip of an address in `country` (ISO 3166-1 alpha-2, upper
/// case; empty or unknown when the country itself is bad) into its canonical
/// form.
pub fn parse_zip(country: &str, zip: &str) -> Result<String, String> {
    let given = bounded(zip, MAX_ZIP, true)?;
    let Some(f) = FORMATS.iter().find(|f| f.country == country) else {
        return Ok(given);
    };
    // Spacing and case are how people write codes, not part of them: compare
    // without, answer in the post's own spelling.
    let compact: String = given
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    let fits = f.shapes.iter().any(|s| has_shape(&compact, s))
        && (f.leading_zero || !compact.starts_with('0'));
    if !fits {
        return Err(format!("is not a valid {} (such as {})", f.name, f.example));
    }
    // A matched shape is ASCII, so any byte index is a char boundary.
    Ok(match compact.len().checked_sub(f.space_before_last) {
        Some(at) if f.space_before_last > 0 => {
            format!("{} {}", &compact[..at], &compact[at..])
        }
        _ => compact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_zip_is_5_digits_or_zip_plus_4() {
        assert_eq!(parse_zip("US", "94105"), Ok("94105".into()));
        assert_eq!(parse_zip("US", "94105-1234"), Ok("94105-1234".into()));
        assert!(parse_zip("US", "9410").is_err());
        assert!(parse_zip("US", "94105-12").is_err());
    }

    #[test]
    fn canadian_postal_code_is_refined_to_upper_case_with_one_space() {
        assert_eq!(parse_zip("CA", "k1a0b1"), Ok("K1A 0B1".into()));
        assert_eq!(parse_zip("CA", "K1A  0B1"), Ok("K1A 0B1".into()));
        assert!(parse_zip("CA", "11A 0B1").is_err());
    }

    #[test]
    fn dutch_postcode_is_refined_to_four_digits_space_two_letters() {
        assert_eq!(parse_zip("NL", "1012ab"), Ok("1012 AB".into()));
        assert!(parse_zip("NL", "1012 A1").is_err());
    }

    #[test]
    fn dutch_postcode_does_not_start_with_0() {
        assert!(parse_zip("NL", "0123 AB").is_err());
    }

    #[test]
    fn italian_german_and_french_codes_are_5_digits() {
        for country in ["IT", "DE", "FR"] {
            assert_eq!(parse_zip(country, "01234"), Ok("01234".into()), "{country}");
            assert!(parse_zip(country, "1234").is_err(), "{country}");
            assert!(parse_zip(country, "1234A").is_err(), "{country}");
        }
    }

    #[test]
    fn uk_postcode_is_refined_to_upper_case_with_a_space_before_the_last_3() {
        assert_eq!(parse_zip("GB", "sw1a1aa"), Ok("SW1A 1AA".into()));
        assert_eq!(parse_zip("GB", "M1 1AE"), Ok("M1 1AE".into()));
        assert_eq!(parse_zip("GB", "cr26xh"), Ok("CR2 6XH".into()));
        assert_eq!(parse_zip("GB", "DN55 1PT"), Ok("DN55 1PT".into()));
        assert!(parse_zip("GB", "SW1A 1A").is_err());
        assert!(parse_zip("GB", "1W1A 1AA").is_err());
    }

    #[test]
    fn zip_is_required_in_every_country() {
        for country in ["US", "CA", "NL", "IT", "DE", "GB", "FR", "BE", ""] {
            assert!(parse_zip(country, " ").is_err(), "{country}");
        }
    }

    #[test]
    fn other_countries_take_any_zip_up_to_50_characters() {
        assert_eq!(parse_zip("BE", " b-1000 "), Ok("b-1000".into()));
        assert!(parse_zip("BE", &"1".repeat(50)).is_ok());
        assert!(parse_zip("BE", &"1".repeat(51)).is_err());
    }
}
