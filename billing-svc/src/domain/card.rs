//! Credit-card fields as the reference's PaymentCreditCardV2 model defines
//! them (`type`, `cardNumber`, `expirationDate`, `securityCode`,
//! `holderName`, and for Maestro `issueNumber` and `startDate`), and
//! [`VerifiedCard`], which checks them together.
//!
//! The card number and the security code are cardholder data that must never
//! be stored or logged (PCI DSS 3.3.1, 3.4.1): their types print nothing
//! useful in Debug, are not `Clone`, and end in [`VerifiedCard::into_on_file`],
//! which keeps only what may be stored.

use std::fmt;

/// The card brands the reference accepts (PaymentCreditCardV2 `type`: AMEX,
/// DC, DISCOVER, MC, VISA, and Maestro with its start date), answered and
/// stored as the reference spells them, in upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardType {
    Amex,
    Dc,
    Discover,
    Maestro,
    Mc,
    Visa,
}

impl CardType {
    /// The longest `type` the reference takes ("Max length is 10 symbols").
    pub const MAX_LEN: usize = 10;

    /// Case-insensitive (DESIGN §6.2): the reference itself writes both
    /// `MAESTRO`-style codes and 'Maestro', so `visa` and `Maestro` are
    /// accepted and answered as `VISA` and `MAESTRO`.
    pub fn parse(s: &str) -> Result<Self, String> {
        // The limit counts what was sent, as the OpenAPI schema does.
        if s.chars().count() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        let s = s.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        [
            Self::Amex,
            Self::Dc,
            Self::Discover,
            Self::Maestro,
            Self::Mc,
            Self::Visa,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s))
        .ok_or_else(|| "must be one of AMEX, DC, DISCOVER, MAESTRO, MC, VISA".into())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Amex => "AMEX",
            Self::Dc => "DC",
            Self::Discover => "DISCOVER",
            Self::Maestro => "MAESTRO",
            Self::Mc => "MC",
            Self::Visa => "VISA",
        }
    }

    /// Digits of the security code: AMEX prints four on the front (CID),
    /// the others (Maestro included) three on the back (CVV2/CVC2).
    pub fn security_code_len(self) -> usize {
        if self == Self::Amex { 4 } else { 3 }
    }

    /// Maestro cards carry a start ("valid from") date the issuer checks;
    /// the other brands print none, so theirs is optional.
    pub fn requires_start_date(self) -> bool {
        self == Self::Maestro
    }
}

/// An issuer identification number range (ISO/IEC 7812-1): numbers whose
/// first digits, as many as `from` has, lie in `from..=to` belong to `brand`.
struct IinRange {
    from: &'static str,
    to: &'static str,
    brand: CardType,
}

const fn iin(from: &'static str, to: &'static str, brand: CardType) -> IinRange {
    IinRange { from, to, brand }
}

/// The issuer prefixes of the brands we accept, as the card networks publish
/// them. No two ranges overlap (a test checks it), so order does not matter:
/// 6011 and 65 are Discover's, while Maestro's 6304, 639, 6759 and 6761–6763
/// sit beside them; Maestro's 50 and 56–58 border Mastercard's 51–55.
const IIN_RANGES: &[IinRange] = &[
    iin("34", "34", CardType::Amex),
    iin("37", "37", CardType::Amex),
    iin("300", "305", CardType::Dc),
    iin("36", "36", CardType::Dc),
    iin("38", "38", CardType::Dc),
    iin("6011", "6011", CardType::Discover),
    iin("644", "649", CardType::Discover),
    iin("65", "65", CardType::Discover),
    iin("50", "50", CardType::Maestro),
    iin("56", "58", CardType::Maestro),
    iin("6304", "6304", CardType::Maestro),
    iin("639", "639", CardType::Maestro),
    iin("6759", "6759", CardType::Maestro),
    iin("6761", "6763", CardType::Maestro),
    iin("2221", "2720", CardType::Mc),
    iin("51", "55", CardType::Mc),
    iin("4", "4", CardType::Visa),
];

impl IinRange {
    /// Equal-length digit strings order as their numbers do, so comparing
    /// the number's prefix as text is comparing it as a number.
    fn contains(&self, digits: &str) -> bool {
        digits
            .get(..self.from.len())
            .is_some_and(|p| (self.from..=self.to).contains(&p))
    }
}

