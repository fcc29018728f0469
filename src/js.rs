//! The JavaScript façade (wasm-bindgen): `Engine`, `parseRule`, `formatRule`, `version`.
//!
//! It only moves JSON across the boundary: every method builds a request, calls the JSON path
//! of [`crate::api`], and hands the answer back as a plain object (`JSON.parse` of the answer
//! text), so answers are identical to every other surface and never contain `Map`s.
//! Snapshots and requests given as objects cross as `JSON.stringify` text; text passes as is.
//! Typed methods throw failures as an `Error` carrying `code`, and `path`, `line`, `column`,
//! `expected` when known; `query` returns them as `{ error }` answers.

use js_sys::{Object, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, LoadOptions};
use crate::error::{Error, ErrorCode};

/// Why a JavaScript value (a `BigInt`, a cycle) cannot cross as JSON.
const NOT_JSON: &str = "the value cannot be written as JSON";

/// A compiled snapshot (`new Engine(snapshot, { strict })`).
#[wasm_bindgen(js_name = Engine)]
pub struct JsEngine {
    inner: api::Engine,
}

#[wasm_bindgen(js_class = Engine)]
impl JsEngine {
    /// Loads a snapshot given as an object or as JSON text; throws the load error.
    #[wasm_bindgen(constructor)]
    pub fn new(snapshot: &JsValue, options: &JsValue) -> Result<JsEngine, JsValue> {
        let text = json_text(snapshot)?;
        let strict = Reflect::get(options, &"strict".into())
            .ok()
            .is_some_and(|strict| strict.is_truthy());
        match api::load_json(&text, LoadOptions { strict }) {
            (Some(inner), _) => Ok(JsEngine { inner }),
            (None, answer) => Err(into_result(parse(&answer)?).err().unwrap_or(JsValue::NULL)),
        }
    }

    /// Answers any request (object or JSON text) with a plain object; failures are `{ error }`.
    pub fn query(&mut self, request: &JsValue) -> Result<JsValue, JsValue> {
        let answer = match json_text(request) {
            Ok(text) => self.inner.query_json(&text),
            Err(_) => {
                let error = Error::new(ErrorCode::InvalidJson, NOT_JSON);
                api::error_answer_json(&error, self.inner.revision())
            }
        };
        parse(&answer)
    }

    /// Answers a request given as JSON text with the answer's JSON text.
    #[wasm_bindgen(js_name = queryJson)]
    pub fn query_json(&mut self, request: &str) -> String {
        self.inner.query_json(request)
    }

    /// The fast access check: a decision code, without JSON (positive means allowed).
    pub fn decide(&self, user: &str, product: &str) -> i32 {
        self.inner.check(user, product) as i32
    }

    pub fn check(&mut self, user: JsValue, product: JsValue) -> Result<JsValue, JsValue> {
        self.op("check", &[("user", user), ("product", product)], None)
    }

    #[wasm_bindgen(js_name = checkBatch)]
    pub fn check_batch(&mut self, checks: JsValue) -> Result<JsValue, JsValue> {
        self.op("checkBatch", &[("checks", checks)], None)
    }

    #[wasm_bindgen(js_name = hasPermission)]
    pub fn has_permission(
        &mut self,
        user: JsValue,
        permission: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.op(
            "hasPermission",
            &[("user", user), ("permission", permission)],
            None,
        )
    }

    #[wasm_bindgen(js_name = userAccess)]
    pub fn user_access(&mut self, user: JsValue) -> Result<JsValue, JsValue> {
        self.op("userAccess", &[("user", user)], None)
    }

    pub fn homepage(&mut self, user: JsValue) -> Result<JsValue, JsValue> {
        self.op("homepage", &[("user", user)], None)
    }

    pub fn members(&mut self, group: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        self.op("members", &[("group", group)], Some(options))
    }

    pub fn explain(&mut self, user: JsValue, group: JsValue) -> Result<JsValue, JsValue> {
        self.op("explain", &[("user", user), ("group", group)], None)
    }

    #[wasm_bindgen(js_name = previewRule)]
    pub fn preview_rule(&mut self, rule: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        self.op("previewRule", &[("rule", rule)], Some(options))
    }

    #[wasm_bindgen(js_name = whoCanAccess)]
    pub fn who_can_access(
        &mut self,
        product: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.op("whoCanAccess", &[("product", product)], Some(options))
    }

