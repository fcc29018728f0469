//! The query layer: loading, requests and answers (SPEC §7). Every surface — Rust, the JS
//! package, the plain ABI, the command line — goes through here.
//!
//! This is the only module that knows the shape of requests and answers: it reads a request,
//! asks the domain modules below, and writes the answer as canonical JSON with
//! [`crate::json::Writer`], with no JSON tree in between on the paths that matter.
//!
//! INVARIANT: [`Engine::answer_json`] and [`Engine::query_json`] never panic and always
//! return one canonical JSON object carrying `revision`.

mod answer;
mod changes;
mod dispatch;
mod query;
mod request;

use serde_json::Value;

use crate::access::{self, Decision};
use crate::error::{Error, ErrorCode};
use crate::json::{self, type_name, Writer};
use crate::limits::MAX_ANSWER_BYTES;
use crate::model::{Diagnostic, Tenant};
use crate::snapshot::{read_snapshot, Severity};

use self::answer::Out;
use self::query::{Mode, Plain, Query, Standalone};

/// The crate version, reported by every surface.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Options for loading a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Turn the first error-severity diagnostic into a load failure (and, later, reject a
    /// change list that would add one).
    pub strict: bool,
}

impl LoadOptions {
    /// Load options from the JSON text of an options object, `{"strict": true}`, as a surface
    /// that takes them as an object hands them over.
    ///
    /// # Errors
    ///
    /// `invalid-json` when the text is not JSON; `invalid-request` when it is not an object,
    /// names a key other than `strict` (at `$.strcit`), or gives `strict` as anything but a
    /// boolean or `null`.
    pub fn from_json(options: &str) -> Result<LoadOptions, Error> {
        let value = json::parse(options)?;
        let Value::Object(map) = &value else {
            return Err(Error::invalid_request(
                "$",
                format!("load options are an object, not {}", type_name(&value)),
            ));
        };
        if let Some(extra) = map.keys().find(|k| *k != "strict") {
            return Err(Error::invalid_request(
                json::path_key("$", extra),
                format!("unknown load option `{extra}`"),
            ));
        }
        let strict = match map.get("strict") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(strict)) => *strict,
            Some(other) => {
                return Err(Error::invalid_request(
                    "$.strict",
                    format!("`strict` must be a boolean, not {}", type_name(other)),
                ))
            }
        };
        Ok(LoadOptions { strict })
    }
}

