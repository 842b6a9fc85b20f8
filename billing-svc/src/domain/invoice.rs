//! Billing periods and what an invoice for one adds up to.

use time::{Date, Month, OffsetDateTime, Time};

use super::PaymentType;
use super::money::price_of;

/// A closed-able billing period: one UTC calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    year: i32,
    month: Month,
}

impl Period {
    /// `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || "must be a month as YYYY-MM".to_owned();
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let month = Month::try_from(month).map_err(|_| bad())?;
        if year < 2000 {
            return Err("must be after 2000-01".into());
        }
        Ok(Self { year, month })
    }

    /// The month before the one `now` is in.
    pub fn previous(now: OffsetDateTime) -> Self {
        let (year, month) = match now.month() {
            Month::January => (now.year() - 1, Month::December),
            m => (now.year(), m.previous()),
        };
        Self { year, month }
    }

    pub fn start(self) -> OffsetDateTime {
        Date::from_calendar_date(self.year, self.month, 1)
            .unwrap_or(Date::MIN)
            .with_time(Time::MIDNIGHT)
            .assume_utc()
    }

    /// The first instant after the period.
    pub fn end(self) -> OffsetDateTime {
        let (year, month) = match self.month {
            Month::December => (self.year + 1, Month::January),
            m => (self.year, m.next()),
        };
        Self { year, month }.start()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, u8::from(self.month))
    }
}

/// Where a page of a customer's invoices ended: the last invoice's period
/// and id, the composite key the list is ordered by (period descending,
/// then id, so the order is total even if a period ever held two). Clients
/// hold it as an opaque `nextCursor`; on the wire it is `<period>.<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceCursor {
    period: Period,
    invoice_id: String,
}

impl InvoiceCursor {
    pub fn new(period: Period, invoice_id: &str) -> Result<Self, String> {
        if !platform::id::is_id(invoice_id) {
            return Err("is not a cursor this API issued".into());
        }
        Ok(Self {
            period,
            invoice_id: invoice_id.to_owned(),
        })
    }

    /// Only what [`Display`](std::fmt::Display) writes parses: a cursor
    /// spelled any other way (`2026-+1`, upper-case hex) was not issued here.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || "is not a cursor this API issued".to_owned();
        let (period, invoice_id) = s.split_once('.').ok_or_else(bad)?;
        let c = Self::new(Period::parse(period).map_err(|_| bad())?, invoice_id)?;
        if c.to_string() == s {
            Ok(c)
        } else {
            Err(bad())
        }
    }

    /// `YYYY-MM`, as stored.
    pub fn period(&self) -> String {
        self.period.to_string()
    }

    pub fn invoice_id(&self) -> &str {
        &self.invoice_id
    }
}

impl std::fmt::Display for InvoiceCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.period, self.invoice_id)
    }
}

/// A list price from the plan catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub item: String,
    pub amount: i64,
    pub currency: String,
    pub per: i64,
}

/// The plan catalogue's item for the monthly fee.
pub const MONTHLY: &str = "monthly";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: &'static str,
    pub description: String,
    pub meter: String,
    pub quantity: i64,
    pub unit_amount: i64,
    pub per: i64,
    pub amount: i64,
}

/// An invoice before credit: the plan fee, one line per priced meter used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub currency: String,
    pub lines: Vec<Line>,
    pub subtotal: i64,
}

/// Prices the period: the plan's monthly fee, then each meter the plan
/// prices, in the plan's currency. Meters the plan does not price are
/// reported as usage but not charged.
pub fn draft(plan_name: &str, prices: &[Price], usage: &[(String, i64)]) -> Draft {
    let currency = prices
        .iter()
        .find(|p| p.item == MONTHLY)
        .or(prices.first())
        .map_or_else(|| "USD".to_owned(), |p| p.currency.clone());
    let mut lines = Vec::new();
    for p in prices.iter().filter(|p| p.currency == currency) {
        if p.item == MONTHLY {
            lines.push(Line {
                kind: "plan",
                description: format!("Plan {plan_name}, monthly fee"),
                meter: String::new(),
                quantity: 1,
                unit_amount: p.amount,
                per: 1,
                amount: p.amount,
            });
        }
    }
    for (meter, quantity) in usage {
        if let Some(p) = prices
            .iter()
            .find(|p| &p.item == meter && p.item != MONTHLY && p.currency == currency)
        {
            let per = p.per.max(1);
            lines.push(Line {
                kind: "usage",
                description: format!("{meter}: {quantity} at {} per {per}", p.amount),
                meter: meter.clone(),
                quantity: *quantity,
                unit_amount: p.amount,
                per,
                amount: price_of(*quantity, p.amount, per),
            });
        }
    }
    let subtotal = lines.iter().fold(0i64, |s, l| s.saturating_add(l.amount));
    Draft {
        currency,
        lines,
        subtotal,
    }
}

/// How much of a credit balance settles an invoice: all of the subtotal if
/// the balance covers it, else the balance; nothing in another currency.
pub fn credit_to_apply(subtotal: i64, balance: Option<(&str, i64)>, currency: &str) -> i64 {
    match balance {
        Some((c, b)) if c == currency && b > 0 => b.min(subtotal).max(0),
        _ => 0,
    }
}

