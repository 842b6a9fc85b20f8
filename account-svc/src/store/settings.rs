//! Partner settings, one row per partner that has changed any. A partner
//! without a row has the defaults, so reads never need a row to exist.

use platform::db::Db;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::domain::settings::{Grants, PasswordPolicy};
use crate::error::Error;

/// The stored settings; empty text is unset. The default is what a partner
/// without a row has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsRow {
    pub support_email: String,
    pub default_culture: String,
    /// Space-separated canonical CIDR blocks.
    pub api_allowed_networks: String,
    /// The partner's own policy, before its ancestors' are merged in.
    pub password: PasswordPolicy,
    /// What its parent granted it.
    pub grants: Grants,
}

/// The password columns of a `partner_setting` row.
fn password(r: &AnyRow) -> Result<PasswordPolicy, Error> {
    let min_length: i64 = r.try_get("password_min_length")?;
    Ok(PasswordPolicy {
        // Only UpdateSettings writes it, within 6..=128; anything else is a
        // row edited by hand, and guessing could loosen the rule.
        min_length: i32::try_from(min_length).map_err(|_| {
            Error::Internal(format!(
                "stored password_min_length {min_length} is out of range"
            ))
        })?,
        require_symbols: r.try_get::<i64, _>("password_require_symbols")? != 0,
        require_mixed_case: r.try_get::<i64, _>("password_require_mixed_case")? != 0,
    })
}

#[tracing::instrument(name = "db account.settings.find", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn find(db: &Db, customer_id: &str) -> Result<Option<SettingsRow>, Error> {
    let r = sqlx::query(
        "select support_email, default_culture, api_allowed_networks, password_min_length, \
         password_require_symbols, password_require_mixed_case, create_partners, \
         payment_processing from partner_setting where customer_id = $1",
    )
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?;
    r.map(|r| -> Result<_, Error> {
        Ok(SettingsRow {
            support_email: r.try_get("support_email")?,
            default_culture: r.try_get("default_culture")?,
            api_allowed_networks: r.try_get("api_allowed_networks")?,
            password: password(&r)?,
            grants: Grants {
                create_partners: r.try_get::<i64, _>("create_partners")? != 0,
                payment_processing: r.try_get::<i64, _>("payment_processing")? != 0,
            },
        })
    })
    .transpose()
}

/// The password policies of the customer at `path` and of each of its
/// ancestors that has a settings row (a customer's ancestors are the
/// customers whose path is a prefix of its own), in no particular order.
/// `path` holds only ids and `/`, so `like` finds no wildcard in it.
#[tracing::instrument(name = "db account.settings.policies_on_path", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn policies_on_path(db: &Db, path: &str) -> Result<Vec<PasswordPolicy>, Error> {
    sqlx::query(
        "select s.password_min_length, s.password_require_symbols, s.password_require_mixed_case \
         from partner_setting s join customer c on c.customer_id = s.customer_id \
         where $1 like c.path || '%'",
    )
    .bind(path)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(password)
    .collect()
}

/// The columns an update sets; `None` keeps the stored value (or the
/// default for a partner without a row: '' for text, the platform's
/// password rule for the policy).
#[derive(Debug, Default)]
pub struct SettingsUpdate<'a> {
    pub support_email: Option<&'a str>,
    pub default_culture: Option<&'a str>,
    pub api_allowed_networks: Option<&'a str>,
    pub password_min_length: Option<i32>,
    pub password_require_symbols: Option<bool>,
    pub password_require_mixed_case: Option<bool>,
    pub create_partners: Option<bool>,
    pub payment_processing: Option<bool>,
}

/// Writes the columns `u` sets in one statement. The merge happens in SQL
/// rather than read-modify-write, so two updates of different fields racing
/// each other both land.
#[tracing::instrument(name = "db account.settings.upsert", skip_all, fields(otel.kind = "client", db.system.name = platform::db::system(), db.namespace = "account"))]
pub async fn upsert(db: &Db, customer_id: &str, u: &SettingsUpdate<'_>) -> Result<(), Error> {
    fn set<T>(o: Option<T>) -> i64 {
        i64::from(o.is_some())
    }
    let default = PasswordPolicy::default();
    sqlx::query(
        "insert into partner_setting (customer_id, support_email, default_culture, api_allowed_networks, \
         password_min_length, password_require_symbols, password_require_mixed_case, create_partners, \
         payment_processing, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $15, $16, $14, $14) \
         on conflict (customer_id) do update set \
         support_email = case when $8 = 1 then excluded.support_email else partner_setting.support_email end, \
         default_culture = case when $9 = 1 then excluded.default_culture else partner_setting.default_culture end, \
         api_allowed_networks = case when $10 = 1 then excluded.api_allowed_networks \
         else partner_setting.api_allowed_networks end, \
         password_min_length = case when $11 = 1 then excluded.password_min_length \
         else partner_setting.password_min_length end, \
         password_require_symbols = case when $12 = 1 then excluded.password_require_symbols \
         else partner_setting.password_require_symbols end, \
         password_require_mixed_case = case when $13 = 1 then excluded.password_require_mixed_case \
         else partner_setting.password_require_mixed_case end, \
         create_partners = case when $17 = 1 then excluded.create_partners \
         else partner_setting.create_partners end, \
         payment_processing = case when $18 = 1 then excluded.payment_processing \
         else partner_setting.payment_processing end, \
         updated_at = excluded.updated_at",
    )
    .bind(customer_id)
    .bind(u.support_email.unwrap_or_default())
    .bind(u.default_culture.unwrap_or_default())
    .bind(u.api_allowed_networks.unwrap_or_default())
    .bind(i64::from(u.password_min_length.unwrap_or(default.min_length)))
    .bind(i64::from(
        u.password_require_symbols.unwrap_or(default.require_symbols),
    ))
    .bind(i64::from(
        u.password_require_mixed_case
            .unwrap_or(default.require_mixed_case),
    ))
    .bind(set(u.support_email))
    .bind(set(u.default_culture))
    .bind(set(u.api_allowed_networks))
    .bind(set(u.password_min_length))
    .bind(set(u.password_require_symbols))
    .bind(set(u.password_require_mixed_case))
    .bind(platform::id::now_rfc3339())
    .bind(i64::from(u.create_partners.unwrap_or_default()))
    .bind(i64::from(u.payment_processing.unwrap_or_default()))
    .bind(set(u.create_partners))
    .bind(set(u.payment_processing))
    .execute(&db.pool)
    .await?;
    Ok(())
}