/// A card number (PAN): 12..=19 digits passing the Luhn check (ISO/IEC
/// 7812-1). Spaces and dashes are allowed as typed, up to 20 characters in
/// all. Debug shows only the last four digits.
pub struct CardNumber(String);

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(****{})", self.last4())
    }
}

impl CardNumber {
    /// Error messages never repeat the number: they end up in logs and answers.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        if s.chars().count() > 20 {
            return Err("must be at most 20 characters".into());
        }
        let digits: String = s.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("may hold only digits, spaces and dashes".into());
        }
        // 12..=19 is ISO/IEC 7812's range and Maestro's own; the other brands
        // issue lengths inside it.
        if !(12..=19).contains(&digits.len()) {
            return Err("must be 12 to 19 digits".into());
        }
        if !luhn_valid(&digits) {
            return Err("is not a valid card number".into());
        }
        Ok(Self(digits))
    }

    /// The digits, for the card processor only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> &str {
        // Parsing guaranteed at least 12 ASCII digits, so this slice is in bounds.
        &self.0[self.0.len().saturating_sub(4)..]
    }

    /// The brand the issuer prefix (IIN) belongs to, if one we accept.
    pub fn brand(&self) -> Option<CardType> {
        IIN_RANGES
            .iter()
            .find(|range| range.contains(&self.0))
            .map(|range| range.brand)
    }
}

/// The Luhn (mod 10) check: from the right, double every second digit.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A month as printed on a card, `MM/YY`; it orders by year, then month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct CardMonth {
    year: i32,
    month: u8,
}

impl CardMonth {
    fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        let b = s.as_bytes();
        let shaped =
            b.len() == 5 && b[2] == b'/' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit());
        if !shaped {
            return Err("must be MM/YY".into());
        }
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        let month = two(0);
        if !(1..=12).contains(&month) {
            return Err("month must be 01 to 12".into());
        }
        // Two-digit years on cards are this century's.
        let year = 2000 + i32::from(two(3));
        Ok(Self { year, month })
    }

    fn of(date: time::Date) -> Self {
        Self {
            year: date.year(),
            month: u8::from(date.month()),
        }
    }
}

impl fmt::Display for CardMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:02}", self.month, self.year % 100)
    }
}

/// An expiry as printed on the card, `MM/YY`. The card is valid through the
/// last day of that month, so the current month is still accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry(CardMonth);

impl Expiry {
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::parse_at(s, time::OffsetDateTime::now_utc().date())
    }

    /// Parses as of `today`, so the rule is testable without a clock.
    pub fn parse_at(s: &str, today: time::Date) -> Result<Self, String> {
        let month = CardMonth::parse(s)?;
        if month < CardMonth::of(today) {
            return Err("has passed".into());
        }
        Ok(Self(month))
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A start ("valid from") date as printed on the card, `MM/YY`. The card is
/// valid from the first day of that month, so the current month is accepted
/// and a later one is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartDate(CardMonth);

impl StartDate {
    /// Parses as of `today`, so the rule is testable without a clock.
    pub fn parse_at(s: &str, today: time::Date) -> Result<Self, String> {
        let month = CardMonth::parse(s)?;
        if month > CardMonth::of(today) {
            return Err("must not be in the future".into());
        }
        Ok(Self(month))
    }

    /// A card's validity starts before it ends; a start in its expiry month
    /// or later is a typo in one of the two.
    pub fn is_before(self, expiry: Expiry) -> bool {
        self.0 < expiry.0
    }
}

impl fmt::Display for StartDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The issue number some Maestro (formerly Switch/Solo) cards print: one or
/// two digits, kept as typed since `01` and `1` are different numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueNumber(String);

impl IssueNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err("may hold only digits".into());
        }
        if s.len() > 2 {
            return Err("must be 1 or 2 digits".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A card security code (CVV2/CVC2/CID). Never printed by Debug and never
/// stored: PCI DSS 3.3.1 forbids keeping it even encrypted.
pub struct SecurityCode(String);

impl fmt::Debug for SecurityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecurityCode(***)")
    }
}

