//! Median and spread of repeated timings.

use std::time::Duration;

/// Median, minimum and maximum of several runs, in seconds (or scaled units).
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(times: &[Duration]) -> Summary {
        let mut seconds: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
        seconds.sort_by(f64::total_cmp);
        let median = match seconds.len() {
            0 => 0.0,
            n if n % 2 == 1 => seconds[n / 2],
            n => (seconds[n / 2 - 1] + seconds[n / 2]) / 2.0,
        };
        Summary {
            median,
            min: seconds.first().copied().unwrap_or(0.0),
            max: seconds.last().copied().unwrap_or(0.0),
        }
    }

    pub fn scaled(self, factor: f64) -> Summary {
        Summary {
            median: self.median * factor,
            min: self.min * factor,
            max: self.max * factor,
        }
    }

    /// `median (min–max)` with `decimals` digits.
    pub fn show(self, decimals: usize) -> String {
        format!(
            "{:.*} ({:.*}–{:.*})",
            decimals, self.median, decimals, self.min, decimals, self.max
        )
    }
}
