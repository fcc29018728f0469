//! The JavaScript façade (wasm-bindgen): `RawEngine`, `parseRule`, `formatRule`, `version`.
//!
//! It only moves JSON across the boundary: every method turns its arguments into JSON text,
//! calls the JSON path of [`crate::api`], and hands the answer back as a plain object
//! (`JSON.parse` of the answer text), so answers are identical to every other surface and
//! never contain `Map`s. Text passes as is where the method takes JSON text.
//! `check`, the one asked per request, builds its object from the answer's typed fields
//! instead, with the same keys in the same order: that measured faster than the parse.
//! Typed methods throw failures as an `Error` carrying `code`, and `path`, `line`, `column`,
//! `expected` when known; `query` returns them as `{ error }` answers.
//!
//! The package's `Engine` (pkg/engine.js) owns a `RawEngine` and knows when it was freed:
//! wasm-bindgen's own class cannot tell a call after `free()` from a bad pointer.
//!
//! INVARIANT: a JavaScript exception never unwinds through a method that holds the engine.
//! wasm-bindgen borrows the engine for the whole call, and an exception thrown through Rust
//! leaves it borrowed for good ("recursive use of an object detected" on every later call).
//! So every JavaScript value is read through imports that catch (`JSON.stringify`,
//! `Reflect.get`) or cannot throw (`typeof` tests), never through getters or `Array.isArray`.

use std::cell::RefCell;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, Field, LoadOptions};
use crate::error::{Error, ErrorCode};

/// A compiled snapshot; the package wraps it as `Engine`.
#[wasm_bindgen(js_name = RawEngine)]
pub struct JsEngine {
    inner: api::Engine,
}

#[wasm_bindgen(js_class = RawEngine)]
impl JsEngine {
    /// Loads a snapshot given as an object or as JSON text; throws the load error.
    #[wasm_bindgen(constructor)]
    pub fn new(snapshot: &JsValue, options: &JsValue) -> Result<JsEngine, JsValue> {
        let options = match json_of(options, "options", "$")? {
            None => LoadOptions::default(),
            Some(text) => LoadOptions::from_json(&text).map_err(|e| thrown(&e))?,
        };
        let text = json_text(snapshot)
            .ok_or_else(|| thrown(&not_json(ErrorCode::InvalidJson, "the snapshot")))?;
        let inner = api::Engine::from_json(&text, options).map_err(|e| thrown(&e))?;
        Ok(JsEngine { inner })
    }

    /// An engine from `export()` bytes (a `Uint8Array` or an `ArrayBuffer`).
    #[wasm_bindgen(js_name = fromCompiled)]
    pub fn from_compiled(bytes: &JsValue) -> Result<JsEngine, JsValue> {
        let inner = api::Engine::from_compiled(&bytes_of(bytes)?).map_err(|e| thrown(&e))?;
        Ok(JsEngine { inner })
    }

    /// The engine as compiled-snapshot bytes, for `fromCompiled`.
    pub fn export(&self) -> Vec<u8> {
        self.inner.to_compiled()
    }

    /// Answers any request (object or JSON text) with a plain object; failures are `{ error }`.
    pub fn query(&mut self, request: &JsValue) -> Result<JsValue, JsValue> {
        let answer = match json_text(request) {
            Some(text) => self.inner.query_json(&text),
            None => {
                let error = not_json(ErrorCode::InvalidJson, "the request");
                api::error_answer_json(&error, self.inner.revision())
            }
        };
        JSON::parse(&answer)
    }

    /// Answers a request given as JSON text with the answer's JSON text.
    #[wasm_bindgen(js_name = queryJson)]
    pub fn query_json(&mut self, request: &JsValue) -> String {
        match request.as_string() {
            Some(text) => self.inner.query_json(&text),
            None => {
                let error = Error::new(ErrorCode::InvalidRequest, "a request is JSON text here");
                api::error_answer_json(&error.at("$"), self.inner.revision())
            }
        }
    }

