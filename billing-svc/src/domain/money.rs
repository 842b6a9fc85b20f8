//! Money is integer minor units of an ISO 4217 currency, never floats.

/// Active ISO 4217 codes (list three, 2024).
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB \
BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD \
FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR \
KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR \
MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK \
SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES \
VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

/// The most one allocation may move, in minor units.
pub const MAX_AMOUNT: i64 = 100_000_000_000;

/// An ISO 4217 currency code, upper case as the standard spells it.
pub fn currency(s: &str) -> Result<String, String> {
    if s.len() == 3
        && s.bytes().all(|b| b.is_ascii_uppercase())
        && ISO_4217.split(' ').any(|c| c == s)
    {
        Ok(s.to_owned())
    } else {
        Err("must be an ISO 4217 currency code such as USD or EUR".into())
    }
}

/// A positive amount of minor units, at most [`MAX_AMOUNT`].
pub fn amount(a: i64) -> Result<i64, String> {
    if (1..=MAX_AMOUNT).contains(&a) {
        Ok(a)
    } else {
        Err(format!("must be between 1 and {MAX_AMOUNT} minor units"))
    }
}

/// A ledger note: at most 255 printable characters, trimmed.
pub fn note(s: &str) -> Result<String, String> {
    if s.chars().count() > 255 || s.chars().any(char::is_control) {
        Err("must be at most 255 printable characters".into())
    } else {
        Ok(s.trim().to_owned())
    }
}

/// `quantity` units at `amount` per `per` units, rounded half up to a
/// whole minor unit; saturates rather than wrapping.
pub fn price_of(quantity: i64, amount: i64, per: i64) -> i64 {
    let per = i128::from(per.max(1));
    let exact = i128::from(quantity) * i128::from(amount);
    let rounded = (exact + per / 2) / per;
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_iso_codes_in_upper_case() {
        assert_eq!(currency("USD"), Ok("USD".into()));
        assert_eq!(currency("EUR"), Ok("EUR".into()));
        for bad in ["usd", "US", "USDX", "XYZ", ""] {
            assert!(currency(bad).is_err(), "{bad:?} passed");
        }
    }

    #[test]
    fn amounts_are_positive_and_bounded() {
        assert!(amount(1).is_ok());
        assert!(amount(MAX_AMOUNT).is_ok());
        assert!(amount(0).is_err());
        assert!(amount(-1).is_err());
        assert!(amount(MAX_AMOUNT + 1).is_err());
    }

    #[test]
    fn prices_round_half_up_per_unit_block() {
        assert_eq!(price_of(3, 500, 1), 1500);
        assert_eq!(price_of(1500, 10, 1000), 15);
        assert_eq!(price_of(1450, 10, 1000), 15); // 14.5 rounds up
        assert_eq!(price_of(1449, 10, 1000), 14);
        assert_eq!(price_of(0, 10, 1000), 0);
        assert_eq!(price_of(i64::MAX, i64::MAX, 1), i64::MAX);
    }
}
