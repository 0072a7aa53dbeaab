//! Durations as a person reads them, for every message that names a wait or a window.

use std::fmt;
use std::time::Duration;

/// A duration as a person reads it: `420 ms`, `4.2 s`, `42 s`, `3 min 20 s`, `2 h 5 min`, `3 days
/// 4 h`; beyond a hundred years, `more than 100 years` (a number that large is a server's or
/// a typist's mistake, not a wait).
///
/// ```
/// use std::time::Duration;
/// use cloudflare_mtls::HumanDuration;
///
/// assert_eq!(HumanDuration(Duration::from_millis(1)).to_string(), "1 ms");
/// assert_eq!(HumanDuration(Duration::from_millis(4200)).to_string(), "4.2 s");
/// assert_eq!(HumanDuration(Duration::from_secs(200)).to_string(), "3 min 20 s");
/// assert_eq!(HumanDuration(Duration::from_secs(3600)).to_string(), "1 h");
/// assert_eq!(HumanDuration(Duration::MAX).to_string(), "more than 100 years");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        const DAY: u64 = 24 * HOUR;
        const CENTURY: u64 = 36_525 * DAY;
        let d = self.0;
        let secs = d.as_secs();
        let pair = |f: &mut fmt::Formatter<'_>, big: u64, big_unit: &str, small: u64, small_unit: &str| {
            let s = if big_unit == "day" && big != 1 { "s" } else { "" };
            match small {
                0 => write!(f, "{big} {big_unit}{s}"),
                _ => write!(f, "{big} {big_unit}{s} {small} {small_unit}"),
            }
        };
        match secs {
            // Tenths by integers, rounded half up: float formatting would link core's float
            // printer into a WASM module (BENCHMARKS.md, part 5).
            // Milliseconds below a second, rounded half up (a wait of 1 ms is not "0.0 s").
            _ if d < Duration::from_millis(999) + Duration::from_micros(500) => match d.as_nanos() {
                0 => f.write_str("0 ms"),
                1..500_000 => f.write_str("less than 1 ms"),
                nanos => write!(f, "{} ms", (nanos + 500_000) / 1_000_000),
            },
            _ if d < Duration::from_secs(10) => {
                let tenths = (d.as_nanos() + 50_000_000) / 100_000_000;
                write!(f, "{}.{} s", tenths / 10, tenths % 10)
            }
            0..MINUTE => write!(f, "{secs} s"),
            MINUTE..HOUR => pair(f, secs / MINUTE, "min", secs % MINUTE, "s"),
            HOUR..DAY => pair(f, secs / HOUR, "h", secs % HOUR / MINUTE, "min"),
            DAY..=CENTURY => pair(f, secs / DAY, "day", secs % DAY / HOUR, "h"),
            _ => f.write_str("more than 100 years"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_reads_them() {
        let shown = |secs: f64| HumanDuration(Duration::from_secs_f64(secs)).to_string();
        assert_eq!(shown(0.0), "0 ms");
        assert_eq!(shown(0.0000004), "less than 1 ms");
        assert_eq!(shown(0.001), "1 ms");
        assert_eq!(shown(0.02), "20 ms");
        assert_eq!(shown(0.9994), "999 ms");
        assert_eq!(shown(0.9996), "1.0 s");
        // Half a millisecond below a second rounds up, to seconds, not to "1000 ms".
        assert_eq!(HumanDuration(Duration::from_micros(999_500)).to_string(), "1.0 s");
        assert_eq!(HumanDuration(Duration::from_nanos(999_499_999)).to_string(), "999 ms");
        assert_eq!(shown(9.96), "10.0 s");
        assert_eq!(shown(10.0), "10 s");
        assert_eq!(shown(59.9), "59 s");
        assert_eq!(shown(60.0), "1 min");
        assert_eq!(shown(3599.0), "59 min 59 s");
        assert_eq!(shown(7500.0), "2 h 5 min");
        assert_eq!(shown(86_400.0), "1 day");
        assert_eq!(shown(400.0 * 86_400.0 + 3600.0), "400 days 1 h");
        assert_eq!(HumanDuration(Duration::from_secs(u64::MAX)).to_string(), "more than 100 years");
    }
}