/// One field's value in an answer given as typed fields, for surfaces that build answer
/// objects themselves rather than parse the answer's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<'a> {
    /// `true` or `false`.
    Bool(bool),
    /// A string.
    Str(&'a str),
    /// `null`.
    Null,
    /// A list of strings.
    Strs(Vec<&'a str>),
}

/// A compiled snapshot that answers requests.
///
/// Questions take `&self`, so an engine can be shared between threads (`Arc<Engine>`);
/// only [`Engine::query_json`], which also applies changes, takes `&mut self`.
#[derive(Debug, Clone)]
pub struct Engine {
    tenant: Tenant,
    strict: bool,
}

impl Engine {
    /// Compiles a snapshot given as JSON text.
    ///
    /// # Errors
    ///
    /// `invalid-json`, `invalid-snapshot` or `limit-exceeded` when the snapshot cannot be
    /// used; under `strict`, `invalid-snapshot` at the first error-severity diagnostic.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// assert_eq!(engine.revision(), Some("r1"));
    /// let broken = Engine::from_json("{", LoadOptions::default()).unwrap_err();
    /// assert_eq!(broken.code().as_str(), "invalid-json");
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn from_json(snapshot: &str, options: LoadOptions) -> Result<Engine, Error> {
        let snap = read_snapshot(snapshot)?;
        Engine::from_tenant(Tenant::compile(snap), options)
    }

    /// Compiles a snapshot already parsed into a JSON value.
    ///
    /// # Errors
    ///
    /// As [`Engine::from_json`].
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let value: serde_json::Value = serde_json::from_str(snapshot).unwrap();
    /// let engine = Engine::from_value(&value, LoadOptions { strict: true })?;
    /// assert!(engine.decide("u1", "p-wiki").allowed());
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn from_value(snapshot: &Value, options: LoadOptions) -> Result<Engine, Error> {
        if json::too_deep(snapshot) {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                "snapshot nests deeper than 128 levels",
            ));
        }
        Engine::from_json(&snapshot.to_string(), options)
    }

    fn from_tenant(tenant: Tenant, options: LoadOptions) -> Result<Engine, Error> {
        if options.strict {
            if let Some(first) = first_error(&tenant.diagnostics()) {
                return Err(Error::new(
                    ErrorCode::InvalidSnapshot,
                    format!("strict load: {}: {}", first.code, first.message),
                )
                .at(first.path.clone()));
            }
        }
        Ok(Engine {
            tenant,
            strict: options.strict,
        })
    }

    /// The engine as compiled-snapshot bytes (SPEC §7.5): restored by
    /// [`Engine::from_compiled`], it answers every request exactly as this engine does.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// let bytes = engine.to_compiled();
    /// let restored = Engine::from_compiled(&bytes)?;
    /// let members = r#"{"op":"members","group":"g-paris"}"#;
    /// assert_eq!(restored.answer_json(members), engine.answer_json(members));
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn to_compiled(&self) -> Vec<u8> {
        self.tenant.to_compiled(self.strict)
    }

    /// An engine from [`Engine::to_compiled`] bytes, without parsing JSON or recomputing
    /// members.
    ///
    /// # Errors
    ///
    /// `invalid-snapshot` for bytes of another format version, truncated or corrupt.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let bytes = Engine::from_json(snapshot, LoadOptions::default())?.to_compiled();
    /// let engine = Engine::from_compiled(&bytes)?;
    /// assert_eq!(engine.revision(), Some("r1"));
    /// let damaged = Engine::from_compiled(&bytes[..bytes.len() / 2]).unwrap_err();
    /// assert_eq!(damaged.code().as_str(), "invalid-snapshot");
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn from_compiled(bytes: &[u8]) -> Result<Engine, Error> {
        let (tenant, strict) = Tenant::from_compiled(bytes)?;
        Ok(Engine { tenant, strict })
    }

    /// The snapshot's revision, as the last `apply` labelled it.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let mut engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// engine.apply_json("[]", Some("r2"))?;
    /// assert_eq!(engine.revision(), Some("r2"));
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn revision(&self) -> Option<&str> {
        self.tenant.revision()
    }

    /// The diagnostics of the snapshot, in document order.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let engine = Engine::from_json(
    ///     r#"{"groups":[{"id":"g1","name":"One","members":["nobody"]}]}"#,
    ///     LoadOptions::default(),
    /// )?;
    /// let found = engine.diagnostics();
    /// assert_eq!(found[0].code, "dangling-reference");
    /// assert_eq!(found[0].path, "$.groups[0].members[0]");
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.tenant.diagnostics()
    }

    /// The load answer: `{"diagnostics":[...],"revision":...}`.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// assert_eq!(engine.load_answer_json(), r#"{"diagnostics":[],"revision":"r1"}"#);
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn load_answer_json(&self) -> String {
        self.finish(|t, w| {
            answer::diagnostics(t, w);
            Ok(())
        })
    }

    /// The access check's decision, without JSON: one lookup per id and one bit probe. The
    /// whole `check` answer (with `via` and `productGroups`) is [`Engine::check_json`].
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// use groupgate::Decision;
    /// let engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// assert_eq!(engine.decide("u1", "p-wiki"), Decision::Group);
    /// assert!(!engine.decide("u1", "p-none").allowed());
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    #[inline]
    pub fn decide(&self, user: &str, product: &str) -> Decision {
        access::decide(&self.tenant, user, product)
    }

    /// The `check` answer's JSON text, for surfaces that have the two ids in hand and no
    /// request to read.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// assert_eq!(
    ///     engine.check_json("u1", "p-wiki"),
    ///     r#"{"allowed":true,"productGroups":[],"reason":"group","revision":"r1","via":["g-paris"]}"#
    /// );
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn check_json(&self, user: &str, product: &str) -> String {
        self.finish(|t, w| {
            answer::check(t, w, &access::check(t, user, product));
            Ok(())
        })
    }

    /// The `check` answer as its fields, keys in canonical order, `revision` included: what
    /// [`Engine::check_json`] writes, for surfaces that build answer objects themselves.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// use groupgate::Field;
    /// let engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// let fields = engine.check_fields("u1", "p-wiki");
    /// assert_eq!(fields[0], ("allowed", Field::Bool(true)));
    /// assert_eq!(fields[4], ("via", Field::Strs(vec!["g-paris"])));
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn check_fields(&self, user: &str, product: &str) -> [(&'static str, Field<'_>); 5] {
        let t = &self.tenant;
        let check = access::check(t, user, product);
        let ids = |list: &[crate::ids::GroupIx]| {
            Field::Strs(list.iter().map(|&g| t.group_id(g)).collect())
        };
        [
            ("allowed", Field::Bool(check.decision.allowed())),
            ("productGroups", ids(&check.product_groups)),
            ("reason", Field::Str(check.decision.reason())),
            ("revision", self.revision().map_or(Field::Null, Field::Str)),
            ("via", ids(&check.via)),
        ]
    }

    /// Answers one request given as JSON text, without changing the engine; failures come
    /// back as an error answer. An `apply` needs `&mut self`: here it is refused with
    /// `invalid-request`, and [`Engine::query_json`] answers it.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// let answer = engine.answer_json(r#"{"op":"previewRule","rule":"location = paris"}"#);
    /// assert!(answer.starts_with(r#"{"count":1,"#));
    /// let typo = engine.answer_json(r#"{"op":"check","user":"u1","prodcut":"p-wiki"}"#);
    /// assert!(typo.contains(r#""path":"$.prodcut""#));
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn answer_json(&self, request: &str) -> String {
        if let Some(answer) = self.fast_path(request) {
            return answer;
        }
        match json::parse(request) {
            Ok(value) => self.answer_value(&value),
            Err(error) => error_answer_json(&error, self.revision()),
        }
    }

    /// Answers a request already parsed, without changing the engine: the general path of
    /// [`Engine::answer_json`].
    fn answer_value(&self, value: &Value) -> String {
        self.finish(|t, w| dispatch::answer(t, w, Query::read(value, Mode::Answer)?))
    }

    /// Answers one request given as JSON text, and applies it when it is an `apply`: the one
    /// entry point that changes the engine from JSON. Any other request is answered as by
    /// [`Engine::answer_json`].
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let mut engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// let applied = engine.query_json(
    ///     r#"{"op":"apply","changes":[{"removeGroupProduct":{"group":"g-paris","product":"p-wiki"}}],"revision":"r2","base":"r1"}"#,
    /// );
    /// assert_eq!(applied, r#"{"diagnostics":[],"revision":"r2"}"#);
    /// assert!(!engine.decide("u1", "p-wiki").allowed());
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn query_json(&mut self, request: &str) -> String {
        if let Some(answer) = self.fast_path(request) {
            return answer;
        }
        let value = match json::parse(request) {
            Ok(value) => value,
            Err(error) => return error_answer_json(&error, self.revision()),
        };
        let revision = self.revision();
        let query = match Query::read(&value, Mode::Apply { revision }) {
            Ok(query) => query,
            Err(error) => return error_answer_json(&error, revision),
        };
        let Query::Apply { changes, revision } = query else {
            return self.finish(|t, w| dispatch::answer(t, w, query));
        };
        match self.apply_changes(changes, revision.map(str::to_owned)) {
            Ok(()) => self.load_answer_json(),
            Err(error) => error_answer_json(&error, self.revision()),
        }
    }

    /// Applies a change list given as JSON text (the `changes` of SPEC §7.2) and labels the
    /// new state with `revision`. Nothing changes when it fails.
    ///
    /// # Errors
    ///
    /// The error of the first invalid change, with its path (`$.changes[3].addMember.user`);
    /// under `strict`, `invalid-request` when the changes would add an error diagnostic.
    ///
    /// ```
    /// # use groupgate::{Engine, LoadOptions};
    /// # let snapshot = r#"{"users":[{"id":"u1","name":"Ana","attributes":{"location":"Paris"}}],"groups":[{"id":"g-paris","name":"Paris","rule":"location = Paris","products":["p-wiki"]}],"products":[{"id":"p-wiki"}],"revision":"r1"}"#;
    /// let mut engine = Engine::from_json(snapshot, LoadOptions::default())?;
    /// engine.apply_json(r#"[{"upsertUser":{"id":"u2","attributes":{"location":"Paris"}}}]"#, Some("r2"))?;
    /// assert!(engine.decide("u2", "p-wiki").allowed());
    /// let refused = engine.apply_json(r#"[{"removeUser":"nobody"}]"#, None).unwrap_err();
    /// assert_eq!(refused.code().as_str(), "unknown-user");
    /// assert_eq!(engine.revision(), Some("r2"), "a refused list changes nothing");
    /// # Ok::<(), groupgate::Error>(())
    /// ```
    pub fn apply_json(&mut self, changes: &str, revision: Option<&str>) -> Result<(), Error> {
        let value = json::parse(changes)?;
        self.apply_changes(&value, revision.map(str::to_owned))
    }

    fn apply_changes(&mut self, changes: &Value, revision: Option<String>) -> Result<(), Error> {
        let (mut next, _) = changed(&self.tenant, changes)?;
        next.set_revision(revision);
        if self.strict {
            if let Some(first) = first_error(&next.diagnostics()) {
                return Err(Error::invalid_request(
                    "$.changes",
                    format!(
                        "a strict engine refuses changes that add an error diagnostic: `{}` at {}: {}",
                        first.code, first.path, first.message
                    ),
                ));
            }
        }
        self.tenant = next;
        Ok(())
    }

    /// The answer to a `check` or `checkBatch` of the plain shape, the requests edge proxies
    /// send most, read from the text with no JSON tree (a batch's tree would cost more than
    /// its checks); `None` for any other request, which the general path reads.
    fn fast_path(&self, request: &str) -> Option<String> {
        let plain = Plain::read(request)?;
        let query = plain.query()?;
        Some(self.finish(|t, w| dispatch::answer(t, w, query?)))
    }

    /// Runs `write` and returns its answer, or the error answer.
    fn finish(&self, write: impl FnOnce(&Tenant, &mut Out) -> Result<(), Error>) -> String {
        let revision = self.revision();
        let mut w =
            Writer::new(MAX_ANSWER_BYTES).with_top_level("revision", revision_json(revision));
        match write(&self.tenant, &mut w).and_then(|()| w.finish()) {
            Ok(text) => text,
            Err(error) => error_answer_json(&error, revision),
        }
    }
}

