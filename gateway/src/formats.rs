//! Wire formats besides JSON. Clients generated from the reference's
//! documents send `Accept: application/xml` (or `text/xml`) and get the same
//! document as XML, problem documents included (`application/problem+xml`,
//! RFC 7807 appendix A); anything else gets JSON. Bodies may name fields in
//! the v2 tables' PascalCase (`AccountName`) as well as camelCase.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value};

/// The XML media type `accept` prefers over JSON, if any.
pub fn preferred_xml(accept: &str) -> Option<&'static str> {
    let mut best: Option<(f32, &'static str)> = None;
    let mut json_q = 0.0f32;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let xml = match media.as_str() {
            "application/xml" | "application/problem+xml" => Some("application/xml"),
            "text/xml" => Some("text/xml"),
            "application/json" | "application/problem+json" | "*/*" | "application/*" => {
                json_q = json_q.max(q);
                None
            }
            _ => None,
        };
        if let Some(x) = xml
            && q > 0.0
            && best.is_none_or(|(b, _)| q > b)
        {
            best = Some((q, x));
        }
    }
    // A tie goes to XML: a client that names it at all asked for it.
    best.filter(|(q, _)| *q >= json_q).map(|(_, x)| x)
}

/// Answers `/v1/…` and `/v2/…` in XML when the client prefers it. The
/// handlers write JSON; this turns it into the same document.
pub async fn negotiate(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/v1/") || req.uri().path().starts_with("/v2/");
    let xml = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .and_then(preferred_xml)
        .filter(|_| api);
    let mut res = next.run(req).await;
    if api {
        res.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    let Some(xml_type) = xml else { return res };
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let problem = content_type.starts_with("application/problem+json");
    if !problem && !content_type.starts_with("application/json") {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let (root, media) = if problem {
        ("problem", "application/problem+xml")
    } else {
        ("response", xml_type)
    };
    let text = to_xml(&value, root, problem);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    Response::from_parts(parts, Body::from(text))
}

/// The JSON document as XML: an object's members are elements in order, an
/// array's values `<item>` elements, null `xsi:nil`. A member whose name is
/// no XML name (a dictionary key) becomes `<entry key="…">`.
pub fn to_xml(value: &Value, root: &str, problem: bool) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let ns = if problem {
        " xmlns=\"urn:ietf:rfc:7807\""
    } else {
        ""
    };
    out.push('<');
    out.push_str(root);
    out.push_str(ns);
    out.push_str(" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"");
    write_content(&mut out, value, root);
    out.push('\n');
    out
}

/// Writes the rest of an opened start tag, the content and the end tag.
fn write_content(out: &mut String, value: &Value, name: &str) {
    match value {
        Value::Null => out.push_str(" xsi:nil=\"true\"/>"),
        Value::Object(members) => {
            out.push('>');
            for (key, v) in members {
                if is_xml_name(key) {
                    out.push('<');
                    out.push_str(key);
                    write_content(out, v, key);
                } else {
                    out.push_str("<entry key=\"");
                    escape(out, key);
                    out.push('"');
                    write_content(out, v, "entry");
                }
            }
            close(out, name);
        }
        Value::Array(items) => {
            out.push('>');
            for v in items {
                out.push_str("<item");
                write_content(out, v, "item");
            }
            close(out, name);
        }
        Value::String(s) => {
            out.push('>');
            escape(out, s);
            close(out, name);
        }
        Value::Bool(_) | Value::Number(_) => {
            out.push('>');
            out.push_str(&value.to_string());
            close(out, name);
        }
    }
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no way to carry most control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                out.push('\u{FFFD}');
            }
            c => out.push(c),
        }
    }
}

fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !s.to_ascii_lowercase().starts_with("xml")
}

/// Renames a body's PascalCase members to the camelCase the models use
/// (`AccountName` → `accountName`, `TargetAccountID` → `targetAccountID`),
/// at every depth except inside `options`, whose keys are reference names
/// and stay as sent. A member sent in both spellings is named as an error.
pub fn camel_case_members(value: Value) -> Result<Value, String> {
    match value {
        Value::Object(members) => {
            let mut out = Map::with_capacity(members.len());
            for (key, v) in members {
                let camel = camel(&key);
                let v = if camel == "options" {
                    v
                } else {
                    camel_case_members(v)?
                };
                if out.insert(camel.clone(), v).is_some() {
                    return Err(camel);
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .into_iter()
            .map(camel_case_members)
            .collect::<Result<_, _>>()
            .map(Value::Array),
        v => Ok(v),
    }
}

fn camel(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) if first.is_ascii_uppercase() => {
            // An all-caps name (`ID`, `VAT`) is not PascalCase; leave it.
            if key.chars().all(|c| !c.is_ascii_lowercase()) {
                return key.to_owned();
            }
            first.to_ascii_lowercase().to_string() + chars.as_str()
        }
        _ => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn xml_is_chosen_only_when_preferred() {
        assert_eq!(preferred_xml("application/xml"), Some("application/xml"));
        assert_eq!(preferred_xml("text/xml"), Some("text/xml"));
        assert_eq!(
            preferred_xml("application/json;q=0.5, application/xml"),
            Some("application/xml")
        );
        assert_eq!(
            preferred_xml("application/json, application/xml;q=0.9"),
            None
        );
        assert_eq!(preferred_xml("*/*"), None);
        assert_eq!(preferred_xml("application/json"), None);
        assert_eq!(preferred_xml("application/xml;q=0"), None);
    }

    #[test]
    fn documents_become_elements_in_order() {
        let v = json!({"count": 1, "items": [{"name": "a&b", "ok": true, "gone": null}],
                       "limits": {"Iam_usersMax": 5}, "options": {"1bad key": "x"}});
        let xml = to_xml(&v, "response", false);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
             <count>1</count><items><item><gone xsi:nil=\"true\"/><name>a&amp;b</name><ok>true</ok></item></items>\
             <limits><Iam_usersMax>5</Iam_usersMax></limits><options><entry key=\"1bad key\">x</entry></options></response>\n"
        );
        assert!(
            to_xml(&json!({"status": 404}), "problem", true)
                .contains("<problem xmlns=\"urn:ietf:rfc:7807\"")
        );
    }

    #[test]
    fn pascal_case_members_become_camel_case_except_in_options() {
        let body = json!({"General": {"AccountName": "x", "Owner": {"CellularPhone": "1"}},
                          "TargetAccountID": "t", "AccessRoleNames": ["Owner"],
                          "Options": {"ExternalPartnerID": "p"}, "programs": []});
        assert_eq!(
            camel_case_members(body).unwrap(),
            json!({"general": {"accountName": "x", "owner": {"cellularPhone": "1"}},
                   "targetAccountID": "t", "accessRoleNames": ["Owner"],
                   "options": {"ExternalPartnerID": "p"}, "programs": []})
        );
        assert_eq!(
            camel_case_members(json!({"accountName": "a", "AccountName": "b"})),
            Err("accountName".to_owned())
        );
        assert_eq!(camel("ID"), "ID");
    }
}