    /// The fast access check: a decision code, without JSON (positive means allowed).
    /// wasm-bindgen's glue copies the ids in as strings, whatever they are: the package calls
    /// this with two strings only, and [`JsEngine::decide_values`] with anything else.
    pub fn decide(&self, user: &str, product: &str) -> i32 {
        self.inner.decide(user, product) as i32
    }

    /// `decide` for ids of any type: throws `invalid-request` for what is not a string.
    #[wasm_bindgen(js_name = decideValues)]
    pub fn decide_values(&self, user: &JsValue, product: &JsValue) -> Result<i32, JsValue> {
        let (user, product) = ids(user, product)?;
        Ok(self.decide(&user, &product))
    }

    /// The `check` answer; two strings only, as for [`JsEngine::decide`].
    pub fn check(&self, user: &str, product: &str) -> Result<JsValue, JsValue> {
        object(&self.inner.check_fields(user, product))
    }

    /// `check` for ids of any type: throws `invalid-request` for what is not a string.
    #[wasm_bindgen(js_name = checkValues)]
    pub fn check_values(&self, user: &JsValue, product: &JsValue) -> Result<JsValue, JsValue> {
        let (user, product) = ids(user, product)?;
        self.check(&user, &product)
    }

    #[wasm_bindgen(js_name = checkBatch)]
    pub fn check_batch(&self, checks: &JsValue) -> Result<JsValue, JsValue> {
        self.op("checkBatch", &[("checks", checks)], None)
    }

    #[wasm_bindgen(js_name = hasPermission)]
    pub fn has_permission(&self, user: &JsValue, permission: &JsValue) -> Result<JsValue, JsValue> {
        self.op(
            "hasPermission",
            &[("user", user), ("permission", permission)],
            None,
        )
    }

    #[wasm_bindgen(js_name = userAccess)]
    pub fn user_access(&self, user: &JsValue) -> Result<JsValue, JsValue> {
        self.op("userAccess", &[("user", user)], None)
    }

    pub fn homepage(&self, user: &JsValue) -> Result<JsValue, JsValue> {
        self.op("homepage", &[("user", user)], None)
    }

    pub fn members(&self, group: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
        self.op("members", &[("group", group)], Some(options))
    }

    pub fn explain(&self, user: &JsValue, group: &JsValue) -> Result<JsValue, JsValue> {
        self.op("explain", &[("user", user), ("group", group)], None)
    }

    #[wasm_bindgen(js_name = previewRule)]
    pub fn preview_rule(&self, rule: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
        self.op("previewRule", &[("rule", rule)], Some(options))
    }

    #[wasm_bindgen(js_name = whoCanAccess)]
    pub fn who_can_access(&self, product: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
        self.op("whoCanAccess", &[("product", product)], Some(options))
    }

    #[wasm_bindgen(js_name = editDashboard)]
    pub fn edit_dashboard(&self, group: &JsValue) -> Result<JsValue, JsValue> {
        self.op("editDashboard", &[("group", group)], None)
    }

    pub fn diagnostics(&self) -> Result<JsValue, JsValue> {
        self.op("diagnostics", &[], None)
    }

    #[wasm_bindgen(js_name = listGroups)]
    pub fn list_groups(&self, options: &JsValue) -> Result<JsValue, JsValue> {
        self.op("listGroups", &[], Some(options))
    }

    /// `impact(changesOrNext, options)`: an array is a change list (`changes`), anything else
    /// a whole snapshot (`next`).
    pub fn impact(&self, changes_or_next: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
        let text = json_of(changes_or_next, "`changesOrNext`", "$")?;
        let key = match &text {
            Some(text) if text.starts_with('[') => "changes",
            _ => "next",
        };
        let request = request("impact", &[(key, text)], Some(options))?;
        answer(&self.inner.answer_json(&request))
    }

