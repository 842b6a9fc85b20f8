//! Identifiers and timestamps as the wire spells them.

/// A new UUIDv7 as 32 lowercase hex characters. Time-ordered, so inserts
/// append and keyset paging follows creation order.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Whether `s` looks like an id this platform issued (32 lowercase hex).
pub fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Now, as RFC 3339 UTC with a fixed width, so that text order is time order.
pub fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

pub fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.format(&format).unwrap_or_default()
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_lowercase_hex_and_time_ordered() {
        let a = new_id();
        let b = new_id();
        assert!(is_id(&a), "{a}");
        assert!(a < b);
    }

    #[test]
    fn timestamps_sort_as_text() {
        let t = now_rfc3339();
        assert_eq!(t.len(), "2026-11-23T01:02:03.000000Z".len(), "{t}");
    }
}
