//! A contact's culture (ContactCreateV2, ContactInfoUpdateV2): any `ll-CC`
//! tag, as [`platform::locale`] reads it for every service; empty is "not
//! given".

pub use platform::locale::Culture;

/// Empty (or blank) is "not given": `Ok(None)`.
pub fn parse_optional(s: &str) -> Result<Option<Culture>, String> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        Culture::parse(s).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_culture_is_not_given() {
        assert_eq!(parse_optional(""), Ok(None));
        assert_eq!(parse_optional("  "), Ok(None));
    }

    #[test]
    fn a_given_culture_is_parsed_and_answered_upper_case() {
        let c = parse_optional("fr-be").expect("valid").expect("given");
        assert_eq!(c.as_str(), "FR-BE");
        assert!(parse_optional("xx-XX").is_err());
    }
}
