//! Wire formats: XML for clients that prefer it (documents and problems
//! alike, with the same values as the JSON), and request bodies in the v2
//! tables' PascalCase as well as camelCase.

#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Map, Value, json};
use tests::{TestApp, account_body_v2};

/// Reads the XML the gateway writes back into JSON-like values: an element
/// with children is an object (or an array when they are all `<item>`),
/// text is a string, `xsi:nil` is null, `<entry key="k">` is member `k`.
fn parse_xml(xml: &str) -> (String, Value) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .unwrap_or_else(|| panic!("no XML declaration: {xml}"));
    let mut p = Parser {
        s: body.trim_end().as_bytes(),
        i: 0,
    };
    let (name, value) = p.element();
    assert_eq!(p.i, p.s.len(), "trailing content after the root: {xml}");
    (name, value)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn until(&mut self, stop: &[u8]) -> String {
        let start = self.i;
        while !stop.contains(&self.s[self.i]) {
            self.i += 1;
        }
        String::from_utf8(self.s[start..self.i].to_vec()).unwrap()
    }

    fn expect(&mut self, b: u8) {
        assert_eq!(self.s[self.i], b, "at {}", self.i);
        self.i += 1;
    }

    /// `<name attrs>content</name>` or `<name attrs/>`; the name is the
    /// `key` attribute's value for `<entry>`.
    fn element(&mut self) -> (String, Value) {
        self.expect(b'<');
        let mut name = self.until(b" />");
        let mut nil = false;
        while self.s[self.i] == b' ' {
            self.i += 1;
            let attr = self.until(b"=");
            self.expect(b'=');
            self.expect(b'"');
            let value = unescape(&self.until(b"\""));
            self.expect(b'"');
            match attr.as_str() {
                "xsi:nil" => nil = value == "true",
                "key" => name = value,
                _ => {}
            }
        }
        if self.s[self.i] == b'/' {
            self.i += 2;
            assert!(nil, "an empty element must be xsi:nil");
            return (name, Value::Null);
        }
        self.expect(b'>');
        if self.s[self.i] != b'<' || self.s[self.i + 1] == b'/' {
            let text = unescape(&self.until(b"<"));
            self.close();
            return (name, Value::String(text));
        }
        let mut children = Vec::new();
        while self.s[self.i + 1] != b'/' {
            children.push(self.element());
        }
        self.close();
        let value = if children.iter().all(|(n, _)| n == "item") {
            Value::Array(children.into_iter().map(|(_, v)| v).collect())
        } else {
            Value::Object(children.into_iter().collect::<Map<_, _>>())
        };
        (name, value)
    }

    fn close(&mut self) {
        self.expect(b'<');
        self.expect(b'/');
        self.until(b">");
        self.expect(b'>');
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// JSON with every scalar but null as the text XML carries; an empty array
/// or object has no children in XML, so it reads back as an empty string.
fn as_text(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.is_empty() => Value::String(String::new()),
        Value::Array(a) if a.is_empty() => Value::String(String::new()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), as_text(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(as_text).collect()),
        Value::String(s) => Value::String(s.clone()),
        Value::Null => Value::Null,
        other => Value::String(other.to_string()),
    }
}

async fn fetch(
    app: &TestApp,
    token: &str,
    path: &str,
    accept: &str,
) -> (StatusCode, String, String) {
    let res = app
        .http
        .get(app.at(path))
        .bearer_auth(token)
        .header(ACCEPT, accept)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let content_type = res.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    (status, content_type, res.text().await.unwrap())
}

