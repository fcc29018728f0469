//! What `GET /metrics` reports, in the Prometheus text format: requests by route and status, a
//! latency histogram per route, the revision, the last load's duration, applies and reloads.
//!
//! Every counter is an atomic, so recording a request takes no lock.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// The routes, as metrics and logs name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Check,
    Allow,
    Evaluation,
    Evaluations,
    Query,
    Apply,
    Reload,
    Export,
    Healthz,
    Metrics,
    /// Any other path.
    Other,
}

impl Route {
    const ALL: [Route; 11] = [
        Route::Check,
        Route::Allow,
        Route::Evaluation,
        Route::Evaluations,
        Route::Query,
        Route::Apply,
        Route::Reload,
        Route::Export,
        Route::Healthz,
        Route::Metrics,
        Route::Other,
    ];

    /// The route a path names.
    pub fn of(path: &str) -> Route {
        match path {
            "/check" => Route::Check,
            "/allow" => Route::Allow,
            "/access/v1/evaluation" => Route::Evaluation,
            "/access/v1/evaluations" => Route::Evaluations,
            "/v1/query" => Route::Query,
            "/v1/apply" => Route::Apply,
            "/v1/reload" => Route::Reload,
            "/v1/export" => Route::Export,
            "/healthz" => Route::Healthz,
            "/metrics" => Route::Metrics,
            _ => Route::Other,
        }
    }

    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            Route::Check => "check",
            Route::Allow => "allow",
            Route::Evaluation => "evaluation",
            Route::Evaluations => "evaluations",
            Route::Query => "query",
            Route::Apply => "apply",
            Route::Reload => "reload",
            Route::Export => "export",
            Route::Healthz => "healthz",
            Route::Metrics => "metrics",
            Route::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The statuses counted one by one; any other is counted as `other`.
const STATUSES: [u16; 14] = [
    200, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 431, 500, 503,
];

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    5.0,
];

#[derive(Default)]
struct Histogram {
    /// Per bucket, not cumulative; the last counts what is over every bound.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

/// The service's counters.
#[derive(Default)]
pub struct Metrics {
    requests: [[AtomicU64; STATUSES.len() + 1]; Route::ALL.len()],
    latency: [Histogram; Route::ALL.len()],
    applies_ok: AtomicU64,
    applies_refused: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    /// The last successful load's duration, as `f64` bits.
    load_seconds: AtomicU64,
}

impl Metrics {
    /// Counts one answered request.
    pub fn record(&self, route: Route, status: u16, took: Duration) {
        let slot = STATUSES
            .iter()
            .position(|&s| s == status)
            .unwrap_or(STATUSES.len());
        if let Some(counter) = self
            .requests
            .get(route.index())
            .and_then(|row| row.get(slot))
        {
            counter.fetch_add(1, Relaxed);
        }
        if let Some(histogram) = self.latency.get(route.index()) {
            let seconds = took.as_secs_f64();
            let bucket = BUCKETS
                .iter()
                .position(|&bound| seconds <= bound)
                .unwrap_or(BUCKETS.len());
            if let Some(counter) = histogram.buckets.get(bucket) {
                counter.fetch_add(1, Relaxed);
            }
            let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
            histogram.sum_nanos.fetch_add(nanos, Relaxed);
        }
    }

    /// Counts one change list, applied or refused.
    pub fn applied(&self, ok: bool) {
        let counter = if ok {
            &self.applies_ok
        } else {
            &self.applies_refused
        };
        counter.fetch_add(1, Relaxed);
    }

    /// Counts one reload; a successful one also sets the load duration.
    pub fn reloaded(&self, took: Option<Duration>) {
        match took {
            Some(took) => {
                self.reloads_ok.fetch_add(1, Relaxed);
                self.loaded(took);
            }
            None => {
                self.reloads_failed.fetch_add(1, Relaxed);
            }
        }
    }

