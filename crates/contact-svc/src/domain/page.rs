//! Paging of list answers, as the reference's list endpoints take it:
//! `skip` ≥ 0, `take` 1..=1000 with 100 when not given; and `after`, the
//! keyset cursor of the previous page (the last contact id it showed).

pub const DEFAULT_TAKE: i64 = 100;
pub const MAX_TAKE: i64 = 1000;

/// A parsed `skip`/`take`/`after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    skip: i64,
    take: i64,
    after: String,
}

impl Page {
    /// `take` 0 is "not given" (proto3 cannot tell it from absent), so it
    /// means the default; `after` empty is the start of the list. The cursor
    /// is the id the previous page ended on, so anything not shaped like an
    /// id was never issued. Each problem names its field.
    pub fn parse(skip: i64, take: i64, after: &str) -> Result<Self, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        if skip < 0 {
            problems.push(("skip", "must not be negative".to_owned()));
        }
        let take = if take == 0 { DEFAULT_TAKE } else { take };
        if !(1..=MAX_TAKE).contains(&take) {
            problems.push(("take", format!("must be between 1 and {MAX_TAKE}")));
        }
        if !after.is_empty() && !platform::id::is_id(after) {
            problems.push(("after", "is not a cursor this API issued".to_owned()));
        }
        if problems.is_empty() {
            Ok(Self {
                skip,
                take,
                after: after.to_owned(),
            })
        } else {
            Err(problems)
        }
    }

    pub fn skip(&self) -> i64 {
        self.skip
    }

    pub fn take(&self) -> i64 {
        self.take
    }

    /// The id the page starts after; empty for the first.
    pub fn after(&self) -> &str {
        &self.after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_not_given_means_100() {
        assert_eq!(Page::parse(0, 0, "").expect("ok").take(), 100);
    }

    #[test]
    fn take_is_between_1_and_1000() {
        assert_eq!(Page::parse(0, 1, "").expect("ok").take(), 1);
        assert_eq!(Page::parse(0, 1000, "").expect("ok").take(), 1000);
        assert_eq!(
            Page::parse(0, 1001, ""),
            Err(vec![("take", "must be between 1 and 1000".to_owned())])
        );
        assert!(Page::parse(0, -1, "").is_err());
    }

    #[test]
    fn skip_is_not_negative() {
        assert_eq!(Page::parse(7, 10, "").expect("ok").skip(), 7);
        assert_eq!(
            Page::parse(-1, 10, ""),
            Err(vec![("skip", "must not be negative".to_owned())])
        );
    }

    #[test]
    fn after_is_an_id_or_empty() {
        let id = "0190a5a4c3b27c3e8f1d2a3b4c5d6e7f";
        assert_eq!(Page::parse(0, 10, id).expect("ok").after(), id);
        assert_eq!(Page::parse(0, 10, "").expect("ok").after(), "");
        for bad in ["nope", "0190A5A4C3B27C3E8F1D2A3B4C5D6E7F", &id[1..]] {
            assert_eq!(
                Page::parse(0, 10, bad),
                Err(vec![(
                    "after",
                    "is not a cursor this API issued".to_owned()
                )]),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_paging_problem_is_reported() {
        let fields: Vec<_> = Page::parse(-1, -1, "x")
            .expect_err("both bad")
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(fields, ["skip", "take", "after"]);
    }
}