    pub fn apply(&mut self, changes: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
        let request = request(
            "apply",
            &[("changes", json_of(changes, "`changes`", "$.changes")?)],
            Some(options),
        )?;
        answer(&self.inner.query_json(&request))
    }

    pub fn lint(&self) -> Result<JsValue, JsValue> {
        self.op("lint", &[], None)
    }

    pub fn suggest(&self, text: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
        self.op("suggest", &[("text", text)], Some(options))
    }
}

impl JsEngine {
    /// Runs `op` with `fields` and the optional request keys in `options`; throws failures.
    fn op(
        &self,
        op: &str,
        fields: &[(&str, &JsValue)],
        options: Option<&JsValue>,
    ) -> Result<JsValue, JsValue> {
        let mut texts = Vec::with_capacity(fields.len());
        for (key, value) in fields {
            texts.push((*key, argument(key, value)?));
        }
        let request = request(op, &texts, options)?;
        answer(&self.inner.answer_json(&request))
    }
}

/// `parseRule(text)`: the rule's canonical AST; throws `rule-syntax` / `invalid-rule`.
#[wasm_bindgen(js_name = parseRule)]
pub fn parse_rule(text: &JsValue) -> Result<JsValue, JsValue> {
    without_engine("parseRule", ("text", text), "rule")
}

/// `formatRule(ast)`: the rule's canonical text; throws `invalid-rule`.
#[wasm_bindgen(js_name = formatRule)]
pub fn format_rule(rule: &JsValue) -> Result<JsValue, JsValue> {
    without_engine("formatRule", ("rule", rule), "text")
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    api::VERSION.to_owned()
}

fn without_engine(op: &str, (key, value): (&str, &JsValue), out: &str) -> Result<JsValue, JsValue> {
    let request = request(op, &[(key, argument(key, value)?)], None)?;
    let answer = answer(&api::answer_without_engine_json(&request))?;
    Reflect::get(&answer, &out.into())
}

/// The request's JSON text: `op`, the fields, then the keys of `options` (an object, or
/// nothing).
fn request(
    op: &str,
    fields: &[(&str, Option<String>)],
    options: Option<&JsValue>,
) -> Result<String, JsValue> {
    let options = match options {
        Some(options) => json_of(options, "options", "$")?,
        None => None,
    };
    let fields: Vec<(&str, Option<&str>)> = fields
        .iter()
        .map(|(key, text)| (*key, text.as_deref()))
        .collect();
    api::request_json(op, &fields, options.as_deref()).map_err(|e| thrown(&e))
}

/// The two ids of a check, which must be strings.
fn ids(user: &JsValue, product: &JsValue) -> Result<(String, String), JsValue> {
    let id = |name: &str, value: &JsValue| {
        value.as_string().ok_or_else(|| {
            let kind = value.js_typeof().as_string().unwrap_or_default();
            let error = Error::new(
                ErrorCode::InvalidRequest,
                format!("`{name}` must be a string, not {kind}"),
            );
            thrown(&error.at(format!("$.{name}")))
        })
    };
    Ok((id("user", user)?, id("product", product)?))
}

/// The bytes of a `Uint8Array` (a Node `Buffer` included) or an `ArrayBuffer`, copied.
fn bytes_of(value: &JsValue) -> Result<Vec<u8>, JsValue> {
    let bytes = if let Some(array) = value.dyn_ref::<Uint8Array>() {
        array.clone()
    } else if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        // A detached buffer has no bytes, and `new Uint8Array` would throw on it.
        if buffer.byte_length() == 0 {
            return Ok(Vec::new());
        }
        Uint8Array::new(buffer)
    } else {
        let error = Error::new(
            ErrorCode::InvalidRequest,
            "compiled bytes are a Uint8Array or an ArrayBuffer",
        );
        return Err(thrown(&error.at("$")));
    };
    // Copying from a view of a detached buffer would throw; it has no bytes.
    if bytes.length() == 0 {
        return Ok(Vec::new());
    }
    Ok(bytes.to_vec())
}