impl SecurityCode {
    /// `card_type` fixes the length; when the type itself is invalid, any
    /// length a brand uses (3 or 4) passes so only one field is blamed.
    pub fn parse(s: &str, card_type: Option<CardType>) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err("may hold only digits".into());
        }
        match card_type {
            Some(t) if s.len() != t.security_code_len() => Err(format!(
                "must be {} digits for {}",
                t.security_code_len(),
                t.as_str()
            )),
            None if !(3..=4).contains(&s.len()) => Err("must be 3 or 4 digits".into()),
            _ => Ok(Self(s.to_owned())),
        }
    }

    /// The digits, for the card processor only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The name on the card: optional, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderName(String);

impl HolderName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.chars().count() > 100 {
            return Err("must be at most 100 characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A card as the client sent it, field by field, before any rule. No Debug:
/// it holds the card number and security code in the clear.
#[derive(Clone, Copy, Default)]
pub struct CardFields<'a> {
    pub card_type: &'a str,
    pub number: &'a str,
    pub expiration_date: &'a str,
    pub security_code: &'a str,
    pub holder_name: &'a str,
    pub issue_number: &'a str,
    pub start_date: &'a str,
}

/// A card whose fields passed every rule, ready for the processor to verify.
#[derive(Debug)]
pub struct VerifiedCard {
    pub card_type: CardType,
    pub number: CardNumber,
    pub expiry: Expiry,
    pub security_code: SecurityCode,
    pub holder_name: HolderName,
    /// For the processor only: the table keeps neither (see [`CardOnFile`]).
    pub issue_number: Option<IssueNumber>,
    pub start_date: Option<StartDate>,
}

/// What may be kept of a card once the processor has seen it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOnFile {
    pub brand: CardType,
    pub last4: String,
    pub expiry: Expiry,
    pub holder_name: HolderName,
}

/// A field parsed, or `None` with its problem recorded under `field`.
fn check<T>(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    parsed: Result<T, String>,
) -> Option<T> {
    parsed.map_err(|m| errors.push((field, m))).ok()
}