    /// Sets how long the engine now answering took to load.
    pub fn loaded(&self, took: Duration) {
        self.load_seconds
            .store(took.as_secs_f64().to_bits(), Relaxed);
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    pub fn render(&self, revision: Option<&str>) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP groupgate_http_requests_total HTTP requests answered, by route and status.\n\
             # TYPE groupgate_http_requests_total counter\n",
        );
        for route in Route::ALL {
            for (slot, counter) in self.requests[route.index()].iter().enumerate() {
                let n = counter.load(Relaxed);
                if n == 0 {
                    continue;
                }
                let status = STATUSES
                    .get(slot)
                    .map_or_else(|| "other".to_owned(), u16::to_string);
                let _ = writeln!(
                    out,
                    "groupgate_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    route.name()
                );
            }
        }
        out.push_str(
            "# HELP groupgate_http_request_duration_seconds Time from a request's head to its answer.\n\
             # TYPE groupgate_http_request_duration_seconds histogram\n",
        );
        for route in Route::ALL {
            let histogram = &self.latency[route.index()];
            let counts: Vec<u64> = histogram.buckets.iter().map(|c| c.load(Relaxed)).collect();
            let total: u64 = counts.iter().sum();
            if total == 0 {
                continue;
            }
            let name = route.name();
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(&counts) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "groupgate_http_request_duration_seconds_bucket{{route=\"{name}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let sum = histogram.sum_nanos.load(Relaxed) as f64 / 1e9;
            let _ = writeln!(
                out,
                "groupgate_http_request_duration_seconds_bucket{{route=\"{name}\",le=\"+Inf\"}} {total}\n\
                 groupgate_http_request_duration_seconds_sum{{route=\"{name}\"}} {sum}\n\
                 groupgate_http_request_duration_seconds_count{{route=\"{name}\"}} {total}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP groupgate_revision_info The revision the engine answers for (empty when none).\n\
             # TYPE groupgate_revision_info gauge\n\
             groupgate_revision_info{{revision=\"{}\"}} 1",
            label(revision.unwrap_or(""))
        );
        let _ = writeln!(
            out,
            "# HELP groupgate_load_seconds How long the engine now answering took to load.\n\
             # TYPE groupgate_load_seconds gauge\n\
             groupgate_load_seconds {}",
            f64::from_bits(self.load_seconds.load(Relaxed))
        );
        let _ = writeln!(
            out,
            "# HELP groupgate_applies_total Change lists received by /v1/apply.\n\
             # TYPE groupgate_applies_total counter\n\
             groupgate_applies_total{{result=\"applied\"}} {}\n\
             groupgate_applies_total{{result=\"refused\"}} {}",
            self.applies_ok.load(Relaxed),
            self.applies_refused.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP groupgate_reloads_total Reloads by /v1/reload or SIGHUP.\n\
             # TYPE groupgate_reloads_total counter\n\
             groupgate_reloads_total{{result=\"loaded\"}} {}\n\
             groupgate_reloads_total{{result=\"failed\"}} {}",
            self.reloads_ok.load(Relaxed),
            self.reloads_failed.load(Relaxed)
        );
        out
    }
}

/// A label value escaped as the text format wants: backslash, quote and newline.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_route_status_and_bucket() {
        let metrics = Metrics::default();
        metrics.record(Route::Check, 200, Duration::from_micros(30));
        metrics.record(Route::Check, 403, Duration::from_millis(2));
        metrics.record(Route::Other, 418, Duration::from_secs(9));
        metrics.applied(true);
        metrics.reloaded(Some(Duration::from_millis(1500)));
        let text = metrics.render(Some("r\"1"));
        assert!(text.contains("groupgate_http_requests_total{route=\"check\",status=\"200\"} 1\n"));
        assert!(text.contains("groupgate_http_requests_total{route=\"check\",status=\"403\"} 1\n"));
        assert!(
            text.contains("groupgate_http_requests_total{route=\"other\",status=\"other\"} 1\n")
        );
        assert!(text.contains(
            "groupgate_http_request_duration_seconds_bucket{route=\"check\",le=\"0.00005\"} 1\n"
        ));
        assert!(text.contains(
            "groupgate_http_request_duration_seconds_bucket{route=\"check\",le=\"0.0025\"} 2\n"
        ));
        assert!(text.contains(
            "groupgate_http_request_duration_seconds_bucket{route=\"other\",le=\"5\"} 0\n"
        ));
        assert!(text.contains(
            "groupgate_http_request_duration_seconds_bucket{route=\"other\",le=\"+Inf\"} 1\n"
        ));
        assert!(text.contains("groupgate_revision_info{revision=\"r\\\"1\"} 1\n"));
        assert!(text.contains("groupgate_load_seconds 1.5\n"));
        assert!(text.contains("groupgate_applies_total{result=\"applied\"} 1\n"));
        assert!(text.contains("groupgate_reloads_total{result=\"loaded\"} 1\n"));
        assert!(!text.contains("route=\"query\""));
    }
}