    #[wasm_bindgen(js_name = editDashboard)]
    pub fn edit_dashboard(&mut self, group: JsValue) -> Result<JsValue, JsValue> {
        self.op("editDashboard", &[("group", group)], None)
    }

    pub fn diagnostics(&mut self) -> Result<JsValue, JsValue> {
        self.op("diagnostics", &[], None)
    }

    #[wasm_bindgen(js_name = listGroups)]
    pub fn list_groups(&mut self, options: JsValue) -> Result<JsValue, JsValue> {
        self.op("listGroups", &[], Some(options))
    }

    /// `impact(changesOrNext, options)`: an array is a change list (`changes`), anything else
    /// a whole snapshot (`next`).
    pub fn impact(
        &mut self,
        changes_or_next: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let key = if changes_or_next.is_array() {
            "changes"
        } else {
            "next"
        };
        self.op("impact", &[(key, changes_or_next)], Some(options))
    }

    pub fn apply(&mut self, changes: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        self.op("apply", &[("changes", changes)], Some(options))
    }

    pub fn lint(&mut self) -> Result<JsValue, JsValue> {
        self.op("lint", &[], None)
    }
}

impl JsEngine {
    /// Runs `op` with `fields` over the optional request keys in `options`; throws failures.
    fn op(
        &mut self,
        op: &str,
        fields: &[(&str, JsValue)],
        options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let request = request(op, fields, options)?;
        into_result(parse(&self.inner.query_json(&request))?)
    }
}

/// `parseRule(text)`: the rule's canonical AST; throws `rule-syntax` / `invalid-rule`.
#[wasm_bindgen(js_name = parseRule)]
pub fn parse_rule(text: JsValue) -> Result<JsValue, JsValue> {
    without_engine("parseRule", ("text", text), "rule")
}

/// `formatRule(ast)`: the rule's canonical text; throws `invalid-rule`.
#[wasm_bindgen(js_name = formatRule)]
pub fn format_rule(rule: JsValue) -> Result<JsValue, JsValue> {
    without_engine("formatRule", ("rule", rule), "text")
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    api::VERSION.to_owned()
}

fn without_engine(op: &str, field: (&str, JsValue), key: &str) -> Result<JsValue, JsValue> {
    let request = request(op, &[field], None)?;
    let answer = into_result(parse(&api::answer_without_engine_json(&request))?)?;
    Reflect::get(&answer, &key.into())
}

/// The request's JSON text: `options` (an object, or nothing), then `fields`, then `op`.
fn request(
    op: &str,
    fields: &[(&str, JsValue)],
    options: Option<JsValue>,
) -> Result<String, JsValue> {
    let request = Object::new();
    if let Some(options) = options.filter(|o| !o.is_undefined() && !o.is_null()) {
        if !options.is_object() || options.is_array() {
            return Err(error("invalid-request", "options must be an object"));
        }
        Object::assign(&request, options.unchecked_ref());
    }
    for (key, value) in fields {
        Reflect::set(&request, &(*key).into(), value)?;
    }
    Reflect::set(&request, &"op".into(), &op.into())?;
    json_text(&request)
}

/// A string as is; anything else through `JSON.stringify`.
fn json_text(value: &JsValue) -> Result<String, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| error("invalid-json", NOT_JSON))
}

fn parse(answer: &str) -> Result<JsValue, JsValue> {
    JSON::parse(answer)
}

/// The answer, or the `Error` to throw when it is an error answer.
fn into_result(answer: JsValue) -> Result<JsValue, JsValue> {
    let Ok(failure) = Reflect::get(&answer, &"error".into()) else {
        return Ok(answer);
    };
    if !failure.is_object() {
        return Ok(answer);
    }
    let message = Reflect::get(&failure, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_default();
    let thrown = js_sys::Error::new(&message);
    for key in ["code", "path", "line", "column", "expected"] {
        let key = JsValue::from_str(key);
        if let Ok(value) = Reflect::get(&failure, &key) {
            if !value.is_null() && !value.is_undefined() {
                Reflect::set(&thrown, &key, &value)?;
            }
        }
    }
    Err(thrown.into())
}

/// An `Error` with `code`, for failures found before the core sees the request.
fn error(code: &str, message: &str) -> JsValue {
    let thrown = js_sys::Error::new(message);
    // Setting a property on a fresh `Error` cannot fail.
    let _ = Reflect::set(&thrown, &"code".into(), &code.into());
    thrown.into()
}
