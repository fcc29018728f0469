//! `groupgate serve`: the native engine as an HTTP service (SPEC §9).
//!
//! - [`config`]: the command line and the limits.
//! - [`routes`]: every route, its statuses, the body limit and the admin token.
//! - [`forward`]: `GET /check` and `/allow` for proxies, as the edge Worker answers them.
//! - [`authzen`]: the AuthZEN Authorization API 1.0 evaluation endpoints.
//! - [`metrics`]: the Prometheus counters.
//!
//! The engine is held as an `Arc<Engine>` in an [`ArcSwap`]: a reader takes the current one
//! without waiting, and answers its whole request from it, so one answer never mixes two
//! revisions. Writers (apply, reload, SIGHUP) queue on one lock, build the next engine beside
//! the current one, and swap it in; readers never wait for them.
//!
//! HTTP/1.1 comes from hyper on a small tokio runtime. Requests that may take long (queries,
//! applies, reloads, exports, large batches) run on the blocking pool, at most
//! `max_workers` at once, so access checks keep their threads.

pub mod authzen;
pub mod config;
pub mod forward;
pub mod metrics;
pub mod routes;

use std::convert::Infallible;
use std::fs;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use groupgate::{error_answer_json, Engine, Error, ErrorCode, LoadOptions};
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Method;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::sync::{watch, Mutex, Semaphore};

pub use crate::cli::Source;
pub use config::{Config, Limits};
use metrics::{Metrics, Route};

/// What every request shares.
pub struct State {
    /// The engine answering now.
    engine: ArcSwap<Engine>,
    /// Held by the one writer at work; it also keeps the file a reload rereads.
    writer: Arc<Mutex<Source>>,
    /// The admin token; `None` turns the admin routes off.
    token: Option<Vec<u8>>,
    strict: bool,
    quiet: bool,
    limits: Limits,
    metrics: Metrics,
    /// Bounds the long requests running at once.
    workers: Arc<Semaphore>,
}

/// Runs the service until SIGTERM or SIGINT; returns the exit status (0 after a clean stop,
/// 1 when it cannot listen, 2 when the tenant or the token cannot be loaded).
pub fn run(config: Config, stderr: &mut dyn Write) -> i32 {
    let token = match config
        .admin_token_file
        .as_deref()
        .map(read_token)
        .transpose()
    {
        Ok(token) => token,
        Err(message) => {
            let _ = writeln!(stderr, "groupgate: {message}");
            return 2;
        }
    };
    let started = Instant::now();
    let engine = match load(&config.source, config.strict) {
        Ok(engine) => engine,
        Err(error) => {
            let _ = writeln!(stderr, "{}", error_answer_json(&error, None));
            return 2;
        }
    };
    let metrics = Metrics::default();
    metrics.loaded(started.elapsed());
    let state = Arc::new(State {
        engine: ArcSwap::from_pointee(engine),
        writer: Arc::new(Mutex::new(config.source.clone())),
        token,
        strict: config.strict,
        quiet: config.quiet,
        limits: config.limits,
        metrics,
        workers: Arc::new(Semaphore::new(config.limits.max_workers)),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.threads)
        .thread_name("groupgate-serve")
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = writeln!(stderr, "groupgate: cannot start the runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(serve(state, &config, started)) {
        Ok(()) => 0,
        Err(message) => {
            let _ = writeln!(stderr, "groupgate: {message}");
            1
        }
    }
}

/// Reads the admin token: the file's text without surrounding whitespace.
fn read_token(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let text = fs::read_to_string(path)
        .map_err(|e| format!("cannot read the admin token `{}`: {e}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!(
            "the admin token file `{}` is empty",
            path.display()
        ));
    }
    if token.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(format!(
            "the admin token in `{}` must be printable ASCII without spaces",
            path.display()
        ));
    }
    Ok(token.as_bytes().to_vec())
}

