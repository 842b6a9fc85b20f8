//! Paging of list answers, as the reference's list endpoints take it:
//! `skip` ≥ 0, `take` 1..=1000 with 100 when not given.

pub const DEFAULT_TAKE: i64 = 100;
pub const MAX_TAKE: i64 = 1000;

/// A parsed `skip`/`take` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    skip: i64,
    take: i64,
}

impl Page {
    /// `take` 0 is "not given" (proto3 cannot tell it from absent), so it
    /// means the default. Each problem names its field.
    pub fn parse(skip: i64, take: i64) -> Result<Self, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        if skip < 0 {
            problems.push(("skip", "must not be negative".to_owned()));
        }
        let take = if take == 0 { DEFAULT_TAKE } else { take };
        if !(1..=MAX_TAKE).contains(&take) {
            problems.push(("take", format!("must be between 1 and {MAX_TAKE}")));
        }
        if problems.is_empty() {
            Ok(Self { skip, take })
        } else {
            Err(problems)
        }
    }

    pub fn skip(self) -> i64 {
        self.skip
    }

    pub fn take(self) -> i64 {
        self.take
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_not_given_means_100() {
        assert_eq!(Page::parse(0, 0).expect("ok").take(), 100);
    }

    #[test]
    fn take_is_between_1_and_1000() {
        assert_eq!(Page::parse(0, 1).expect("ok").take(), 1);
        assert_eq!(Page::parse(0, 1000).expect("ok").take(), 1000);
        assert_eq!(
            Page::parse(0, 1001),
            Err(vec![("take", "must be between 1 and 1000".to_owned())])
        );
        assert!(Page::parse(0, -1).is_err());
    }

    #[test]
    fn skip_is_not_negative() {
        assert_eq!(Page::parse(7, 10).expect("ok").skip(), 7);
        assert_eq!(
            Page::parse(-1, 10),
            Err(vec![("skip", "must not be negative".to_owned())])
        );
    }

    #[test]
    fn every_paging_problem_is_reported() {
        let fields: Vec<_> = Page::parse(-1, -1)
            .expect_err("both bad")
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(fields, ["skip", "take"]);
    }
}