/// A tenant with `changes` applied, and what changed.
fn changed(t: &Tenant, changes: &Value) -> Result<(Tenant, crate::model::Delta), Error> {
    let list = changes::read_changes(t, changes)?;
    let mut next = t.clone();
    match next.apply(t, &list.list) {
        Ok(delta) => Ok((next, delta)),
        Err(failure) => Err(failure.error.at(changes::failure_path(
            &list.kinds,
            failure.index,
            failure.field,
        ))),
    }
}

/// The first error-severity diagnostic.
fn first_error(diagnostics: &[Diagnostic]) -> Option<&Diagnostic> {
    diagnostics.iter().find(|d| d.severity == Severity::Error)
}

fn revision_json(revision: Option<&str>) -> String {
    match revision {
        Some(r) => {
            let mut out = String::with_capacity(r.len() + 2);
            json::write_string(&mut out, r);
            out
        }
        None => "null".to_owned(),
    }
}

/// The error answer `{"error":{...},"revision":...}` as canonical JSON text.
pub fn error_answer_json(error: &Error, revision: Option<&str>) -> String {
    let mut w = Writer::new(usize::MAX).with_top_level("revision", revision_json(revision));
    w.obj();
    w.key("error");
    answer::error_object(&mut w, error);
    w.end_obj();
    w.finish().unwrap_or_default()
}

