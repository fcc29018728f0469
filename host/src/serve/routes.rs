//! The routes: from an HTTP request to the engine and back, with the statuses, the limits and
//! the admin token.
//!
//! Readers take the engine that is current when their request starts and answer from it alone;
//! writers (apply, reload) hold the writer lock, work on a copy, and swap it in.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use groupgate::{error_answer_json, Engine, Error, ErrorCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::value::RawValue;
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::metrics::Route;
use super::{authzen, forward, log_request, Source, State};

/// An answer on its way out.
pub struct Reply {
    status: StatusCode,
    body: Bytes,
    content_type: &'static str,
    headers: Vec<(HeaderName, HeaderValue)>,
}

const JSON: &str = "application/json; charset=utf-8";

impl Reply {
    fn json(status: StatusCode, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            body: body.into(),
            content_type: JSON,
            headers: Vec::new(),
        }
    }

    /// The contract's error body with `status`.
    fn error(status: StatusCode, error: &Error, revision: Option<&str>) -> Reply {
        Reply::json(status, error_answer_json(error, revision))
    }

    fn header(mut self, name: HeaderName, value: &str) -> Reply {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }
}

/// The status of an answer of the contract: 200, or the status its error code calls for.
fn status_of(answer: &str) -> StatusCode {
    let Some(rest) = answer.strip_prefix(r#"{"error":{"code":""#) else {
        return StatusCode::OK;
    };
    let code = rest.split('"').next().unwrap_or("");
    match code {
        "unknown-user" | "unknown-group" | "unknown-role" | "unknown-product" => {
            StatusCode::NOT_FOUND
        }
        "revision-mismatch" => StatusCode::CONFLICT,
        "invalid-snapshot" => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn is_error(answer: &str) -> bool {
    answer.starts_with(r#"{"error":"#)
}

/// Answers one request; never fails, never panics on input.
pub async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let route = Route::of(request.uri().path());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let request_id = request.headers().get("x-request-id").cloned();
    let timeout = state.limits.request_timeout;
    let reply = match tokio::time::timeout(timeout, dispatch(&state, route, request)).await {
        Ok(reply) => reply,
        Err(_) => Reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            &Error::host(
                ErrorCode::LimitExceeded,
                format!("the request took longer than {} ms", timeout.as_millis()),
            ),
            state.engine.load().revision(),
        ),
    };
    let status = reply.status;
    let took = started.elapsed();
    state.metrics.record(route, status.as_u16(), took);
    if !state.quiet {
        log_request(
            &method,
            &path,
            route,
            status.as_u16(),
            took,
            request_id.as_ref(),
        );
    }
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        reply.body
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(id) = request_id {
        headers.insert(HeaderName::from_static("x-request-id"), id);
    }
    for (name, value) in reply.headers {
        headers.insert(name, value);
    }
    response
}

/// The methods each route answers.
fn allowed(route: Route) -> &'static [Method] {
    const GET: &[Method] = &[Method::GET, Method::HEAD];
    const POST: &[Method] = &[Method::POST];
    match route {
        Route::Check | Route::Allow | Route::Healthz | Route::Metrics | Route::Export => GET,
        Route::Evaluation | Route::Evaluations | Route::Query | Route::Apply | Route::Reload => {
            POST
        }
        Route::Other => &[],
    }
}

