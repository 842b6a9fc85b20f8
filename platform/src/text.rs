//! Free text as every service takes it from a request: trimmed, at most so
//! many characters, no control characters (they break logs, CSV exports and
//! the terminals that show them). One rule, so a name accepted by one
//! service is accepted by the next.

/// `value` trimmed, if it has at most `max` characters and no control
/// characters; `required`: not blank either. The errors are the field
/// messages the APIs answer.
pub fn bounded(value: &str, max: usize, required: bool) -> Result<String, String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err("is required".into());
    }
    if v.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(bounded("  Ann  ", 3, true), Ok("Ann".into()));
        assert_eq!(bounded(" ", 3, true), Err("is required".into()));
        assert_eq!(bounded("", 3, false), Ok(String::new()));
        assert_eq!(
            bounded("Anna", 3, false),
            Err("must be at most 3 characters".into())
        );
        assert_eq!(
            bounded("A\u{7}n", 3, false),
            Err("must not contain control characters".into())
        );
    }
}