/// Loads a snapshot and returns the engine (when it loaded) and the load answer as JSON text:
/// `{"diagnostics":[...],"revision":...}`, or the error answer.
pub fn load_json(snapshot: &str, options: LoadOptions) -> (Option<Engine>, String) {
    match Engine::from_json(snapshot, options) {
        Ok(engine) => {
            let answer = engine.load_answer_json();
            (Some(engine), answer)
        }
        Err(error) => (None, error_answer_json(&error, None)),
    }
}

/// Answers the requests that need no snapshot (`parseRule`, `formatRule`, `version`), for
/// surfaces that expose them as free functions.
pub fn answer_without_engine_json(request: &str) -> String {
    let value = match json::parse(request) {
        Ok(value) => value,
        Err(error) => return error_answer_json(&error, None),
    };
    let mut w = Writer::new(MAX_ANSWER_BYTES).with_top_level("revision", "null".to_owned());
    let result =
        Standalone::read(&value).and_then(|query| dispatch::answer_standalone(&mut w, query));
    match result.and_then(|()| w.finish()) {
        Ok(text) => text,
        Err(error) => error_answer_json(&error, None),
    }
}

/// A request from a surface's arguments, as the JavaScript typed methods take them: `op`, then
/// `fields` (each argument's JSON text, `None` when it was not given), then the keys of
/// `options`, the JSON text of an object holding the op's optional keys.
/// The fields are copied as they are: they must be JSON.
///
/// # Errors
///
/// `invalid-json` when `options` is not JSON; `invalid-request` when it is not an object, or
/// names `op` or a key given as an argument (at `$.group`).
#[cfg_attr(
    not(feature = "js"),
    allow(dead_code, reason = "for the JavaScript face")
)]
pub fn request_json(
    op: &str,
    fields: &[(&str, Option<&str>)],
    options: Option<&str>,
) -> Result<String, Error> {
    let mut out = String::from("{\"op\":");
    json::write_string(&mut out, op);
    for (key, value) in fields {
        if let Some(value) = value {
            out.push(',');
            json::write_string(&mut out, key);
            out.push(':');
            out.push_str(value);
        }
    }
    if let Some(options) = options {
        let value = json::parse(options)?;
        let Value::Object(map) = &value else {
            return Err(Error::invalid_request(
                "$",
                format!("options are an object, not {}", type_name(&value)),
            ));
        };
        for (key, value) in map {
            if key == "op" || fields.iter().any(|(field, _)| field == key) {
                return Err(Error::invalid_request(
                    json::path_key("$", key),
                    format!("`{key}` is not an option of `{op}`: it is given as an argument"),
                ));
            }
            out.push(',');
            json::write_string(&mut out, key);
            out.push(':');
            out.push_str(&value.to_string());
        }
    }
    out.push('}');
    Ok(out)
}

