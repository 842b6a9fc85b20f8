//! The customer's `Iam_usersMax` limit: how many contacts may be assigned to
//! it. The limit itself lives with the customer (account-svc); the caller
//! passes it, and this service checks it where it counts the contacts.

/// A positive `Iam_usersMax`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsersMax(i64);

impl UsersMax {
    /// 0 is "no limit" (`Ok(None)`), as the contract says; a negative
    /// limit is a caller's mistake rather than "nobody".
    pub fn parse(n: i64) -> Result<Option<Self>, String> {
        match n {
            0 => Ok(None),
            n if n < 0 => Err("must not be negative (0 = no limit)".into()),
            n => Ok(Some(Self(n))),
        }
    }

    /// Whether `assigned` contacts (the new one included) fit.
    pub fn admits(self, assigned: i64) -> bool {
        assigned <= self.0
    }

    pub fn value(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_users_max_is_no_limit() {
        assert_eq!(UsersMax::parse(0), Ok(None));
    }

    #[test]
    fn negative_users_max_is_refused() {
        assert!(UsersMax::parse(-1).is_err());
    }

    #[test]
    fn users_max_admits_up_to_and_including_the_limit() {
        let limit = UsersMax::parse(2).expect("ok").expect("limited");
        assert!(limit.admits(1));
        assert!(limit.admits(2));
        assert!(!limit.admits(3));
        assert_eq!(limit.value(), 2);
    }
}