#[tokio::test]
async fn xml_carries_the_same_values_as_json_for_a_get_a_list_and_a_problem() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let (status, created) = app
        .post(
            &root,
            "/v2/api/accounts",
            &account_body_v2("xmlco", Some("business")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["customerID"].as_str().unwrap();

    for (path, accept, media) in [
        (
            format!("/v2/api/accounts/{id}"),
            "application/xml",
            "application/xml",
        ),
        ("/v2/api/accounts?take=5".to_owned(), "text/xml", "text/xml"),
        (
            format!("/v1/api/accounts/{id}/company"),
            "application/json;q=0.5, application/xml",
            "application/xml",
        ),
    ] {
        let (status, json_type, json_body) = fetch(&app, &root, &path, "application/json").await;
        assert_eq!(status, StatusCode::OK, "{path}: {json_body}");
        assert!(
            json_type.starts_with("application/json"),
            "{path}: {json_type}"
        );
        let (status, xml_type, xml_body) = fetch(&app, &root, &path, accept).await;
        assert_eq!(status, StatusCode::OK, "{path} as XML: {xml_body}");
        assert_eq!(xml_type, media, "{path} with Accept {accept}");
        let (root_name, from_xml) = parse_xml(&xml_body);
        assert_eq!(root_name, "response");
        let json: Value = serde_json::from_str(&json_body).unwrap();
        assert_eq!(
            from_xml,
            as_text(&json),
            "{path}: the XML should carry the JSON's values\nXML: {xml_body}\nJSON: {json_body}"
        );
    }

    // Problems too, as RFC 7807 appendix A has them.
    let missing = format!("/v1/api/accounts/{}", "0".repeat(32));
    let (status, media, xml) = fetch(&app, &root, &missing, "application/xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{xml}");
    assert_eq!(media, "application/problem+xml");
    assert!(
        xml.contains("<problem xmlns=\"urn:ietf:rfc:7807\""),
        "{xml}"
    );
    let (name, problem) = parse_xml(&xml);
    assert_eq!(name, "problem");
    assert_eq!(problem["status"], "404", "{xml}");
    assert_eq!(problem["title"], "Not Found", "{xml}");

    // Anything else, or nothing, is JSON.
    for accept in [
        "*/*",
        "application/json",
        "text/html",
        "application/json, application/xml;q=0.9",
    ] {
        let (status, media, _) =
            fetch(&app, &root, &format!("/v2/api/accounts/{id}"), accept).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            media.starts_with("application/json"),
            "Accept {accept} answered {media}"
        );
    }
}

#[tokio::test]
async fn both_api_documents_list_the_xml_media_types() {
    let app = TestApp::spawn().await;
    for version in ["v1", "v2"] {
        let doc: Value = app
            .http
            .get(app.at(&format!("/swagger/{version}/swagger.json")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let get = &doc["paths"]["/".to_owned() + version + "/api/accounts/{customerID}"]["get"]["responses"];
        assert!(
            get["200"]["content"]["application/xml"].is_object(),
            "{version}: {get}"
        );
        assert!(
            get["404"]["content"]["application/problem+xml"].is_object(),
            "{version}: {get}"
        );
    }
}

/// The v2 create document with every member name in PascalCase, except the
/// keys of `options`, which are reference names and case-sensitive.
fn pascal(v: &Value, in_options: bool) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = if in_options {
                        k.clone()
                    } else {
                        let mut c = k.chars();
                        c.next().unwrap().to_ascii_uppercase().to_string() + c.as_str()
                    };
                    (key, pascal(v, k == "options"))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| pascal(v, false)).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn pascal_case_and_camel_case_bodies_create_identical_accounts() {
    let app = TestApp::spawn().await;
    let root = app.root_token().await;
    let mut camel = account_body_v2("camelco", Some("business"));
    camel["general"]["options"] = json!({"ExternalPartnerID": "ext-1"});
    let mut pascal_body = pascal(&account_body_v2("pascalco", Some("business")), false);
    pascal_body["General"]["Options"] = json!({"ExternalPartnerID": "ext-1"});
    assert!(
        pascal_body["General"]["AccountName"].is_string(),
        "{pascal_body}"
    );

    let mut seen = Vec::new();
    for body in [&camel, &pascal_body] {
        let (status, created) = app.post(&root, "/v2/api/accounts", body).await;
        assert_eq!(status, StatusCode::CREATED, "{body} → {created}");
        let id = created["customerID"].as_str().unwrap().to_owned();
        let (_, mut got) = app.get(&root, &format!("/v2/api/accounts/{id}")).await;
        // What differs by construction: ids, names derived from the name, times.
        for volatile in ["customerID", "userName", "purchaseDate", "ownerContactID"] {
            got.as_object_mut().unwrap().remove(volatile);
        }
        let (_, mut company) = app
            .get(&root, &format!("/v2/api/accounts/{id}/company"))
            .await;
        let name = company["name"]
            .as_str()
            .unwrap()
            .replace("pascalco", "camelco");
        company["name"] = json!(name);
        got["company"] = company;
        seen.push(got);
    }
    assert_eq!(
        seen[0], seen[1],
        "camelCase and PascalCase bodies should create the same account"
    );

    // One member in both spellings is named, and nothing is created.
    let (_, before) = app.get(&root, "/v2/api/accounts").await;
    let mut twice = account_body_v2("twiceco", Some("business"));
    twice["general"]["AccountName"] = json!("twiceco2");
    let (status, problem) = app.post(&root, "/v2/api/accounts", &twice).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "accountName", "{problem}");
    let (_, after) = app.get(&root, "/v2/api/accounts").await;
    assert_eq!(before["total"], after["total"], "nothing stored");
}