/// Whether an answer's JSON text is an error answer. Answers are canonical (SPEC §2), and
/// `error` sorts first among an error answer's two keys, so this reads no more than a prefix.
#[cfg_attr(
    not(feature = "js"),
    allow(dead_code, reason = "for the JavaScript face")
)]
pub fn is_error_answer(answer: &str) -> bool {
    answer.starts_with("{\"error\":")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::limits::{MAX_BATCH, MAX_RULE_TEXT};

    fn engine(snapshot: &str) -> Engine {
        Engine::from_json(snapshot, LoadOptions::default()).unwrap()
    }

    /// The typed `check` path writes exactly what the general path writes.
    #[test]
    fn fast_check_answers_match_the_general_path() {
        for snapshot in [
            r#"{"revision":"r \"1\"","users":[{"id":"u1"},{"id":"u2","orgRole":"admin"}],
                "groups":[{"id":"g\u00e9","name":"G","members":["u1"],"products":["p1"]},
                          {"id":"g2","name":"G2","products":["p2"]}],
                "products":[{"id":"p1"},{"id":"p2"}]}"#,
            r#"{"users":[{"id":"u1"}],"products":[{"id":"p1"}]}"#,
        ] {
            let e = engine(snapshot);
            for (user, product) in [
                ("u1", "p1"),
                ("u1", "p2"),
                ("u2", "p2"),
                ("x", "p1"),
                ("u1", "x"),
                ("x", "y"),
            ] {
                let request = format!(r#"{{"op":"check","user":"{user}","product":"{product}"}}"#);
                assert!(e.fast_path(&request).is_some(), "{request}");
                let value = json::parse(&request).unwrap();
                let general = e.answer_value(&value);
                assert_eq!(e.answer_json(&request), general, "{request}");
            }
        }
    }

    /// Requests that look like a check but are not exactly one still get the general path,
    /// and an unknown key is named ahead of a missing one.
    #[test]
    fn unusual_check_requests_get_proper_errors() {
        let e = engine(r#"{"users":[{"id":"u1"}],"products":[{"id":"p1"}]}"#);
        for (request, code, path) in [
            (
                r#"{"op":"check","user":"u1","product":"p1","extra":1}"#,
                "invalid-request",
                "$.extra",
            ),
            (
                r#"{"op":"check","user":"u1","prodcut":"p1"}"#,
                "invalid-request",
                "$.prodcut",
            ),
            (r#"{"op":"check","user":"u1"}"#, "invalid-request", "$"),
            (
                r#"{"op":"check","user":1,"product":"p1"}"#,
                "invalid-request",
                "$.user",
            ),
            (
                r#"{"op":"chek","user":"u1","product":"p1"}"#,
                "unknown-op",
                "$.op",
            ),
        ] {
            let answer: Value = serde_json::from_str(&e.answer_json(request)).unwrap();
            assert_eq!(answer["error"]["code"], code, "{request}");
            assert_eq!(answer["error"]["path"], path, "{request}");
        }
    }

    /// Rule text over 64 KiB is refused before any work; at the limit it is answered.
    #[test]
    fn suggest_text_over_the_rule_limit_is_limit_exceeded() {
        let e = engine(r#"{"users":[{"id":"u1","attributes":{"a":"x"}}]}"#);
        let request = |n: usize| {
            let text = format!("a = {}", "x".repeat(n - 4));
            serde_json::json!({"op": "suggest", "text": text, "cursor": 2}).to_string()
        };
        let answer: Value =
            serde_json::from_str(&e.answer_json(&request(MAX_RULE_TEXT + 1))).unwrap();
        assert_eq!(answer["error"]["code"], "limit-exceeded");
        assert_eq!(answer["error"]["path"], "$.text");
        let answer: Value = serde_json::from_str(&e.answer_json(&request(MAX_RULE_TEXT))).unwrap();
        assert_eq!(answer["diagnostic"], Value::Null);
        assert_eq!(answer["items"][0]["insert"], "=");
    }

    /// The `check` answer's typed fields are exactly what its JSON text holds.
    #[test]
    fn check_fields_match_the_check_answer() {
        for snapshot in [
            r#"{"revision":"r \"1\"","users":[{"id":"u1"},{"id":"u2","orgRole":"owner"}],
                "groups":[{"id":"g\u00e9","name":"G","members":["u1"],"products":["p1"]},
                          {"id":"g2","name":"G2","members":["u1"],"products":["p1","p2"]}],
                "products":[{"id":"p1"},{"id":"p2"},{"id":"p3"}]}"#,
            r#"{"users":[{"id":"u1"}],"products":[{"id":"p1"}]}"#,
        ] {
            let e = engine(snapshot);
            for user in ["u1", "u2", "x"] {
                for product in ["p1", "p2", "p3", "y"] {
                    let mut w = Writer::new(usize::MAX);
                    w.obj();
                    for (key, field) in e.check_fields(user, product) {
                        w.key(key);
                        match field {
                            Field::Bool(b) => w.bool(b),
                            Field::Str(s) => w.str(s),
                            Field::Null => w.null(),
                            Field::Strs(list) => w.str_list(list),
                        }
                    }
                    w.end_obj();
                    let written = w.finish().unwrap();
                    assert_eq!(written, e.check_json(user, product), "{user} {product}");
                }
            }
        }
    }

    /// The typed `checkBatch` path writes exactly what the general path writes, and leaves
    /// anything malformed to the general path's errors.
    #[test]
    fn fast_batch_answers_match_the_general_path() {
        let e = engine(
            r#"{"revision":"r1","users":[{"id":"u1"},{"id":"u\"2","orgRole":"owner"}],
                "groups":[{"id":"g1","name":"G","members":["u1"],"products":["p1"]}],
                "products":[{"id":"p1"},{"id":"p2"}]}"#,
        );
        let general = |request: &str| {
            let value = json::parse(request).unwrap();
            e.answer_value(&value)
        };
        for request in [
            r#"{"op":"checkBatch","checks":[]}"#,
            r#"{"checks":[{"product":"p1","user":"u1"},{"user":"u\"2","product":"p2"},
                {"user":"x","product":"p1"},{"user":"u1","product":"\u0070\u0032"}],
                "op":"checkBatch"}"#,
            r#"{"op":"checkBatch","checks":[{"user":"u1","product":"p1","extra":1}]}"#,
            r#"{"op":"checkBatch","checks":[{"user":"u1","product":"p1"},{"user":"u1"}]}"#,
            r#"{"op":"checkBatch","checks":[{"user":"u1","product":null}]}"#,
            r#"{"op":"checkBatch","checks":[],"checks":[]}"#,
            r#"{"op":"checkBatch","checks":{}}"#,
            r#"{"op":"checkBatch","checks":[],"typo":1}"#,
        ] {
            assert_eq!(e.answer_json(request), general(request), "{request}");
        }
        for plain in [
            r#"{"op":"checkBatch","checks":[]}"#,
            r#"{"checks":[{"product":"p1","user":"u1"}],"op":"checkBatch"}"#,
        ] {
            assert!(e.fast_path(plain).is_some(), "{plain}");
        }
        let too_many = format!(
            r#"{{"op":"checkBatch","checks":[{}]}}"#,
            vec![r#"{"user":"u1","product":"p1"}"#; MAX_BATCH + 1].join(",")
        );
        let answer: Value = serde_json::from_str(&e.answer_json(&too_many)).unwrap();
        assert_eq!(answer["error"]["code"], "limit-exceeded");
        assert_eq!(e.answer_json(&too_many), general(&too_many));
    }

    /// An engine that only answers refuses an `apply` before reading its keys; one that
    /// applies reads them, an unknown key first, and checks `base` before `changes`.
    #[test]
    fn apply_is_read_by_an_engine_that_applies() {
        let mut e = engine(r#"{"revision":"r1","users":[{"id":"u1"}]}"#);
        let error = |answer: String| {
            let answer: Value = serde_json::from_str(&answer).unwrap();
            let error = &answer["error"];
            (error["code"].to_string(), error["path"].to_string())
        };
        let at = |code: &str, path: &str| (format!("\"{code}\""), format!("\"{path}\""));
        for (request, refused, read) in [
            (
                r#"{"op":"apply","typo":1}"#,
                at("invalid-request", "$.op"),
                at("invalid-request", "$.typo"),
            ),
            (
                r#"{"op":"apply","base":"r0"}"#,
                at("invalid-request", "$.op"),
                at("revision-mismatch", "$.base"),
            ),
            (
                r#"{"op":"apply","base":"r1"}"#,
                at("invalid-request", "$.op"),
                at("invalid-request", "$"),
            ),
        ] {
            assert_eq!(error(e.answer_json(request)), refused, "{request}");
            assert_eq!(error(e.query_json(request)), read, "{request}");
        }
        let check = r#"{"op":"check","user":"u1","product":"p1"}"#;
        assert_eq!(e.query_json(check), e.answer_json(check));
        let applied = e.query_json(r#"{"op":"apply","changes":[],"base":"r1","revision":"r2"}"#);
        assert_eq!(applied, r#"{"diagnostics":[],"revision":"r2"}"#);
    }

    #[test]
    fn load_options_from_json() {
        for (text, strict) in [
            ("{}", false),
            (r#"{"strict":true}"#, true),
            (r#"{"strict":null}"#, false),
        ] {
            assert_eq!(
                LoadOptions::from_json(text).unwrap(),
                LoadOptions { strict },
                "{text}"
            );
        }
        for (text, code, path) in [
            (
                r#"{"strcit":true}"#,
                ErrorCode::InvalidRequest,
                Some("$.strcit"),
            ),
            (
                r#"{"strict":"yes"}"#,
                ErrorCode::InvalidRequest,
                Some("$.strict"),
            ),
            ("[]", ErrorCode::InvalidRequest, Some("$")),
            ("{", ErrorCode::InvalidJson, None),
        ] {
            let error = LoadOptions::from_json(text).unwrap_err();
            assert_eq!((error.code(), error.path()), (code, path), "{text}");
        }
    }

    #[test]
    fn requests_from_arguments_and_options() {
        let request = request_json(
            "members",
            &[("group", Some(r#""g\"1""#)), ("absent", None)],
            Some(r#"{"page":2,"search":"é"}"#),
        )
        .unwrap();
        assert_eq!(
            request,
            r#"{"op":"members","group":"g\"1","page":2,"search":"é"}"#
        );
        assert_eq!(request_json("lint", &[], None).unwrap(), r#"{"op":"lint"}"#);
        for (options, code, path) in [
            (
                r#"{"group":"g2"}"#,
                ErrorCode::InvalidRequest,
                Some("$.group"),
            ),
            (r#"{"op":"apply"}"#, ErrorCode::InvalidRequest, Some("$.op")),
            ("5", ErrorCode::InvalidRequest, Some("$")),
            ("{", ErrorCode::InvalidJson, None),
        ] {
            let error =
                request_json("members", &[("group", Some("\"g1\""))], Some(options)).unwrap_err();
            assert_eq!((error.code(), error.path()), (code, path), "{options}");
        }
    }

    #[test]
    fn error_answers_are_told_by_their_first_key() {
        let e = engine(r#"{"revision":"r1","users":[{"id":"u1"}]}"#);
        assert!(is_error_answer(
            &e.answer_json(r#"{"op":"userAccess","user":"x"}"#)
        ));
        assert!(!is_error_answer(
            &e.answer_json(r#"{"op":"userAccess","user":"u1"}"#)
        ));
        assert!(!is_error_answer(&e.answer_json(r#"{"op":"diagnostics"}"#)));
    }

    #[test]
    fn engines_are_send_and_sync() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Engine>();
    }
}
