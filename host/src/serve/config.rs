//! The options of `groupgate serve`: where the tenant comes from, where to listen, the admin
//! token, and the limits that keep a misbehaving client from holding the service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{option_value, required_source, source_option, Source};

/// Everything `groupgate serve` was told on its command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// The snapshot or compiled snapshot loaded at start, and by a reload without a path.
    pub source: Source,
    /// The address to listen on (`127.0.0.1:8181` unless told otherwise; port 0 picks one).
    pub listen: SocketAddr,
    /// The file holding the bearer token of the admin routes; without it they are off.
    pub admin_token_file: Option<PathBuf>,
    /// Refuse snapshots (at start and on reload) and change lists with error diagnostics.
    pub strict: bool,
    /// No per-request log lines (start, reloads and stop are still logged).
    pub quiet: bool,
    /// Worker threads of the runtime (the engine's long requests run on a separate pool).
    pub threads: usize,
    /// What one request or connection may take.
    pub limits: Limits,
}

/// The bounds on what clients may send and hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body (query, apply, evaluations), in bytes.
    pub max_body_bytes: usize,
    /// The largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    /// How long a client may take to send a request head; a slower one is cut off.
    pub header_timeout: Duration,
    /// How long one request may take, its body included; past it the answer is a 503.
    pub request_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Long requests (query, apply, reload, export, large batches) running at once; more wait.
    pub max_workers: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 16 << 20,
            max_header_bytes: 16 << 10,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_workers: 2 * cores(),
        }
    }
}

/// The cores this process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// The address `serve` listens on unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8181";

impl Config {
    /// Reads `serve`'s arguments.
    ///
    /// # Errors
    ///
    /// A message naming the argument that is missing, unknown or malformed.
    pub fn parse(args: &[String]) -> Result<Config, String> {
        let mut source = None;
        let mut listen = DEFAULT_LISTEN.to_owned();
        let mut admin_token_file = None;
        let (mut strict, mut quiet) = (false, false);
        let mut threads = cores().min(4);
        let mut limits = Limits::default();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if let Some(value) = source_option(arg, &mut iter) {
                source = Some(value?);
            } else if let Some(value) = option_value(arg, "--listen", &mut iter) {
                value?.clone_into(&mut listen);
            } else if let Some(value) = option_value(arg, "--admin-token-file", &mut iter) {
                admin_token_file = Some(PathBuf::from(value?));
            } else if let Some(value) = option_value(arg, "--threads", &mut iter) {
                threads = number(value?, "--threads")?;
            } else if let Some(value) = option_value(arg, "--max-body-bytes", &mut iter) {
                limits.max_body_bytes = number(value?, "--max-body-bytes")?;
            } else if let Some(value) = option_value(arg, "--max-header-bytes", &mut iter) {
                // hyper reads a request head into a buffer of at least 8 KiB.
                limits.max_header_bytes = number(value?, "--max-header-bytes")?.max(8192);
            } else if let Some(value) = option_value(arg, "--header-timeout-ms", &mut iter) {
                limits.header_timeout = millis(value?, "--header-timeout-ms")?;
            } else if let Some(value) = option_value(arg, "--request-timeout-ms", &mut iter) {
                limits.request_timeout = millis(value?, "--request-timeout-ms")?;
            } else if let Some(value) = option_value(arg, "--max-connections", &mut iter) {
                limits.max_connections = number(value?, "--max-connections")?;
            } else if arg == "--strict" {
                strict = true;
            } else if arg == "--quiet" || arg == "-q" {
                quiet = true;
            } else {
                return Err(format!("serve: unexpected argument `{arg}`"));
            }
        }
        let source = required_source("serve", source, strict)?;
        let listen = listen.parse().map_err(|_| {
            format!("serve: `--listen {listen}` is not an address such as 127.0.0.1:8181")
        })?;
        Ok(Config {
            source,
            listen,
            admin_token_file,
            strict,
            quiet,
            threads,
            limits,
        })
    }
}

/// A positive whole number given to `option`.
fn number(value: &str, option: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "serve: `{option}` takes a positive whole number, not `{value}`"
        )),
    }
}

fn millis(value: &str, option: &str) -> Result<Duration, String> {
    number(value, option).map(|ms| Duration::from_millis(ms as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        Config::parse(&args)
    }

    #[test]
    fn loopback_by_default_and_every_limit_bounded() {
        let config = parse(&["--snapshot", "t.json"]).unwrap();
        assert_eq!(config.listen, DEFAULT_LISTEN.parse().unwrap());
        assert!(config.listen.ip().is_loopback());
        assert_eq!(config.admin_token_file, None);
        assert_eq!(config.limits.max_body_bytes, 16 << 20);
        assert!(config.limits.max_connections > 0 && config.limits.max_workers > 0);
    }

    #[test]
    fn options_take_their_values_either_way() {
        let config = parse(&[
            "--compiled=t.ggc",
            "--listen",
            "127.0.0.1:0",
            "--admin-token-file=tok",
            "--max-body-bytes",
            "1024",
            "--header-timeout-ms=250",
            "--quiet",
        ])
        .unwrap();
        assert_eq!(config.source, Source::Compiled("t.ggc".into()));
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.admin_token_file, Some("tok".into()));
        assert_eq!(config.limits.max_body_bytes, 1024);
        assert_eq!(config.limits.header_timeout, Duration::from_millis(250));
        assert!(config.quiet);
    }

    #[test]
    fn misuse_is_named() {
        assert!(parse(&[]).unwrap_err().contains("--snapshot"));
        assert!(parse(&["--snapshot", "t.json", "--listen", "localhost"])
            .unwrap_err()
            .contains("not an address"));
        assert!(parse(&["--snapshot", "t.json", "--threads", "0"])
            .unwrap_err()
            .contains("positive"));
        assert!(parse(&["--compiled", "t.ggc", "--strict"])
            .unwrap_err()
            .contains("--strict"));
        assert!(parse(&["--snapshot", "t.json", "--bogus"])
            .unwrap_err()
            .contains("--bogus"));
    }
}