/// An optional field: blank is "not given", anything else must parse.
fn optional<T>(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    given: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<Option<T>> {
    if given.trim().is_empty() {
        Some(None)
    } else {
        check(errors, field, parse(given)).map(Some)
    }
}

impl VerifiedCard {
    /// Checks every field and the rules that join them, returning every
    /// violation at once, keyed by the field's name in the card model.
    pub fn parse(card: &CardFields<'_>) -> Result<Self, Vec<(&'static str, String)>> {
        Self::parse_at(card, time::OffsetDateTime::now_utc().date())
    }

    /// [`VerifiedCard::parse`] as of `today`, so the date rules are testable.
    pub fn parse_at(
        card: &CardFields<'_>,
        today: time::Date,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let card_type = check(&mut errors, "type", CardType::parse(card.card_type));
        let number = check(&mut errors, "cardNumber", CardNumber::parse(card.number));
        let expiry = check(
            &mut errors,
            "expirationDate",
            Expiry::parse_at(card.expiration_date, today),
        );
        let security_code = check(
            &mut errors,
            "securityCode",
            SecurityCode::parse(card.security_code, card_type),
        );
        let holder_name = check(
            &mut errors,
            "holderName",
            HolderName::parse(card.holder_name),
        );
        let issue_number = optional(
            &mut errors,
            "issueNumber",
            card.issue_number,
            IssueNumber::parse,
        );
        let start_date = match card_type {
            Some(t) if t.requires_start_date() && card.start_date.trim().is_empty() => {
                errors.push(("startDate", format!("is required for {}", t.as_str())));
                None
            }
            _ => optional(&mut errors, "startDate", card.start_date, |s| {
                StartDate::parse_at(s, today)
            }),
        };
        if let (Some(t), Some(n)) = (card_type, &number) {
            // The issuer prefix decides the brand; a mismatch is a typo in one of the two.
            if n.brand() != Some(t) {
                errors.push((
                    "cardNumber",
                    format!("does not match card type {}", t.as_str()),
                ));
            }
        }
        if let (Some(Some(start)), Some(expiry)) = (start_date, expiry)
            && !start.is_before(expiry)
        {
            errors.push(("startDate", "must be before the expiration date".into()));
        }
        match (
            card_type,
            number,
            expiry,
            security_code,
            holder_name,
            issue_number,
            start_date,
        ) {
            (
                Some(card_type),
                Some(number),
                Some(expiry),
                Some(security_code),
                Some(holder_name),
                Some(issue_number),
                Some(start_date),
            ) if errors.is_empty() => Ok(Self {
                card_type,
                number,
                expiry,
                security_code,
                holder_name,
                issue_number,
                start_date,
            }),
            _ => Err(errors),
        }
    }

    /// Consumes the card: the number and security code are dropped here, and
    /// so are the issue number and start date, which only the processor needs.
    pub fn into_on_file(self) -> CardOnFile {
        CardOnFile {
            brand: self.card_type,
            last4: self.number.last4().to_owned(),
            expiry: self.expiry,
            holder_name: self.holder_name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: time::Month) -> time::Date {
        time::Date::from_calendar_date(year, month, 15).expect("valid date")
    }

    /// The five fields every card has; tests add Maestro's two as needed.
    fn fields<'a>(
        card_type: &'a str,
        number: &'a str,
        expiration_date: &'a str,
        security_code: &'a str,
        holder_name: &'a str,
    ) -> CardFields<'a> {
        CardFields {
            card_type,
            number,
            expiration_date,
            security_code,
            holder_name,
            ..CardFields::default()
        }
    }

    /// A Maestro card as of March 2026, with the start date and issue number given.
    fn maestro(
        start_date: &str,
        issue_number: &str,
    ) -> Result<VerifiedCard, Vec<(&'static str, String)>> {
        let card = CardFields {
            start_date,
            issue_number,
            ..fields("MAESTRO", "6759649826438453", "12/28", "123", "")
        };
        VerifiedCard::parse_at(&card, date(2026, time::Month::March))
    }

    fn error_fields(errors: &[(&'static str, String)]) -> Vec<&'static str> {
        errors.iter().map(|(f, _)| *f).collect()
    }

    #[test]
    fn card_type_is_one_of_the_reference_spellings() {
        for name in ["AMEX", "DC", "DISCOVER", "MAESTRO", "MC", "VISA"] {
            assert_eq!(CardType::parse(name).expect("known").as_str(), name);
        }
        assert!(CardType::parse("MASTERCARD").is_err());
        assert!(CardType::parse("").is_err());
    }

    #[test]
    fn card_type_is_case_insensitive() {
        assert_eq!(CardType::parse("visa"), Ok(CardType::Visa));
        assert_eq!(CardType::parse("Amex"), Ok(CardType::Amex));
        assert_eq!(CardType::parse("Maestro"), Ok(CardType::Maestro));
        assert_eq!(CardType::parse("MAESTRO"), Ok(CardType::Maestro));
        assert_eq!(CardType::parse("mc"), Ok(CardType::Mc));
    }

    #[test]
    fn card_type_is_answered_in_upper_case() {
        for (given, canonical) in [
            ("visa", "VISA"),
            ("Maestro", "MAESTRO"),
            ("Discover", "DISCOVER"),
            ("dc", "DC"),
        ] {
            assert_eq!(
                CardType::parse(given).expect("known").as_str(),
                canonical,
                "{given}"
            );
        }
    }

    #[test]
    fn card_type_is_required() {
        assert_eq!(CardType::parse(""), Err("is required".into()));
        assert_eq!(CardType::parse("   "), Err("is required".into()));
    }

    #[test]
    fn card_type_is_at_most_10_characters() {
        assert_eq!(
            CardType::parse("VISAVISAVIS"),
            Err("must be at most 10 characters".into())
        );
        // Ten characters: within the limit, so judged as a type.
        assert_eq!(
            CardType::parse("VISAVISAVI"),
            Err("must be one of AMEX, DC, DISCOVER, MAESTRO, MC, VISA".into())
        );
        assert!(CardType::parse("  DISCOVER").is_ok());
    }

    #[test]
    fn card_type_names_the_type_field_and_the_number_is_judged_by_its_canonical_brand() {
        let card = fields("visa", "4111111111111111", "12/99", "123", "");
        let verified = VerifiedCard::parse(&card).expect("lower-case visa");
        assert_eq!(verified.card_type, CardType::Visa);
        assert_eq!(verified.into_on_file().brand.as_str(), "VISA");
        let errors =
            VerifiedCard::parse(&fields("BANKCARD", "4111111111111111", "12/99", "123", ""))
                .expect_err("unknown type");
        assert_eq!(error_fields(&errors), ["type"]);
    }

    #[test]
    fn card_number_must_pass_luhn() {
        assert!(CardNumber::parse("4111111111111111").is_ok());
        assert!(CardNumber::parse("4111111111111112").is_err());
        assert!(CardNumber::parse("378282246310005").is_ok());
        assert!(CardNumber::parse("378282246310006").is_err());
    }

    #[test]
    fn card_number_allows_spaces_and_dashes() {
        assert_eq!(
            CardNumber::parse("4111 1111 1111 1111")
                .expect("spaces")
                .expose(),
            "4111111111111111"
        );
        assert_eq!(
            CardNumber::parse("4111-1111-1111-1111")
                .expect("dashes")
                .expose(),
            "4111111111111111"
        );
    }

    #[test]
    fn card_number_is_required() {
        assert_eq!(CardNumber::parse("").map(|_| ()), Err("is required".into()));
        assert_eq!(
            CardNumber::parse("  ").map(|_| ()),
            Err("is required".into())
        );
    }

    #[test]
    fn card_number_holds_only_digits() {
        assert!(CardNumber::parse("4111a11111111111").is_err());
        assert!(CardNumber::parse("4111.1111.1111.1111").is_err());
    }

    #[test]
    fn card_number_is_at_most_20_characters_as_given() {
        // 16 digits and three spaces: 19 characters; 16 digits and nine separators: 25.
        assert!(CardNumber::parse("6011 0009 9013 9424").is_ok());
        assert!(CardNumber::parse("4111 - 1111 - 1111 - 1111").is_err());
    }

    #[test]
    fn card_number_has_12_to_19_digits() {
        // Both pass Luhn; only the length is wrong.
        assert!(CardNumber::parse("42").is_err());
        assert!(CardNumber::parse("4000000000000000006").is_ok());
        assert!(CardNumber::parse("40000000000000000002").is_err());
    }

    #[test]
    fn card_number_errors_never_repeat_the_number() {
        let err = CardNumber::parse("4111111111111112").expect_err("fails Luhn");
        assert!(!err.contains("4111"), "{err}");
    }

    #[test]
    fn card_number_shows_only_its_last_four() {
        let n = CardNumber::parse("4111111111111111").expect("valid");
        assert_eq!(n.last4(), "1111");
        let debug = format!("{n:?}");
        assert!(!debug.contains("41111111"), "{debug}");
        assert!(debug.ends_with("1111)"), "{debug}");
    }

    #[test]
    fn brand_follows_the_issuer_prefix() {
        let brand = |n: &str| CardNumber::parse(n).expect("valid").brand();
        assert_eq!(brand("378282246310005"), Some(CardType::Amex));
        assert_eq!(brand("371449635398431"), Some(CardType::Amex));
        assert_eq!(brand("4111111111111111"), Some(CardType::Visa));
        assert_eq!(brand("5555555555554444"), Some(CardType::Mc));
        assert_eq!(brand("2221000000000009"), Some(CardType::Mc));
        assert_eq!(brand("2720990000000007"), Some(CardType::Mc));
        assert_eq!(brand("6011111111111117"), Some(CardType::Discover));
        assert_eq!(brand("6500000000000002"), Some(CardType::Discover));
        assert_eq!(brand("6440000000000005"), Some(CardType::Discover));
        assert_eq!(brand("30569309025904"), Some(CardType::Dc));
        assert_eq!(brand("36227206271667"), Some(CardType::Dc));
        assert_eq!(brand("38520000023237"), Some(CardType::Dc));
        assert_eq!(brand("1234567812345670"), None);
    }

    #[test]
    fn brand_is_maestro_for_maestro_prefixes() {
        let brand = |n: &str| CardNumber::parse(n).expect("valid").brand();
        for n in [
            "5000000000000009", // 50
            "5018000000000009",
            "5020000000000005",
            "5038000000000005",
            "5600000000000003", // 56-58
            "5700000000000002",
            "5800000000000001",
            "5893000000000009",
            "6304000000000000",
            "6390000000000005", // 639
            "6759649826438453",
            "6761000000000006", // 6761-6763
            "6762000000000005",
            "6763000000000004",
        ] {
            assert_eq!(brand(n), Some(CardType::Maestro), "{n}");
        }
    }

    #[test]
    fn maestro_prefixes_leave_the_neighbouring_brands_alone() {
        let brand = |n: &str| CardNumber::parse(n).expect("valid").brand();
        assert_eq!(brand("6011000000000004"), Some(CardType::Discover));
        assert_eq!(brand("6500000000000002"), Some(CardType::Discover));
        assert_eq!(brand("6440000000000005"), Some(CardType::Discover));
        assert_eq!(brand("5100000000000008"), Some(CardType::Mc));
        assert_eq!(brand("5555555555554444"), Some(CardType::Mc));
        // Next to Maestro's ranges but outside them.
        assert_eq!(brand("5900000000000000"), None);
        assert_eq!(brand("6305000000000009"), None);
        assert_eq!(brand("6760000000000007"), None);
        assert_eq!(brand("6764000000000003"), None);
    }

    #[test]
    fn iin_ranges_do_not_overlap() {
        // Widen every range to 19 digits: the numbers it covers.
        let span = |r: &IinRange| (format!("{:0<19}", r.from), format!("{:9<19}", r.to));
        for (i, a) in IIN_RANGES.iter().enumerate() {
            assert_eq!(a.from.len(), a.to.len(), "{}..{}", a.from, a.to);
            assert!(a.from <= a.to, "{}..{}", a.from, a.to);
            for b in &IIN_RANGES[i + 1..] {
                let ((a_lo, a_hi), (b_lo, b_hi)) = (span(a), span(b));
                assert!(
                    a_hi < b_lo || b_hi < a_lo,
                    "{}..{} overlaps {}..{}",
                    a.from,
                    a.to,
                    b.from,
                    b.to
                );
            }
        }
    }

    #[test]
    fn maestro_numbers_have_12_to_19_digits() {
        let brand = |n: &str| CardNumber::parse(n).map(|n| n.brand());
        assert_eq!(brand("630400000000"), Ok(Some(CardType::Maestro)));
        assert_eq!(brand("6759000000000000005"), Ok(Some(CardType::Maestro)));
        // Luhn-valid, one digit short and one too many.
        assert!(CardNumber::parse("67590000005").is_err());
        assert!(CardNumber::parse("67590000000000000000").is_err());
    }

    #[test]
    fn expiry_is_mm_slash_yy() {
        let today = date(2026, time::Month::March);
        assert_eq!(
            Expiry::parse_at("04/27", today).expect("valid").to_string(),
            "04/27"
        );
        for bad in ["4/27", "04-27", "04/2027", "0427", "ab/cd", ""] {
            assert!(Expiry::parse_at(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn expiry_is_required() {
        let today = date(2026, time::Month::March);
        assert_eq!(Expiry::parse_at("", today), Err("is required".into()));
        let errors =
            VerifiedCard::parse_at(&fields("VISA", "4111111111111111", "", "123", ""), today)
                .expect_err("no expiry");
        assert_eq!(errors, vec![("expirationDate", "is required".to_owned())]);
    }

    #[test]
    fn expiry_month_is_01_to_12() {
        let today = date(2026, time::Month::March);
        assert!(Expiry::parse_at("00/30", today).is_err());
        assert!(Expiry::parse_at("13/30", today).is_err());
        assert!(Expiry::parse_at("12/30", today).is_ok());
    }

    #[test]
    fn expiry_must_not_have_passed() {
        let today = date(2026, time::Month::March);
        assert!(Expiry::parse_at("02/26", today).is_err());
        assert!(Expiry::parse_at("12/25", today).is_err());
        assert!(Expiry::parse_at("04/26", today).is_ok());
        assert!(Expiry::parse_at("01/31", today).is_ok());
    }

    #[test]
    fn card_is_valid_through_the_end_of_its_expiry_month() {
        let last_day =
            time::Date::from_calendar_date(2026, time::Month::March, 31).expect("valid date");
        assert!(Expiry::parse_at("03/26", last_day).is_ok());
    }

    #[test]
    fn security_code_is_4_digits_for_amex() {
        assert!(SecurityCode::parse("1234", Some(CardType::Amex)).is_ok());
        assert!(SecurityCode::parse("123", Some(CardType::Amex)).is_err());
    }

    #[test]
    fn security_code_is_3_digits_for_other_brands() {
        for t in [
            CardType::Visa,
            CardType::Mc,
            CardType::Discover,
            CardType::Dc,
            CardType::Maestro,
        ] {
            assert!(SecurityCode::parse("123", Some(t)).is_ok());
            assert!(SecurityCode::parse("1234", Some(t)).is_err());
        }
    }

    #[test]
    fn security_code_is_required() {
        assert_eq!(
            SecurityCode::parse("", Some(CardType::Visa)).map(|_| ()),
            Err("is required".into())
        );
        assert_eq!(
            SecurityCode::parse(" ", None).map(|_| ()),
            Err("is required".into())
        );
    }

    #[test]
    fn security_code_is_3_or_4_digits_when_the_type_is_unknown() {
        // A bad type is blamed once, on `type`: the code is judged by what
        // any brand uses.
        assert!(SecurityCode::parse("123", None).is_ok());
        assert!(SecurityCode::parse("1234", None).is_ok());
        assert!(SecurityCode::parse("12", None).is_err());
        assert!(SecurityCode::parse("12345", None).is_err());
    }

    #[test]
    fn security_code_length_follows_the_type_in_any_case() {
        let today = date(2026, time::Month::March);
        let amex = fields("amex", "378282246310005", "12/28", "123", "");
        assert_eq!(
            VerifiedCard::parse_at(&amex, today).expect_err("three digits"),
            vec![("securityCode", "must be 4 digits for AMEX".to_owned())]
        );
    }

    #[test]
    fn security_code_holds_only_digits() {
        assert!(SecurityCode::parse("12a", Some(CardType::Visa)).is_err());
        assert!(SecurityCode::parse("", Some(CardType::Visa)).is_err());
    }

    #[test]
    fn security_code_never_shows_in_debug() {
        let code = SecurityCode::parse("737", Some(CardType::Visa)).expect("valid");
        assert!(!format!("{code:?}").contains("737"));
    }

    #[test]
    fn holder_name_is_at_most_100_characters() {
        assert!(HolderName::parse(&"a".repeat(100)).is_ok());
        assert!(HolderName::parse(&"a".repeat(101)).is_err());
        assert!(HolderName::parse("").is_ok());
    }

    #[test]
    fn card_brand_must_match_card_type() {
        let errors = VerifiedCard::parse(&fields("MC", "4111111111111111", "12/99", "123", ""))
            .expect_err("mismatch");
        assert_eq!(
            errors,
            vec![("cardNumber", "does not match card type MC".to_owned())]
        );
    }

    #[test]
    fn card_reports_every_violation_at_once() {
        let holder = "a".repeat(101);
        let card = CardFields {
            issue_number: "123",
            start_date: "1/20",
            ..fields("BANK", "4111111111111112", "13/99", "12x", &holder)
        };
        let errors = VerifiedCard::parse(&card).expect_err("invalid");
        assert_eq!(
            error_fields(&errors),
            [
                "type",
                "cardNumber",
                "expirationDate",
                "securityCode",
                "holderName",
                "issueNumber",
                "startDate"
            ]
        );
    }

    #[test]
    fn verified_card_debug_hides_number_and_code() {
        let card = VerifiedCard::parse(&fields(
            "AMEX",
            "378282246310005",
            "12/99",
            "4321",
            "Ann Lee",
        ))
        .expect("valid");
        let debug = format!("{card:?}");
        assert!(!debug.contains("37828224631"), "{debug}");
        assert!(!debug.contains("4321"), "{debug}");
    }

    #[test]
    fn card_on_file_keeps_only_brand_last4_expiry_and_holder() {
        let card = VerifiedCard::parse(&fields(
            "VISA",
            "4111111111111111",
            "12/99",
            "123",
            "Ann Lee",
        ))
        .expect("valid");
        let kept = card.into_on_file();
        assert_eq!(
            (
                kept.brand,
                kept.last4.as_str(),
                kept.expiry.to_string().as_str()
            ),
            (CardType::Visa, "1111", "12/99")
        );
        assert_eq!(kept.holder_name.as_str(), "Ann Lee");
    }

    #[test]
    fn start_date_is_mm_slash_yy() {
        let today = date(2026, time::Month::March);
        assert_eq!(
            StartDate::parse_at("01/24", today)
                .expect("valid")
                .to_string(),
            "01/24"
        );
        for bad in [
            "1/24", "01-24", "01/2024", "0124", "ab/cd", "00/24", "13/24", "",
        ] {
            assert!(StartDate::parse_at(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn start_date_must_not_be_in_the_future() {
        let today = date(2026, time::Month::March);
        assert!(StartDate::parse_at("03/26", today).is_ok());
        assert!(StartDate::parse_at("02/26", today).is_ok());
        assert_eq!(
            StartDate::parse_at("04/26", today),
            Err("must not be in the future".into())
        );
        assert!(StartDate::parse_at("01/27", today).is_err());
    }

    #[test]
    fn start_date_is_required_for_maestro() {
        let errors = maestro("", "").expect_err("no start date");
        assert_eq!(
            errors,
            vec![("startDate", "is required for MAESTRO".to_owned())]
        );
        assert!(maestro("01/24", "").is_ok());
    }

    #[test]
    fn start_date_is_required_for_maestro_in_any_case() {
        let today = date(2026, time::Month::March);
        for given in ["Maestro", "maestro", "MAESTRO"] {
            let card = fields(given, "6759649826438453", "12/28", "123", "");
            assert_eq!(
                VerifiedCard::parse_at(&card, today).expect_err("no start date"),
                vec![("startDate", "is required for MAESTRO".to_owned())],
                "{given}"
            );
            let card = CardFields {
                start_date: "01/24",
                ..card
            };
            let verified = VerifiedCard::parse_at(&card, today).expect("with a start date");
            assert_eq!(verified.card_type, CardType::Maestro, "{given}");
        }
    }

    #[test]
    fn start_date_is_at_most_5_characters() {
        let today = date(2026, time::Month::March);
        assert_eq!(
            StartDate::parse_at("01/2024", today),
            Err("must be MM/YY".into())
        );
    }

    #[test]
    fn start_date_is_optional_for_other_brands() {
        let today = date(2026, time::Month::March);
        let visa = fields("VISA", "4111111111111111", "12/28", "123", "");
        let card = VerifiedCard::parse_at(&visa, today).expect("without a start date");
        assert_eq!(card.start_date, None);
        let with_start = CardFields {
            start_date: "01/24",
            ..visa
        };
        let card = VerifiedCard::parse_at(&with_start, today).expect("with a start date");
        assert_eq!(
            card.start_date.map(|s| s.to_string()).as_deref(),
            Some("01/24")
        );
        let future = CardFields {
            start_date: "01/27",
            ..visa
        };
        let errors =
            VerifiedCard::parse_at(&future, today).expect_err("a given start date is checked");
        assert_eq!(error_fields(&errors), ["startDate"]);
    }

    #[test]
    fn start_date_must_be_before_the_expiry() {
        let today = date(2026, time::Month::March);
        let card = CardFields {
            start_date: "03/26",
            ..fields("MAESTRO", "6759649826438453", "03/26", "123", "")
        };
        assert_eq!(
            VerifiedCard::parse_at(&card, today).expect_err("starts as it expires"),
            vec![("startDate", "must be before the expiration date".to_owned())]
        );
        let card = CardFields {
            start_date: "02/26",
            ..card
        };
        assert!(VerifiedCard::parse_at(&card, today).is_ok());
    }

    #[test]
    fn issue_number_is_one_or_two_digits() {
        assert_eq!(IssueNumber::parse("1").expect("one").as_str(), "1");
        assert_eq!(IssueNumber::parse("01").expect("two").as_str(), "01");
        assert!(IssueNumber::parse("123").is_err());
        assert!(IssueNumber::parse("1a").is_err());
    }

    #[test]
    fn issue_number_is_optional() {
        assert_eq!(maestro("01/24", "").expect("without").issue_number, None);
        assert_eq!(
            maestro("01/24", "7").expect("with").issue_number,
            Some(IssueNumber::parse("7").expect("valid"))
        );
        let errors = maestro("01/24", "100").expect_err("three digits");
        assert_eq!(
            errors,
            vec![("issueNumber", "must be 1 or 2 digits".to_owned())]
        );
    }

    #[test]
    fn maestro_card_with_a_start_date_is_verified() {
        let card = maestro("01/24", "").expect("valid");
        assert_eq!(card.card_type, CardType::Maestro);
        assert_eq!(card.number.brand(), Some(CardType::Maestro));
    }

    #[test]
    fn card_on_file_keeps_neither_start_date_nor_issue_number() {
        let kept = maestro("01/24", "07").expect("valid").into_on_file();
        let debug = format!("{kept:?}");
        assert!(!debug.contains("01/24"), "{debug}");
        assert!(!debug.contains("\"07\""), "{debug}");
        assert_eq!(
            (kept.brand, kept.last4.as_str()),
            (CardType::Maestro, "8453")
        );
    }
}