/// Loads an engine from a snapshot or a compiled snapshot.
///
/// # Errors
///
/// The load error: a file that cannot be read is `invalid-snapshot`, text that is not UTF-8
/// `invalid-json`; the rest as [`Engine::from_json`] and [`Engine::from_compiled`] say.
pub fn load(source: &Source, strict: bool) -> Result<Engine, Error> {
    let cannot_read = |path: &std::path::Path, e: std::io::Error| {
        Error::host(
            ErrorCode::InvalidSnapshot,
            format!("cannot read `{}`: {e}", path.display()),
        )
    };
    match source {
        Source::Snapshot(path) => {
            let bytes = fs::read(path).map_err(|e| cannot_read(path, e))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                Error::host(
                    ErrorCode::InvalidJson,
                    format!("`{}` is not UTF-8: {e}", path.display()),
                )
            })?;
            Engine::from_json(&text, LoadOptions { strict })
        }
        Source::Compiled(path) => {
            let bytes = fs::read(path).map_err(|e| cannot_read(path, e))?;
            Engine::from_compiled(&bytes)
        }
    }
}

/// Reloads from `source`, or from the current source when `None`, and swaps the new engine
/// in: the load answer, or the error answer (carrying the revision still answering) when the
/// file cannot be loaded, in which case nothing changes. A new source is kept for later
/// reloads. Blocks: call it off the runtime's threads.
fn reload(state: &State, source: Option<Source>) -> Result<String, String> {
    let mut current = state.writer.blocking_lock();
    let source = source.unwrap_or_else(|| current.clone());
    let started = Instant::now();
    let outcome = load(&source, state.strict);
    let took = started.elapsed();
    let result = match outcome {
        Ok(engine) => {
            let answer = engine.load_answer_json();
            state.engine.store(Arc::new(engine));
            *current = source;
            state.metrics.reloaded(Some(took));
            Ok(answer)
        }
        Err(error) => {
            state.metrics.reloaded(None);
            Err(error_answer_json(&error, state.engine.load().revision()))
        }
    };
    event(json!({
        "event": "reload",
        "ok": result.is_ok(),
        "revision": state.engine.load().revision(),
        "seconds": took.as_secs_f64(),
    }));
    result
}

/// Listens and answers until a stop signal, then lets the connections finish what they are
/// answering (for at most ten seconds).
async fn serve(state: Arc<State>, config: &Config, started: Instant) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    event(json!({
        "event": "listening",
        "address": address.to_string(),
        "revision": state.engine.load().revision(),
        "loadSeconds": started.elapsed().as_secs_f64(),
        "admin": state.token.is_some(),
    }));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(signals(Arc::clone(&state), stop_tx));
    let connections = Arc::new(Semaphore::new(config.limits.max_connections));
    let mut stop = stop_rx.clone();
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => permit,
            _ = stop.changed() => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted.
                event(json!({ "event": "accept-failed", "error": e.to_string() }));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let limits = state.limits;
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(routes::handle(state, request).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(limits.max_header_bytes.max(8192))
                .max_headers(100);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let all = u32::try_from(config.limits.max_connections).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(Duration::from_secs(10), connections.acquire_many(all));
    let _ = drained.await;
    event(json!({ "event": "stopped" }));
    Ok(())
}

/// SIGHUP reloads; SIGTERM and SIGINT stop.
async fn signals(state: Arc<State>, stop: watch::Sender<bool>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut hangup), Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        event(json!({ "event": "signals-unavailable" }));
        return;
    };
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let state = Arc::clone(&state);
                let _ = tokio::task::spawn_blocking(move || reload(&state, None)).await;
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    let _ = stop.send(true);
}

/// Seconds since the epoch, with milliseconds.
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| (d.as_millis() as f64) / 1000.0)
}

/// One JSON line on standard error for a lifecycle event (always written).
fn event(mut fields: serde_json::Value) {
    if let Some(map) = fields.as_object_mut() {
        map.insert("ts".to_owned(), json!(now()));
    }
    eprintln!("{fields}");
}

/// One JSON line on standard error for an answered request. The query string is left out: it
/// may carry user ids.
fn log_request(
    method: &Method,
    path: &str,
    route: Route,
    status: u16,
    took: Duration,
    request_id: Option<&HeaderValue>,
) {
    let line = json!({
        "ts": now(),
        "method": method.as_str(),
        "path": path,
        "route": route.name(),
        "status": status,
        "ms": (took.as_secs_f64() * 1e6).round() / 1e3,
        "requestId": request_id.and_then(|v| v.to_str().ok()),
    });
    eprintln!("{line}");
}
