//! Reading a request object. Each object is read against the keys its op knows, and a key it
//! does not know is reported first — ahead of any key found missing — so a typo never passes
//! silently and its path names it (`$.prodcut`, SPEC §7). Every problem names its JSON path.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode};
use crate::json::{path_key, type_name};
use crate::limits::MAX_PAGE_SIZE;
use crate::listing::Page;
use crate::rules::Rule;

/// A request object being read.
pub struct Request<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

/// The map of a request object.
///
/// # Errors
///
/// `invalid-request` at `path` when the value is not an object.
pub fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Error> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Error::invalid_request(
            path,
            format!("a request is an object, not {}", type_name(other)),
        )),
    }
}

impl<'a> Request<'a> {
    /// The object at `path`, whose keys may only be `allowed`.
    ///
    /// # Errors
    ///
    /// `invalid-request` when it is not an object, or at its first key not allowed.
    pub fn at(value: &'a Value, path: &str, allowed: &[&str]) -> Result<Request<'a>, Error> {
        let map = object(value, path)?;
        if let Some(extra) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(Error::invalid_request(
                path_key(path, extra),
                format!("unknown request key `{extra}`"),
            ));
        }
        Ok(Request {
            map,
            path: path.to_owned(),
        })
    }

    /// The path of `key` in this object.
    pub fn key_path(&self, key: &str) -> String {
        path_key(&self.path, key)
    }

    /// Whether the object has `key` at all (even `null`).
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The value of `key`, `null` counting as absent.
    pub fn optional(&mut self, key: &'static str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The value of `key`, `null` included (for keys where `null` means something).
    pub fn raw(&mut self, key: &'static str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// The value of `key`.
    ///
    /// # Errors
    ///
    /// `invalid-request` at the object when it is missing.
    pub fn required(&mut self, key: &'static str) -> Result<&'a Value, Error> {
        self.optional(key)
            .ok_or_else(|| Error::invalid_request(&self.path, format!("`{key}` is required")))
    }

    /// The string under `key`.
    ///
    /// # Errors
    ///
    /// `invalid-request` when missing or not a string.
    pub fn required_str(&mut self, key: &'static str) -> Result<&'a str, Error> {
        let value = self.required(key)?;
        value.as_str().ok_or_else(|| {
            Error::invalid_request(
                self.key_path(key),
                format!("`{key}` must be a string, not {}", type_name(value)),
            )
        })
    }

    /// The string under `key`, if any.
    ///
    /// # Errors
    ///
    /// `invalid-request` when not a string.
    pub fn optional_str(&mut self, key: &'static str) -> Result<Option<&'a str>, Error> {
        match self.optional(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(Error::invalid_request(
                self.key_path(key),
                format!("`{key}` must be a string, not {}", type_name(other)),
            )),
        }
    }

    /// The boolean under `key`, if any.
    ///
    /// # Errors
    ///
    /// `invalid-request` when not a boolean.
    pub fn optional_bool(&mut self, key: &'static str) -> Result<Option<bool>, Error> {
        match self.optional(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Error::invalid_request(
                self.key_path(key),
                format!("`{key}` must be a boolean, not {}", type_name(other)),
            )),
        }
    }

    /// A whole number of at least `min` under `key`, if any.
    ///
    /// # Errors
    ///
    /// `invalid-request` when not such a number.
    pub fn count(&mut self, key: &'static str, min: u64) -> Result<Option<u64>, Error> {
        let Some(value) = self.optional(key) else {
            return Ok(None);
        };
        let n = value
            .as_u64()
            .or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                    .map(|f| {
                        #[expect(
                            clippy::cast_possible_truncation,
                            clippy::cast_sign_loss,
                            reason = "whole, non-negative, below 2^53"
                        )]
                        let n = f as u64;
                        n
                    })
            })
            .filter(|&n| n >= min);
        n.map(Some).ok_or_else(|| {
            Error::invalid_request(
                self.key_path(key),
                format!("`{key}` must be a whole number of at least {min}"),
            )
        })
    }

    /// A whole number of at least `min` and at most `max` under `key`, if any.
    ///
    /// # Errors
    ///
    /// `invalid-request` when not a whole number of at least `min`; `limit-exceeded` over
    /// `max`.
    pub fn bounded(&mut self, key: &'static str, min: u64, max: u64) -> Result<Option<u64>, Error> {
        let n = self.count(key, min)?;
        if n.is_some_and(|n| n > max) {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("`{key}` is at most {max}"),
            )
            .at(self.key_path(key)));
        }
        Ok(n)
    }

    /// `page` and `pageSize`.
    ///
    /// # Errors
    ///
    /// `invalid-request` for a page or size below 1, `limit-exceeded` over 1,000.
    pub fn paging(&mut self, default_size: u64) -> Result<Page, Error> {
        let number = self.count("page", 1)?.unwrap_or(1);
        let size = self
            .bounded("pageSize", 1, MAX_PAGE_SIZE)?
            .unwrap_or(default_size);
        Ok(Page { number, size })
    }

    /// A rule under `key`, as an AST or text.
    ///
    /// # Errors
    ///
    /// `invalid-request` when missing; `rule-syntax`, `invalid-rule` or `limit-exceeded` when
    /// it is not a valid rule.
    pub fn rule(&mut self, key: &'static str) -> Result<Rule, Error> {
        let value = self.required(key)?;
        Rule::from_source(value, &self.key_path(key))
    }
}