async fn dispatch(state: &Arc<State>, route: Route, request: Request<Incoming>) -> Reply {
    let revision = || state.engine.load().revision().map(str::to_owned);
    if route == Route::Other {
        return Reply::error(
            StatusCode::NOT_FOUND,
            &Error::host(
                ErrorCode::InvalidRequest,
                format!(
                    "no route `{}`: see `groupgate serve --help`",
                    request.uri().path()
                ),
            ),
            revision().as_deref(),
        );
    }
    let methods = allowed(route);
    if !methods.contains(request.method()) {
        let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
        let allow = allow.join(", ");
        return Reply::error(
            StatusCode::METHOD_NOT_ALLOWED,
            &Error::host(
                ErrorCode::InvalidRequest,
                format!(
                    "method `{}` is not {allow} on `{}`",
                    request.method(),
                    request.uri().path()
                ),
            ),
            revision().as_deref(),
        )
        .header(header::ALLOW, &allow);
    }
    match route {
        Route::Check | Route::Allow => check(state, route, &request),
        Route::Healthz => {
            let engine = state.engine.load();
            Reply::json(
                StatusCode::OK,
                serde_json::json!({ "revision": engine.revision(), "status": "ok" }).to_string(),
            )
        }
        Route::Metrics => Reply {
            status: StatusCode::OK,
            body: state.metrics.render(state.engine.load().revision()).into(),
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            headers: Vec::new(),
        },
        Route::Evaluation | Route::Evaluations => authzen(state, route, request).await,
        Route::Query => query(state, request).await,
        Route::Apply | Route::Reload | Route::Export => {
            if let Err(reply) = authorize(state, &request) {
                return reply;
            }
            match route {
                Route::Apply => apply(state, request).await,
                Route::Reload => reload(state, request).await,
                _ => export(state).await,
            }
        }
        Route::Other => unreachable_route(),
    }
}

/// Answered before the match; kept as a reply rather than a panic.
fn unreachable_route() -> Reply {
    Reply::error(
        StatusCode::NOT_FOUND,
        &Error::host(ErrorCode::InvalidRequest, "no such route"),
        None,
    )
}

/// `GET /check` and `GET /allow` (and HEAD on either).
fn check(state: &State, route: Route, request: &Request<Incoming>) -> Reply {
    let engine = state.engine.load();
    let fields = match forward::fields(request.uri().query(), request.headers()) {
        Ok(fields) => fields,
        Err(error) => return Reply::error(StatusCode::BAD_REQUEST, &error, engine.revision()),
    };
    let short = route == Route::Allow || request.method() == Method::HEAD;
    if let Some((user, product)) = fields.user_and_product() {
        let decision = engine.decide(user, product);
        let status = if decision.allowed() {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        let body = if short {
            forward::decided(&engine, decision)
        } else {
            engine.check_json(user, product)
        };
        return Reply::json(status, body).header(
            HeaderName::from_static("x-groupgate-reason"),
            decision.reason(),
        );
    }
    // A missing or unknown key: the engine's error answer names it.
    let answer = engine.answer_json(&fields.request());
    if is_error(&answer) {
        return Reply::json(StatusCode::BAD_REQUEST, answer);
    }
    let allowed: Option<Value> = serde_json::from_str(&answer).ok();
    let allowed = allowed
        .as_ref()
        .and_then(|a| a.get("allowed"))
        .and_then(Value::as_bool)
        == Some(true);
    let status = if allowed {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    Reply::json(status, answer)
}

/// Reads a request body of at most `limit` bytes as UTF-8 text.
async fn text_body(
    request: Request<Incoming>,
    limit: usize,
    revision: Option<&str>,
) -> Result<String, Reply> {
    let too_large = || {
        Reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &Error::host(
                ErrorCode::LimitExceeded,
                format!("the request body is over {limit} bytes"),
            ),
            revision,
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let bytes = match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => return Err(too_large()),
        Err(error) => {
            return Err(Reply::error(
                StatusCode::BAD_REQUEST,
                &Error::host(
                    ErrorCode::InvalidRequest,
                    format!("the request body could not be read: {error}"),
                ),
                revision,
            ))
        }
    };
    String::from_utf8(bytes.into()).map_err(|e| {
        Reply::error(
            StatusCode::BAD_REQUEST,
            &Error::host(
                ErrorCode::InvalidJson,
                format!("the request body is not UTF-8: {e}"),
            ),
            revision,
        )
    })
}

/// The engine's error for text that serde could not read as JSON: the core's parser says
/// where (line and column), as it does on every surface.
fn json_error(engine: &Engine, text: &str) -> Reply {
    let answer = engine.answer_json(text);
    if is_error(&answer) {
        return Reply::json(StatusCode::BAD_REQUEST, answer);
    }
    Reply::error(
        StatusCode::BAD_REQUEST,
        &Error::host(ErrorCode::InvalidJson, "the request body is not JSON"),
        engine.revision(),
    )
}

/// Runs `work` on the blocking pool, at most `max_workers` at once; the permit is released
/// when the work ends, even when the request has timed out.
async fn blocking<T: Send + 'static>(
    state: &Arc<State>,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Reply> {
    let permit = state.workers.clone().acquire_owned().await;
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    });
    task.await.map_err(|_| {
        Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &Error::host(
                ErrorCode::InvalidRequest,
                "the request failed inside the server",
            ),
            None,
        )
    })
}

