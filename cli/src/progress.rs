//! What a long job shows while it runs. On a terminal (stderr), a job of more than a few steps
//! gets a bar: done / total, the current step, and a paced wait counting down. Elsewhere (CI,
//! pipes), plain lines as they are done, and every wait over a second as a line on stderr.
//! `--quiet` keeps only errors.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use cloudflare_mtls::{HumanDuration, Wait, WaitReason};
use indicatif::{ProgressBar, ProgressStyle};

use crate::text;

/// A job with more steps than this gets a bar (a short one is over before a bar helps).
const FEW: usize = 3;

/// A wait shorter than this passes unsaid.
const NOTABLE_WAIT: Duration = Duration::from_secs(1);

static QUIET: AtomicBool = AtomicBool::new(false);

/// Whether this run has said that it is paced (it is said once: every wait after is short
/// or said on its own).
static PACED: AtomicBool = AtomicBool::new(false);

/// The steps of the job under way not yet done (0: none known), for the time pacing takes.
static LEFT: AtomicUsize = AtomicUsize::new(0);

/// The bar being shown, for the waits of the calls made meanwhile, and the reason of the
/// wait announced last (shown while it is slept).
static SHOWN: Mutex<Option<(ProgressBar, String)>> = Mutex::new(None);

/// `--quiet`.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

fn shown() -> std::sync::MutexGuard<'static, Option<(ProgressBar, String)>> {
    SHOWN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A wait about to be made: on the bar, if one is shown (the sleep counts it down); else a
/// line on stderr when it is over a second. The first wait for a rate limit also says, once,
/// that the job is paced: waits of a second or less pass unsaid, and they add up.
pub fn announce(wait: &Wait) {
    if quiet() {
        return;
    }
    if let Some(line) = paced(wait) {
        match shown().as_ref() {
            Some((bar, _)) => bar.suspend(|| eprintln!("cf-mtls: {}", text::safe(&line))),
            None => eprintln!("cf-mtls: {}", text::safe(&line)),
        }
    }
    if wait.duration <= NOTABLE_WAIT {
        return;
    }
    let mut shown = shown();
    match shown.as_mut() {
        Some((_, reason)) => *reason = wait.reason.to_string(),
        None => eprintln!("cf-mtls: {}", text::safe(&wait.to_string())),
    }
}

/// The line that says the job is paced, at the first wait for a rate limit (the client's
/// budget, or the API's): at what rate, and about how long the steps left take when the job
/// knows its steps (each at least one call).
fn paced(wait: &Wait) -> Option<String> {
    if !matches!(wait.reason, WaitReason::Budget(_) | WaitReason::Policy(_) | WaitReason::Limit { .. })
        || PACED.swap(true, Ordering::Relaxed)
    {
        return None;
    }
    let Some(rate) = wait.rate else {
        return Some(format!("this job is paced {}", wait.reason));
    };
    let mut line = format!(
        "this job is paced: at most {} per {} (the stricter of --pace and the API's Ratelimit-Policy)",
        text::count(rate.calls() as usize, "call"),
        HumanDuration(rate.window())
    );
    match LEFT.load(Ordering::Relaxed) {
        0 => {}
        left => {
            let time = wait.duration.saturating_add(rate.least_time(left as u64));
            line.push_str(&format!("; {} left, about {}", text::count(left, "step"), HumanDuration(time)));
        }
    }
    Some(line)
}

/// Sleeps `duration`; on a bar, counting the time left down.
pub fn sleep(duration: Duration) {
    let bar = shown().as_ref().map(|(bar, reason)| (bar.clone(), reason.clone()));
    let Some((bar, reason)) = bar.filter(|_| duration > NOTABLE_WAIT) else {
        std::thread::sleep(duration);
        return;
    };
    let step = bar.message();
    let mut left = duration;
    while !left.is_zero() {
        bar.set_message(text::safe(&format!("waiting {} {reason}", HumanDuration(left))));
        let nap = left.min(Duration::from_millis(100));
        std::thread::sleep(nap);
        left -= nap;
    }
    bar.set_message(step);
}

/// A job of `total` steps.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar when stderr is a terminal, the job has more than a few steps and `--quiet` is
    /// not given; plain lines otherwise.
    pub fn new(total: usize) -> Self {
        let wanted = !quiet() && total > FEW && std::io::stderr().is_terminal();
        let bar = wanted.then(|| {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template("[{pos}/{len}] {wide_bar} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            *shown() = Some((bar.clone(), String::new()));
            bar
        });
        LEFT.store(total, Ordering::Relaxed);
        Self { bar }
    }

    /// The step now under way.
    pub fn step(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text::safe(what));
        }
    }

    /// A step done: its line on stdout (above the bar, if one is shown), unless `--quiet`.
    pub fn done(&self, line: &str) -> std::io::Result<()> {
        let _ = LEFT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if quiet() {
            return Ok(());
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| crate::output::print(line)),
            None => crate::output::print(line),
        }
    }

    /// A closing line (the summary), unless `--quiet`.
    pub fn summary(self, line: &str) -> std::io::Result<()> {
        drop(self);
        if quiet() { Ok(()) } else { crate::output::print(line) }
    }
}

impl Drop for Progress {
    /// The bar goes away, whether the job ended or failed.
    fn drop(&mut self) {
        LEFT.store(0, Ordering::Relaxed);
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            *shown() = None;
        }
    }
}
