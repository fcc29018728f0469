//! Forward auth for proxies: `GET /check` and `GET /allow`, with the names and semantics of the
//! edge Worker (`examples/workerd/src/worker.js`).
//!
//! - `/check?user=U&product=P` answers the contract's `check` answer, byte for byte;
//!   `/allow` answers `{"allowed","reason","revision"}` from the check without JSON.
//! - The ids come from the query string or from the `x-user` / `x-product` headers.
//! - 200 when allowed, 403 when denied (unknown users and products included: nginx
//!   `auth_request`, Traefik `forwardAuth` and Envoy `ext_authz` take 401/403 as "no" and any
//!   other status as a failure of the gate); `x-groupgate-reason` carries the reason.
//! - 400 with the contract's error body for a request that cannot be read unambiguously: a key
//!   missing, unknown or given twice, given both in the query and in a header, `op`, text that
//!   is not UTF-8. Unknown keys reach the engine, which names them.

use groupgate::{Engine, Error};
use hyper::http::HeaderMap;
use serde_json::Value;

/// The check's fields, as the request named them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fields {
    /// Keys in the order they came, each with its value.
    pub pairs: Vec<(String, String)>,
}

/// The headers that may carry a field instead of the query string.
const HEADERS: [(&str, &str); 2] = [("user", "x-user"), ("product", "x-product")];

/// Reads the fields of a check from the query string and the headers.
///
/// # Errors
///
/// `invalid-request` for a field given twice, or in the query and in a header, `op`, or text
/// that is not (percent-encoded) UTF-8, with the path of the key.
pub fn fields(query: Option<&str>, headers: &HeaderMap) -> Result<Fields, Error> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in query.unwrap_or("").split('&') {
        if part.is_empty() {
            continue;
        }
        let (raw_key, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let key = form_decode(raw_key).ok_or_else(|| {
            invalid(
                format!("query key `{raw_key}` is not percent-encoded UTF-8"),
                "$".to_owned(),
            )
        })?;
        let value = form_decode(raw_value).ok_or_else(|| {
            invalid(
                format!("`{key}` is not percent-encoded UTF-8"),
                key_path(&key),
            )
        })?;
        if key == "op" {
            return Err(invalid(
                "`op` is not a field: the route is the op".to_owned(),
                "$.op".to_owned(),
            ));
        }
        if pairs.iter().any(|(k, _)| *k == key) {
            return Err(invalid(
                format!("`{key}` is given more than once"),
                key_path(&key),
            ));
        }
        pairs.push((key, value));
    }
    for (key, header) in HEADERS {
        let mut values = headers.get_all(header).iter();
        let Some(raw) = values.next() else {
            continue;
        };
        if values.next().is_some() {
            return Err(invalid(
                format!("header `{header}` is given more than once"),
                key_path(key),
            ));
        }
        if pairs.iter().any(|(k, _)| k == key) {
            return Err(invalid(
                format!("`{key}` is given both in the query and in the `{header}` header"),
                key_path(key),
            ));
        }
        let value = std::str::from_utf8(raw.as_bytes())
            .map_err(|_| invalid(format!("header `{header}` is not UTF-8"), key_path(key)))?;
        pairs.push((key.to_owned(), value.to_owned()));
    }
    Ok(Fields { pairs })
}

impl Fields {
    /// The user and the product, when they are exactly the two fields given.
    pub fn user_and_product(&self) -> Option<(&str, &str)> {
        let get = |name: &str| {
            self.pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        match self.pairs.len() {
            2 => Some((get("user")?, get("product")?)),
            _ => None,
        }
    }

    /// `{"op":"check",…}` with the fields in the order they came, for the engine to refuse
    /// with the path of what is missing or unknown.
    pub fn request(&self) -> String {
        let mut request = serde_json::Map::new();
        request.insert("op".to_owned(), Value::from("check"));
        for (key, value) in &self.pairs {
            request.insert(key.clone(), Value::from(value.as_str()));
        }
        Value::Object(request).to_string()
    }
}

/// `/allow`'s body: `allowed`, `reason` and `revision`, keys in canonical order.
pub fn decided(engine: &Engine, decision: groupgate::Decision) -> String {
    serde_json::json!({
        "allowed": decision.allowed(),
        "reason": decision.reason(),
        "revision": engine.revision(),
    })
    .to_string()
}

/// The contract's path of a request key: `$.user`, or `$["odd key"]` when it is not an
/// identifier.
fn key_path(key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        format!("$.{key}")
    } else {
        format!("$[{}]", Value::from(key))
    }
}

/// A query key or value (`+` is a space), or `None` when it is not percent-encoded UTF-8.
fn form_decode(raw: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut iter = raw.bytes();
    while let Some(b) = iter.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hi = hex(iter.next()?)?;
                let lo = hex(iter.next()?)?;
                bytes.push(hi << 4 | lo);
            }
            _ => bytes.push(b),
        }
    }
    String::from_utf8(bytes).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn invalid(message: String, path: String) -> Error {
    Error::invalid_request(path, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    #[test]
    fn query_and_headers_give_the_two_ids() {
        let f = fields(Some("user=u-l%C3%A9a&product=p+1"), &HeaderMap::new()).unwrap();
        assert_eq!(f.user_and_product(), Some(("u-léa", "p 1")));
        let f = fields(None, &headers(&[("x-user", b"u-1"), ("x-product", b"p-1")])).unwrap();
        assert_eq!(f.user_and_product(), Some(("u-1", "p-1")));
        let f = fields(Some("product=p-1"), &headers(&[("x-user", b"u-1")])).unwrap();
        assert_eq!(f.user_and_product(), Some(("u-1", "p-1")));
    }

    #[test]
    fn missing_and_unknown_keys_reach_the_engine_in_order() {
        let f = fields(Some("user=u&prodcut=p"), &HeaderMap::new()).unwrap();
        assert_eq!(f.user_and_product(), None);
        assert_eq!(f.request(), r#"{"op":"check","user":"u","prodcut":"p"}"#);
    }

    #[test]
    fn ambiguous_requests_are_refused_with_the_key_path() {
        let path = |q: Option<&str>, h: &[(&'static str, &[u8])]| {
            fields(q, &headers(h))
                .unwrap_err()
                .path()
                .map(str::to_owned)
        };
        assert_eq!(path(Some("user=a&user=b"), &[]).as_deref(), Some("$.user"));
        assert_eq!(
            path(Some("user=a"), &[("x-user", b"b")]).as_deref(),
            Some("$.user")
        );
        assert_eq!(
            path(None, &[("x-product", b"a"), ("x-product", b"b")]).as_deref(),
            Some("$.product")
        );
        assert_eq!(path(Some("op=check"), &[]).as_deref(), Some("$.op"));
        assert_eq!(path(Some("user=%FF"), &[]).as_deref(), Some("$.user"));
        assert_eq!(path(Some("user=%4"), &[]).as_deref(), Some("$.user"));
        assert_eq!(
            path(None, &[("x-user", b"\xff")]).as_deref(),
            Some("$.user")
        );
        assert_eq!(
            path(Some("odd%20key=1&odd%20key=2"), &[]).as_deref(),
            Some("$[\"odd key\"]")
        );
    }
}