/// Who an invoice is billed to, by the account's payment type at closing
/// time: the reference's paperCheck means "bill to the parent account", so
/// the parent partner pays; creditCard (or no payment method on file) means
/// the account pays itself. An account without a parent (never the case for
/// an account, but the root has none) pays itself.
pub fn billed_to<'a>(
    payment: Option<PaymentType>,
    customer_id: &'a str,
    parent_partner_id: &'a str,
) -> &'a str {
    match payment {
        Some(PaymentType::PaperCheck) if !parent_partner_id.is_empty() => parent_partner_id,
        _ => customer_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn starter() -> Vec<Price> {
        vec![
            Price {
                item: MONTHLY.into(),
                amount: 900,
                currency: "USD".into(),
                per: 1,
            },
            Price {
                item: "users".into(),
                amount: 500,
                currency: "USD".into(),
                per: 1,
            },
            Price {
                item: "api_calls".into(),
                amount: 10,
                currency: "USD".into(),
                per: 1000,
            },
        ]
    }

    #[test]
    fn periods_are_calendar_months() {
        let p = Period::parse("2026-12").unwrap();
        assert_eq!(p.to_string(), "2026-12");
        assert_eq!(p.start(), datetime!(2026-12-01 0:00 UTC));
        assert_eq!(p.end(), datetime!(2027-01-01 0:00 UTC));
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", "", "1999-12"] {
            assert!(Period::parse(bad).is_err(), "{bad:?} passed");
        }
        assert_eq!(
            Period::previous(datetime!(2026-01-15 0:00 UTC)).to_string(),
            "2025-12"
        );
        assert_eq!(
            Period::previous(datetime!(2026-11-23 0:00 UTC)).to_string(),
            "2026-10"
        );
    }

    #[test]
    fn an_invoice_cursor_is_the_period_and_id_it_was_written_from() {
        let id = "0190f3b2c4d57e8f9a0b1c2d3e4f5a6b";
        let c = InvoiceCursor::new(Period::parse("2026-03").unwrap(), id).unwrap();
        assert_eq!(c.to_string(), format!("2026-03.{id}"));
        assert_eq!(InvoiceCursor::parse(&c.to_string()), Ok(c.clone()));
        assert_eq!((c.period(), c.invoice_id()), ("2026-03".to_owned(), id));
    }

    #[test]
    fn an_invoice_cursor_not_spelled_as_issued_is_refused() {
        let id = "0190f3b2c4d57e8f9a0b1c2d3e4f5a6b";
        for bad in [
            String::new(),
            id.to_owned(),
            "2026-03".to_owned(),
            "2026-03.".to_owned(),
            format!("2026-13.{id}"),
            format!("2026-+3.{id}"),
            format!("1999-12.{id}"),
            format!("2026-03.{}", id.to_uppercase()),
            format!("2026-03.{id}0"),
            format!("2026-03.{id}.{id}"),
            format!(" 2026-03.{id}"),
            format!("2026-03:{id}"),
        ] {
            assert!(InvoiceCursor::parse(&bad).is_err(), "{bad:?} passed");
        }
    }

    #[test]
    fn a_draft_is_the_fee_plus_priced_usage() {
        let usage = vec![
            ("api_calls".to_owned(), 2500),
            ("storage".to_owned(), 7),
            ("users".to_owned(), 3),
        ];
        let d = draft("starter", &starter(), &usage);
        assert_eq!(d.currency, "USD");
        let amounts: Vec<_> = d
            .lines
            .iter()
            .map(|l| (l.kind, l.meter.as_str(), l.amount))
            .collect();
        assert_eq!(
            amounts,
            vec![
                ("plan", "", 900),
                ("usage", "api_calls", 25),
                ("usage", "users", 1500)
            ]
        );
        assert_eq!(d.subtotal, 900 + 25 + 1500);
    }

    #[test]
    fn paper_check_bills_the_parent_partner() {
        assert_eq!(
            billed_to(Some(PaymentType::PaperCheck), "account", "parent"),
            "parent"
        );
    }

    #[test]
    fn a_card_or_no_payment_method_bills_the_account_itself() {
        assert_eq!(
            billed_to(Some(PaymentType::CreditCard), "account", "parent"),
            "account"
        );
        assert_eq!(billed_to(None, "account", "parent"), "account");
    }

    #[test]
    fn paper_check_without_a_parent_bills_the_customer_itself() {
        assert_eq!(
            billed_to(Some(PaymentType::PaperCheck), "account", ""),
            "account"
        );
    }

    #[test]
    fn credit_settles_up_to_the_subtotal_in_its_currency() {
        assert_eq!(credit_to_apply(1000, Some(("USD", 300)), "USD"), 300);
        assert_eq!(credit_to_apply(1000, Some(("USD", 5000)), "USD"), 1000);
        assert_eq!(credit_to_apply(1000, Some(("EUR", 5000)), "USD"), 0);
        assert_eq!(credit_to_apply(1000, None, "USD"), 0);
    }
}
