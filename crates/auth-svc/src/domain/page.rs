//! Paging of the client and access-request lists, as the reference's list
//! endpoints take it: `skip` ≥ 0, `take` 1..=1000 with 100 when not given;
//! and `after`, the keyset cursor of the previous page (the last id it
//! showed).

use platform::status::Violations;

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
    /// means the default; `after` empty is the start of the list. A cursor
    /// is an id the list showed, so one `is_cursor` refuses was never issued.
    /// Each problem is recorded on its field in `v`.
    pub fn parse(
        v: &mut Violations,
        skip: i64,
        take: i64,
        after: &str,
        is_cursor: impl Fn(&str) -> bool,
    ) -> Option<Self> {
        let mut problems: Vec<(&str, String)> = Vec::new();
        if skip < 0 {
            problems.push(("skip", "must not be negative".into()));
        }
        let take = if take == 0 { DEFAULT_TAKE } else { take };
        if !(1..=MAX_TAKE).contains(&take) {
            problems.push(("take", format!("must be between 1 and {MAX_TAKE}")));
        }
        if !after.is_empty() && !is_cursor(after) {
            problems.push(("after", "is not a cursor this API issued".into()));
        }
        let fine = problems.is_empty();
        for (field, problem) in problems {
            v.add(field, problem);
        }
        fine.then(|| Self {
            skip,
            take,
            after: after.to_owned(),
        })
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

    /// The cursor of the page whose rows (fetched `take + 1`, so that one
    /// more tells that another page follows) are `rows`, which it cuts to
    /// `take`: the last id shown, or empty when nothing follows.
    pub fn cut<T>(&self, rows: &mut Vec<T>, id: impl Fn(&T) -> &str) -> String {
        let more = rows.len() as i64 > self.take;
        rows.truncate(usize::try_from(self.take).unwrap_or(usize::MAX));
        match rows.last() {
            Some(last) if more => id(last).to_owned(),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(skip: i64, take: i64, after: &str) -> Result<Page, Vec<String>> {
        let mut v = Violations::new();
        Page::parse(&mut v, skip, take, after, platform::id::is_id)
            .ok_or_else(|| v.into_vec().into_iter().map(|(field, _)| field).collect())
    }

    #[test]
    fn take_not_given_means_100() {
        assert_eq!(parse(0, 0, "").expect("ok").take(), 100);
    }

    #[test]
    fn take_is_between_1_and_1000() {
        assert_eq!(parse(0, 1, "").expect("ok").take(), 1);
        assert_eq!(parse(0, 1000, "").expect("ok").take(), 1000);
        assert_eq!(parse(0, 1001, ""), Err(vec!["take".to_owned()]));
        assert_eq!(parse(0, -1, ""), Err(vec!["take".to_owned()]));
    }

    #[test]
    fn skip_is_not_negative() {
        assert_eq!(parse(7, 10, "").expect("ok").skip(), 7);
        assert_eq!(parse(-1, 10, ""), Err(vec!["skip".to_owned()]));
    }

    #[test]
    fn after_is_a_cursor_or_empty() {
        let id = platform::id::new_id();
        assert_eq!(parse(0, 10, &id).expect("ok").after(), id);
        assert_eq!(parse(0, 10, "nope"), Err(vec!["after".to_owned()]));
    }

    #[test]
    fn every_paging_problem_is_reported() {
        assert_eq!(
            parse(-1, -1, "x"),
            Err(vec![
                "skip".to_owned(),
                "take".to_owned(),
                "after".to_owned()
            ])
        );
    }

    #[test]
    fn a_page_with_one_row_more_than_asked_has_a_cursor() {
        let page = parse(0, 2, "").expect("ok");
        let mut rows = vec!["a", "b", "c"];
        assert_eq!(page.cut(&mut rows, |r| r), "b");
        assert_eq!(rows, ["a", "b"]);
        let mut rows = vec!["a", "b"];
        assert_eq!(page.cut(&mut rows, |r| r), "", "nothing follows");
        assert_eq!(rows, ["a", "b"]);
    }
}