/// Batches up to this many evaluations are answered on the runtime's own threads.
const INLINE_EVALUATIONS: usize = 64;

/// `POST /access/v1/evaluation` and `/access/v1/evaluations`.
async fn authzen(state: &Arc<State>, route: Route, request: Request<Incoming>) -> Reply {
    let engine = state.engine.load_full();
    let text = match text_body(request, state.limits.max_body_bytes, engine.revision()).await {
        Ok(text) => text,
        Err(reply) => return reply,
    };
    let payload: Value = match serde_json::from_str(&text) {
        Ok(payload) => payload,
        Err(_) => return json_error(&engine, &text),
    };
    let answer = move |engine: &Engine, payload: &Value| match route {
        Route::Evaluation => authzen::evaluation(engine, payload),
        _ => authzen::evaluations(engine, payload),
    };
    let large = payload
        .get("evaluations")
        .and_then(Value::as_array)
        .is_some_and(|list| list.len() > INLINE_EVALUATIONS);
    let result = if large {
        let engine = Arc::clone(&engine);
        match blocking(state, move || answer(&engine, &payload)).await {
            Ok(result) => result,
            Err(reply) => return reply,
        }
    } else {
        answer(&engine, &payload)
    };
    match result {
        Ok(body) => Reply::json(StatusCode::OK, body),
        Err(error) => Reply::error(StatusCode::BAD_REQUEST, &error, engine.revision()),
    }
}

/// The `op` of a request object, read without building its tree.
#[derive(serde::Deserialize)]
struct OpOnly<'a> {
    #[serde(borrow, default)]
    op: Option<std::borrow::Cow<'a, str>>,
}

fn is_apply(request: &str) -> bool {
    serde_json::from_str::<OpOnly<'_>>(request).is_ok_and(|r| r.op.as_deref() == Some("apply"))
}

/// The most requests one `/v1/query` array may hold.
const MAX_QUERIES: usize = 100_000;

/// `POST /v1/query`: one request of the contract, or a JSON array of them (answered with an
/// array, from one engine). `apply` is refused here: it is a write, for `/v1/apply`.
async fn query(state: &Arc<State>, request: Request<Incoming>) -> Reply {
    let engine = state.engine.load_full();
    let text = match text_body(request, state.limits.max_body_bytes, engine.revision()).await {
        Ok(text) => text,
        Err(reply) => return reply,
    };
    let work = move || query_text(&engine, &text);
    match blocking(state, work).await {
        Ok(reply) => reply,
        Err(reply) => reply,
    }
}

fn refuse_apply(engine: &Engine, path: String) -> Reply {
    Reply::error(
        StatusCode::BAD_REQUEST,
        &Error::invalid_request(
            path,
            "`apply` changes the engine: POST it to `/v1/apply`, with the admin token",
        ),
        engine.revision(),
    )
}

fn query_text(engine: &Engine, text: &str) -> Reply {
    if !text.trim_start().starts_with('[') {
        if is_apply(text) {
            return refuse_apply(engine, "$.op".to_owned());
        }
        let answer = engine.answer_json(text);
        return Reply::json(status_of(&answer), answer);
    }
    let list: Vec<&RawValue> = match serde_json::from_str(text) {
        Ok(list) => list,
        Err(_) => return json_error(engine, text),
    };
    if list.len() > MAX_QUERIES {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            &Error::limit_exceeded(
                "$",
                format!(
                    "{} requests in one array: at most {MAX_QUERIES}",
                    list.len()
                ),
            ),
            engine.revision(),
        );
    }
    if let Some(i) = list.iter().position(|r| is_apply(r.get())) {
        return refuse_apply(engine, format!("$[{i}].op"));
    }
    let mut body = String::with_capacity(64 * list.len() + 2);
    body.push('[');
    for (i, request) in list.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&engine.answer_json(request.get()));
    }
    body.push(']');
    Reply::json(StatusCode::OK, body)
}

