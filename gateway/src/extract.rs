//! Request extractors whose rejections are problem documents naming the
//! field at fault, instead of axum's plain-text ones.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use platform::paging::{DEFAULT_TAKE, MAX_SKIP, MAX_TAKE};

use crate::problem::{FieldError, Problem};

/// A JSON body. Syntax and type errors name the JSON path of the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(Problem::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| Problem::new(e.status(), e.body_text()))?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            Problem::field(
                "body",
                format!("malformed JSON: {}", without_value(&e.to_string())),
            )
        })?;
        // The v2 tables' PascalCase names are accepted beside camelCase.
        let value = crate::formats::camel_case_members(value).map_err(|field| {
            Problem::field(&field, "is given twice (in camelCase and in PascalCase)")
        })?;
        match serde_path_to_error::deserialize(value) {
            Ok(v) => Ok(Self(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let field = if path == "." || path.is_empty() {
                    "body".to_owned()
                } else {
                    path
                };
                Err(Problem::field(
                    &field,
                    without_value(&strip_position(&inner.to_string())),
                ))
            }
        }
    }
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(m: &str) -> String {
    m.rsplit_once(" at line ")
        .map_or(m, |(head, _)| head)
        .to_owned()
}

/// serde names the value it could not take ("invalid type: integer
/// `4111…`, expected a string"). A card number or password sent with the
/// wrong type must not come back in the answer (PCI DSS 3.3.1), so the value
/// is dropped and the expectation kept.
fn without_value(m: &str) -> String {
    for kind in ["invalid type", "invalid value", "unknown variant"] {
        if m.starts_with(kind) {
            return match m.split_once(", expected ") {
                Some((_, expected)) => format!("{kind}: expected {expected}"),
                None => kind.to_owned(),
            };
        }
    }
    m.to_owned()
}

/// Query parameters. Keep the target's fields `Option<String>` and parse
/// numbers in the handler, so that a bad value is named there.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let q = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded_like(q);
        match de {
            Ok(v) => Ok(Self(v)),
            Err(m) => Err(Problem::field("query", m)),
        }
    }
}

fn serde_urlencoded_like<T: DeserializeOwned>(q: &str) -> Result<T, String> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| "malformed query string".to_owned())?,
    )
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| e.body_text())
}

/// `skip` and `take` as the reference has them: `skip` 0..=[`MAX_SKIP`]
/// (default 0), `take` 1..=[`MAX_TAKE`] (default [`DEFAULT_TAKE`]), the
/// limits every service applies too ([`platform::paging`]); anything else is
/// 400 naming the parameter, before a service is asked.
pub fn paging(skip: Option<&str>, take: Option<&str>) -> Result<(i64, i64), Problem> {
    let skip = int_param("skip", skip)?.unwrap_or(0);
    let take = int_param("take", take)?.unwrap_or(DEFAULT_TAKE);
    let mut bad = Vec::new();
    if skip < 0 {
        bad.push(FieldError {
            field: "skip".into(),
            message: "must not be negative".into(),
        });
    }
    if skip > MAX_SKIP {
        bad.push(FieldError {
            field: "skip".into(),
            message: format!(
                "must be at most {MAX_SKIP}; walk deeper with after (the nextCursor of the previous page)"
            ),
        });
    }
    if !(1..=MAX_TAKE).contains(&take) {
        bad.push(FieldError {
            field: "take".into(),
            message: format!("must be between 1 and {MAX_TAKE}"),
        });
    }
    if bad.is_empty() {
        Ok((skip, take))
    } else {
        Err(Problem::invalid(bad))
    }
}

/// Parses an optional integer query parameter, naming it when it is not one.
pub fn int_param(name: &str, value: Option<&str>) -> Result<Option<i64>, Problem> {
    match value {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Problem::field(name, "must be an integer")),
    }
}

/// Path parameters. A segment that does not decode names nothing that
/// exists, so it answers 404 like any unknown id.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Self(v))
            .map_err(|_| Problem::not_found())
    }
}

/// An optional integer that may come as `126` or `126.0`: JSON Schema counts
/// both as an integer, so clients (and generated ones) may send either.
pub fn opt_integer<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    use serde::Deserialize as _;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    });
    let v = whole.ok_or_else(|| serde::de::Error::custom(format!("{n} is not an integer")))?;
    T::try_from(v)
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("{v} is out of range")))
}

/// An id this platform never issues names nothing: 404, without asking
/// a service.
pub fn issued_id(id: &str) -> Result<(), Problem> {
    if platform::id::is_id(id) {
        Ok(())
    } else {
        Err(Problem::not_found())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_keep_the_expectation_but_not_the_value() {
        assert_eq!(
            without_value("invalid type: integer `4111111111111111`, expected a string"),
            "invalid type: expected a string"
        );
        assert_eq!(
            without_value("unknown variant `4111`, expected one of `VISA`, `MC`"),
            "unknown variant: expected one of `VISA`, `MC`"
        );
        assert_eq!(
            without_value("invalid value: string \"x\""),
            "invalid value"
        );
        assert_eq!(
            without_value("missing field `cardNumber`"),
            "missing field `cardNumber`"
        );
    }
}
