//! Culture: the language and formatting a company or partner prefers. Any
//! `ll-CC` tag (DESIGN §6.2), as [`platform::locale`] reads it for every
//! service.

pub use platform::locale::Culture;

#[cfg(test)]
mod tests {
    use super::super::country::COUNTRIES;

    /// The addresses' country table and the cultures' country codes are two
    /// tables of one standard; they must not drift apart.
    #[test]
    fn every_address_country_is_a_culture_country() {
        for c in COUNTRIES {
            assert!(
                platform::locale::COUNTRIES.binary_search(&c.code).is_ok(),
                "{}",
                c.code
            );
        }
    }
}
