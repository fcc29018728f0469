//! The AuthZEN Authorization API 1.0 evaluation endpoints, mapped onto the engine.
//!
//! - `subject {type:"user", id}` and `resource {type:"product", id}`, whatever the action, is
//!   the contract's `check`: `{"decision", "context": {"productGroups", "reason", "revision",
//!   "via"}}`.
//! - `resource {type:"permission", id}` is `hasPermission`: `{"decision", "context": {"roles",
//!   "revision"}}`.
//! - Another subject or resource type is an error of that one evaluation (AuthZEN's second kind
//!   of error): `decision` false, and `context.error` holds the contract's error object.
//! - A payload that cannot be read as a request (not JSON, not an object, a required entity
//!   missing or of the wrong type) is an error of the whole payload: the caller answers it
//!   with a 400 and the contract's error body.
//!
//! Action names and the request `context` are accepted and not used: the engine decides from
//! the tenant alone (its "now" is the snapshot's `asOf`). Keys AuthZEN does not define are
//! ignored, as the specification lets later versions add them.
//!
//! Every evaluation of one payload is answered by the same engine, so a batch never mixes two
//! revisions.

use std::borrow::Cow;

use groupgate::{Engine, Error};
use serde_json::{json, Map, Value};

/// The most evaluations one `evaluations` payload may hold (the contract's `checkBatch` limit).
pub const MAX_EVALUATIONS: usize = 100_000;

/// How a batch is run: `options.evaluations_semantic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Semantic {
    ExecuteAll,
    DenyOnFirstDeny,
    PermitOnFirstPermit,
}

/// One evaluation's entities, read.
struct Tuple<'a> {
    subject_type: &'a str,
    subject_id: &'a str,
    resource_type: &'a str,
    resource_id: &'a str,
}

/// The four entities of one evaluation, each with the path it came from: the top level's, or
/// an element's own, which replaces the top level's.
#[derive(Clone)]
struct Entities<'a> {
    subject: Option<(&'a Value, Cow<'static, str>)>,
    action: Option<(&'a Value, Cow<'static, str>)>,
    resource: Option<(&'a Value, Cow<'static, str>)>,
    context: Option<(&'a Value, Cow<'static, str>)>,
}