/// Checks `Authorization: Bearer TOKEN` against the admin token, in constant time.
fn authorize(state: &State, request: &Request<Incoming>) -> Result<(), Reply> {
    let revision = state.engine.load().revision().map(str::to_owned);
    let refuse = |status: StatusCode, message: &str| {
        let reply = Reply::error(
            status,
            &Error::host(ErrorCode::InvalidRequest, message),
            revision.as_deref(),
        );
        if status == StatusCode::UNAUTHORIZED {
            reply.header(header::WWW_AUTHENTICATE, "Bearer realm=\"groupgate\"")
        } else {
            reply
        }
    };
    let Some(token) = &state.token else {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "the admin routes are off: start `groupgate serve` with `--admin-token-file`",
        ));
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    let Some(given) = given else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "the admin routes need `Authorization: Bearer TOKEN`",
        ));
    };
    if bool::from(given.ct_eq(token.as_slice())) {
        Ok(())
    } else {
        Err(refuse(
            StatusCode::FORBIDDEN,
            "the token is not the admin token",
        ))
    }
}

/// `POST /v1/apply`: the `apply` request, with or without its `op`.
async fn apply(state: &Arc<State>, request: Request<Incoming>) -> Reply {
    let current = state.engine.load_full();
    let text = match text_body(request, state.limits.max_body_bytes, current.revision()).await {
        Ok(text) => text,
        Err(reply) => return reply,
    };
    let mut body: serde_json::Map<String, Value> =
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(body)) => body,
            Ok(_) => return Reply::error(
                StatusCode::BAD_REQUEST,
                &Error::invalid_request(
                    "$",
                    "the body is not an object: send {\"changes\":[...],\"revision\"?,\"base\"?}",
                ),
                current.revision(),
            ),
            Err(_) => return json_error(&current, &text),
        };
    match body.get("op") {
        None => {
            body.insert("op".to_owned(), Value::from("apply"));
        }
        Some(Value::String(op)) if op == "apply" => {}
        Some(_) => {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                &Error::invalid_request(
                    "$.op",
                    "`/v1/apply` takes `apply` requests only; ask the others at `/v1/query`",
                ),
                current.revision(),
            )
        }
    }
    drop(current);
    let request = Value::Object(body).to_string();
    let writer = Arc::clone(&state.writer).lock_owned().await;
    let shared = Arc::clone(state);
    let work = move || {
        // Held until the new engine is in place, even if the request has timed out.
        let _writer = writer;
        let mut next = Engine::clone(&shared.engine.load_full());
        let answer = next.query_json(&request);
        let ok = !is_error(&answer);
        if ok {
            shared.engine.store(Arc::new(next));
        }
        shared.metrics.applied(ok);
        answer
    };
    match blocking(state, work).await {
        Ok(answer) => Reply::json(status_of(&answer), answer),
        Err(reply) => reply,
    }
}

/// `POST /v1/reload`: an empty body (or `{}`) rereads the current source; `{"snapshot":PATH}`
/// or `{"compiled":PATH}` loads that file, which becomes the source of later reloads.
async fn reload(state: &Arc<State>, request: Request<Incoming>) -> Reply {
    let revision = state.engine.load().revision().map(str::to_owned);
    let text = match text_body(request, 64 << 10, revision.as_deref()).await {
        Ok(text) => text,
        Err(reply) => return reply,
    };
    if !text.trim().is_empty() && serde_json::from_str::<&RawValue>(&text).is_err() {
        return json_error(&state.engine.load(), &text);
    }
    let source = match reload_source(&text) {
        Ok(source) => source,
        Err(error) => return Reply::error(StatusCode::BAD_REQUEST, &error, revision.as_deref()),
    };
    let shared = Arc::clone(state);
    match blocking(state, move || super::reload(&shared, source)).await {
        Ok(Ok(answer)) => Reply::json(StatusCode::OK, answer),
        Ok(Err(answer)) => Reply::json(StatusCode::UNPROCESSABLE_ENTITY, answer),
        Err(reply) => reply,
    }
}

