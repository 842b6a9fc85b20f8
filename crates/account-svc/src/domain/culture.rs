//! Culture: the language and formatting a company or contact prefers, from
//! the reference's table. Shared by companies, contacts' defaults and
//! partner settings.

/// The reference's culture table (DESIGN §6: "culture from the listed set"),
/// in its canonical upper case.
pub const CULTURES: &[&str] = &[
    "EN-US", "EN-GB", "FR-CA", "DE-DE", "IT-IT", "NL-NL", "JA-JP", "EN-AU",
];

/// A culture of [`CULTURES`]. Only case may differ on the way in (`en-us`);
/// `en_us` or `en` are refused rather than guessed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Culture(&'static str);

impl Culture {
    pub fn parse(s: &str) -> Result<Self, String> {
        let given = s.trim();
        CULTURES
            .iter()
            .find(|c| c.eq_ignore_ascii_case(given))
            .map(|c| Self(c))
            .ok_or_else(|| format!("must be one of {}", CULTURES.join(", ")))
    }

    /// The canonical (upper-case) name.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn culture_is_case_insensitive_in_and_canonical_out() {
        assert_eq!(Culture::parse("en-us").map(Culture::as_str), Ok("EN-US"));
        assert_eq!(Culture::parse("Ja-jP").map(Culture::as_str), Ok("JA-JP"));
    }

    #[test]
    fn unknown_culture_is_refused() {
        assert!(Culture::parse("ES-ES").is_err());
    }

    #[test]
    fn culture_separator_must_be_a_hyphen() {
        assert!(Culture::parse("en_us").is_err());
    }

    #[test]
    fn culture_is_one_of_the_eight_reference_cultures() {
        assert_eq!(CULTURES.len(), 8);
        for c in CULTURES {
            assert_eq!(Culture::parse(c).map(Culture::as_str), Ok(*c));
        }
    }
}