/// A string as is; anything else through `JSON.stringify`. `None` when it is not JSON.
fn json_text(value: &JsValue) -> Option<String> {
    value.as_string().or_else(|| json_string(value))
}

/// The JSON text of an argument or an options object: `None` when it is `undefined` or `null`
/// (not given); an `invalid-request` error at `path` when it cannot be written as JSON (a
/// `BigInt`, a cycle, a function, a throwing getter).
fn json_of(value: &JsValue, what: &str, path: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match json_string(value) {
        Some(text) => Ok(Some(text)),
        None => Err(thrown(&not_json(ErrorCode::InvalidRequest, what).at(path))),
    }
}

/// The JSON text of the argument for request key `key`.
fn argument(key: &str, value: &JsValue) -> Result<Option<String>, JsValue> {
    json_of(value, &format!("`{key}`"), &format!("$.{key}"))
}

/// `JSON.stringify(value)`, when it gives text.
fn json_string(value: &JsValue) -> Option<String> {
    JSON::stringify(value).ok()?.as_string()
}

/// What cannot cross as JSON: a whole document is `invalid-json`, an argument
/// `invalid-request`.
fn not_json(code: ErrorCode, what: &str) -> Error {
    Error::new(code, format!("{what} cannot be written as JSON"))
}

/// An answer given as typed fields, as a plain object with the same keys in the same order
/// as `JSON.parse` of its text would give. Strings come from [`STRINGS`].
fn object(fields: &[(&str, Field<'_>)]) -> Result<JsValue, JsValue> {
    STRINGS.with_borrow_mut(|strings| {
        let object = Object::new();
        for (key, field) in fields {
            let value = match field {
                Field::Bool(b) => JsValue::from_bool(*b),
                Field::Str(s) => strings.get(s),
                Field::Null => JsValue::NULL,
                Field::Strs(list) => list
                    .iter()
                    .map(|s| strings.get(s))
                    .collect::<Array>()
                    .into(),
            };
            Reflect::set(&object, &strings.get(key), &value)?;
        }
        Ok(object.into())
    })
}

thread_local! {
    /// The JavaScript strings of ids and keys already sent. Making a string from the module's
    /// memory costs about what parsing it from an answer's text does; an id that comes back
    /// costs a lookup. The set is bounded: it starts over when it is full.
    static STRINGS: RefCell<Strings> = RefCell::new(Strings::default());
}

#[derive(Default)]
struct Strings(crate::hash::Map<Box<str>, JsValue>);

impl Strings {
    const MAX: usize = 1 << 16;

    fn get(&mut self, text: &str) -> JsValue {
        if let Some(value) = self.0.get(text) {
            return value.clone();
        }
        if self.0.len() >= Strings::MAX {
            self.0.clear();
        }
        let value = JsValue::from_str(text);
        self.0.insert(text.into(), value.clone());
        value
    }
}

/// The answer as a plain object, or the `Error` to throw when it is an error answer.
fn answer(text: &str) -> Result<JsValue, JsValue> {
    let value = JSON::parse(text)?;
    if !api::is_error_answer(text) {
        return Ok(value);
    }
    let failure = Reflect::get(&value, &"error".into())?;
    let message = Reflect::get(&failure, &"message".into())?
        .as_string()
        .unwrap_or_default();
    let thrown = js_sys::Error::new(&message);
    for key in ["code", "path", "line", "column", "expected"] {
        let key = JsValue::from_str(key);
        let value = Reflect::get(&failure, &key)?;
        if !value.is_null() && !value.is_undefined() {
            Reflect::set(&thrown, &key, &value)?;
        }
    }
    Err(thrown.into())
}

/// The `Error` to throw for `error`.
fn thrown(error: &Error) -> JsValue {
    match answer(&api::error_answer_json(error, None)) {
        Err(thrown) => thrown,
        Ok(_) => JsValue::UNDEFINED,
    }
}