impl<'a> Entities<'a> {
    fn top(payload: &'a Map<String, Value>) -> Entities<'a> {
        let at = |key: &str, path: &'static str| payload.get(key).map(|v| (v, Cow::Borrowed(path)));
        Entities {
            subject: at("subject", "$.subject"),
            action: at("action", "$.action"),
            resource: at("resource", "$.resource"),
            context: at("context", "$.context"),
        }
    }

    /// These entities, with those `element` (at `$.evaluations[i]`) gives replacing them.
    fn with(&self, element: &'a Map<String, Value>, i: usize) -> Entities<'a> {
        let own = |key: &str, default: &Option<(&'a Value, Cow<'static, str>)>| {
            element.get(key).map_or_else(
                || default.clone(),
                |v| Some((v, Cow::Owned(format!("$.evaluations[{i}].{key}")))),
            )
        };
        Entities {
            subject: own("subject", &self.subject),
            action: own("action", &self.action),
            resource: own("resource", &self.resource),
            context: own("context", &self.context),
        }
    }
}

/// Answers `POST /access/v1/evaluation`: the response's JSON text, or the error of the whole
/// payload (a 400).
///
/// # Errors
///
/// `invalid-request` when a required entity is missing or malformed, with its path.
pub fn evaluation(engine: &Engine, payload: &Value) -> Result<String, Error> {
    let payload = object(payload, "$")?;
    let answer = evaluate(engine, &Entities::top(payload))?;
    Ok(answer.to_string())
}

/// Answers `POST /access/v1/evaluations`. Without an `evaluations` array it answers as the
/// single evaluation does; with one, the top-level entities are defaults that an element's own
/// entity replaces, and `options.evaluations_semantic` may stop at the first deny or permit.
///
/// # Errors
///
/// `invalid-request` for a payload that is not an object, an `evaluations` that is not an
/// array, an unknown semantic; `limit-exceeded` past [`MAX_EVALUATIONS`]; and, without an
/// `evaluations` array, what [`evaluation`] reports.
pub fn evaluations(engine: &Engine, payload: &Value) -> Result<String, Error> {
    let payload = object(payload, "$")?;
    let Some(list) = payload.get("evaluations") else {
        return evaluation(engine, &Value::Object(payload.clone()));
    };
    let list = list
        .as_array()
        .ok_or_else(|| invalid("`evaluations` is not an array", "$.evaluations"))?;
    if list.len() > MAX_EVALUATIONS {
        return Err(Error::limit_exceeded(
            "$.evaluations",
            format!(
                "{} evaluations in one payload: at most {MAX_EVALUATIONS}",
                list.len()
            ),
        ));
    }
    let semantic = semantic(payload.get("options"))?;
    let defaults = Entities::top(payload);
    let mut answers = Vec::with_capacity(list.len());
    for (i, element) in list.iter().enumerate() {
        let answer = match element.as_object() {
            None => refused(
                engine,
                &invalid(
                    "an evaluation is not an object",
                    format!("$.evaluations[{i}]"),
                ),
            ),
            Some(own) => evaluate(engine, &defaults.with(own, i))
                .unwrap_or_else(|error| refused(engine, &error)),
        };
        let decision = answer.get("decision").and_then(Value::as_bool) == Some(true);
        answers.push(answer);
        match semantic {
            Semantic::DenyOnFirstDeny if !decision => break,
            Semantic::PermitOnFirstPermit if decision => break,
            _ => {}
        }
    }
    Ok(json!({ "evaluations": answers }).to_string())
}

/// Reads `options.evaluations_semantic`.
fn semantic(options: Option<&Value>) -> Result<Semantic, Error> {
    let Some(options) = options else {
        return Ok(Semantic::ExecuteAll);
    };
    let options = object(options, "$.options")?;
    match options.get("evaluations_semantic") {
        None | Some(Value::Null) => Ok(Semantic::ExecuteAll),
        Some(Value::String(s)) if s == "execute_all" => Ok(Semantic::ExecuteAll),
        Some(Value::String(s)) if s == "deny_on_first_deny" => Ok(Semantic::DenyOnFirstDeny),
        Some(Value::String(s)) if s == "permit_on_first_permit" => {
            Ok(Semantic::PermitOnFirstPermit)
        }
        Some(other) => Err(invalid(
            format!(
                "`evaluations_semantic` is {other}: one of `execute_all`, `deny_on_first_deny`, \
                 `permit_on_first_permit`"
            ),
            "$.options.evaluations_semantic",
        )),
    }
}

/// One evaluation's response object.
fn evaluate(engine: &Engine, e: &Entities<'_>) -> Result<Value, Error> {
    let tuple = read(e)?;
    if tuple.subject_type != "user" {
        return Ok(refused(
            engine,
            &invalid(
                format!(
                    "subject type `{}` is not one groupgate decides for: it knows `user`",
                    tuple.subject_type
                ),
                format!("{}.type", path(&e.subject)),
            ),
        ));
    }
    match tuple.resource_type {
        "product" => Ok(check(engine, tuple.subject_id, tuple.resource_id)),
        "permission" => Ok(has_permission(engine, tuple.subject_id, tuple.resource_id)),
        other => Ok(refused(
            engine,
            &invalid(
                format!(
                    "resource type `{other}` is not one groupgate decides: it knows `product` \
                     and `permission`"
                ),
                format!("{}.type", path(&e.resource)),
            ),
        )),
    }
}

fn path<'e>(entity: &'e Option<(&Value, Cow<'static, str>)>) -> &'e str {
    entity.as_ref().map_or("$", |(_, p)| p)
}

/// Reads the entities an evaluation needs: `subject` and `resource` with a string `type` and
/// `id`, `action` with a string `name`, `context` an object when present.
fn read<'a>(e: &Entities<'a>) -> Result<Tuple<'a>, Error> {
    let (subject_type, subject_id) = typed(&e.subject, "subject")?;
    let (resource_type, resource_id) = typed(&e.resource, "resource")?;
    let (action, action_path) = e
        .action
        .as_ref()
        .ok_or_else(|| invalid("missing key `action`", "$.action"))?;
    let action = object(action, action_path)?;
    string(action.get("name"), &format!("{action_path}.name"), "name")?;
    if let Some((context, context_path)) = &e.context {
        object(context, context_path)?;
    }
    Ok(Tuple {
        subject_type,
        subject_id,
        resource_type,
        resource_id,
    })
}

/// The `type` and `id` of a subject or resource.
fn typed<'a>(
    entity: &Option<(&'a Value, Cow<'static, str>)>,
    key: &str,
) -> Result<(&'a str, &'a str), Error> {
    let (value, at) = entity
        .as_ref()
        .ok_or_else(|| invalid(format!("missing key `{key}`"), format!("$.{key}")))?;
    let value: &'a Map<String, Value> = object(value, at)?;
    let kind = string(value.get("type"), &format!("{at}.type"), "type")?;
    let id = string(value.get("id"), &format!("{at}.id"), "id")?;
    if let Some(properties) = value.get("properties") {
        object(properties, &format!("{at}.properties"))?;
    }
    Ok((kind, id))
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, Error> {
    value
        .as_object()
        .ok_or_else(|| invalid(format!("`{}` is not an object", name(at)), at.to_owned()))
}

fn string<'a>(value: Option<&'a Value>, at: &str, key: &str) -> Result<&'a str, Error> {
    match value {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(invalid(format!("`{key}` is not a string"), at.to_owned())),
        None => Err(invalid(format!("missing key `{key}`"), at.to_owned())),
    }
}