/// The file a reload body names, if any.
fn reload_source(text: &str) -> Result<Option<Source>, Error> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let invalid = |message: String, path: &str| Error::invalid_request(path, message);
    let body: serde_json::Map<String, Value> =
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(body)) => body,
            Ok(_) => return Err(invalid(
                "the body is not an object: send {}, {\"snapshot\":PATH} or {\"compiled\":PATH}"
                    .to_owned(),
                "$",
            )),
            Err(e) => {
                return Err(Error::host(
                    ErrorCode::InvalidJson,
                    format!("the body is not JSON: {e}"),
                ))
            }
        };
    let mut source = None;
    for (key, value) in &body {
        let path = format!("$.{key}");
        let file = match value {
            Value::String(file) => std::path::PathBuf::from(file),
            _ if key == "snapshot" || key == "compiled" => {
                return Err(invalid(format!("`{key}` is not a path"), &path))
            }
            _ => return Err(invalid(format!("unknown key `{key}`"), &path)),
        };
        if source.is_some() {
            return Err(invalid(
                "give `snapshot` or `compiled`, not both".to_owned(),
                &path,
            ));
        }
        source = Some(match key.as_str() {
            "snapshot" => Source::Snapshot(file),
            "compiled" => Source::Compiled(file),
            _ => return Err(invalid(format!("unknown key `{key}`"), &path)),
        });
    }
    Ok(source)
}

/// `GET /v1/export`: the current engine as compiled-snapshot bytes.
async fn export(state: &Arc<State>) -> Reply {
    let engine = state.engine.load_full();
    let revision = engine.revision().map(str::to_owned);
    match blocking(state, move || engine.to_compiled()).await {
        Ok(bytes) => {
            let reply = Reply {
                status: StatusCode::OK,
                body: bytes.into(),
                content_type: "application/octet-stream",
                headers: Vec::new(),
            };
            match revision {
                Some(revision) => {
                    reply.header(HeaderName::from_static("x-groupgate-revision"), &revision)
                }
                None => reply,
            }
        }
        Err(reply) => reply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_error_code() {
        assert_eq!(status_of(r#"{"allowed":true}"#), StatusCode::OK);
        let error = |code: &str| format!(r#"{{"error":{{"code":"{code}","column":null}}}}"#);
        assert_eq!(status_of(&error("invalid-json")), StatusCode::BAD_REQUEST);
        assert_eq!(status_of(&error("unknown-group")), StatusCode::NOT_FOUND);
        assert_eq!(status_of(&error("revision-mismatch")), StatusCode::CONFLICT);
        assert_eq!(
            status_of(&error("invalid-snapshot")),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn apply_is_recognised_without_a_tree() {
        assert!(is_apply(r#"{"changes":[],"op":"apply"}"#));
        assert!(!is_apply(r#"{"op":"check","user":"u","product":"p"}"#));
        assert!(!is_apply("[1"));
    }

    #[test]
    fn reload_bodies() {
        assert_eq!(reload_source("").unwrap(), None);
        assert_eq!(reload_source("{}").unwrap(), None);
        assert_eq!(
            reload_source(r#"{"compiled":"a.ggc"}"#).unwrap(),
            Some(Source::Compiled("a.ggc".into()))
        );
        let path = |t: &str| reload_source(t).unwrap_err().path().map(str::to_owned);
        assert_eq!(
            path(r#"{"snapshot":"a","compiled":"b"}"#).as_deref(),
            Some("$.compiled")
        );
        assert_eq!(path(r#"{"snapshto":"a"}"#).as_deref(), Some("$.snapshto"));
        assert_eq!(path(r#"{"snapshot":1}"#).as_deref(), Some("$.snapshot"));
        assert_eq!(path("[]").as_deref(), Some("$"));
    }
}