/// The last key of a path, for messages.
fn name(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn invalid(message: impl Into<String>, path: impl Into<String>) -> Error {
    Error::invalid_request(path, message)
}

/// `decision` false with the error in `context.error` (an error of this evaluation alone).
fn refused(engine: &Engine, error: &Error) -> Value {
    let answer = groupgate::error_answer_json(error, engine.revision());
    let error = serde_json::from_str::<Value>(&answer)
        .ok()
        .and_then(|mut v| v.get_mut("error").map(Value::take))
        .unwrap_or(Value::Null);
    json!({
        "context": { "error": error, "revision": engine.revision() },
        "decision": false,
    })
}

/// The contract's `check`, as an evaluation response: `allowed` becomes `decision`, and the
/// answer's other keys the `context`.
fn check(engine: &Engine, user: &str, product: &str) -> Value {
    let mut context: Map<String, Value> =
        serde_json::from_str(&engine.check_json(user, product)).unwrap_or_default();
    let decision = context.shift_remove("allowed") == Some(Value::Bool(true));
    json!({ "context": context, "decision": decision })
}

/// The contract's `hasPermission`, as an evaluation response.
fn has_permission(engine: &Engine, user: &str, permission: &str) -> Value {
    let request = json!({ "op": "hasPermission", "user": user, "permission": permission });
    let answer = engine.answer_json(&request.to_string());
    let mut answer: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    if let Some(error) = answer.get_mut("error").map(Value::take) {
        return json!({
            "context": { "error": error, "revision": engine.revision() },
            "decision": false,
        });
    }
    let decision = answer.get("allowed").and_then(Value::as_bool) == Some(true);
    json!({
        "context": {
            "revision": engine.revision(),
            "roles": answer.get_mut("roles").map_or(Value::Array(Vec::new()), Value::take),
        },
        "decision": decision,
    })
}
