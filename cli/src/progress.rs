//! What a long job shows while it runs. On a terminal (stderr), a job of more than a few steps
//! gets a bar: done / total, the current step, and a paced wait counting down. Elsewhere (CI,
//! pipes), plain lines as they are done, and every wait over a second as a line on stderr.
//! `--quiet` keeps only errors.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use cloudflare_mtls::{HumanDuration, Wait};
use indicatif::{ProgressBar, ProgressStyle};

use crate::text;

/// A job with more steps than this gets a bar (a short one is over before a bar helps).
const FEW: usize = 3;

/// A wait shorter than this passes unsaid.
const NOTABLE_WAIT: Duration = Duration::from_secs(1);

static QUIET: AtomicBool = AtomicBool::new(false);

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
/// line on stderr when it is over a second.
pub fn announce(wait: &Wait) {
    if quiet() || wait.duration <= NOTABLE_WAIT {
        return;
    }
    let mut shown = shown();
    match shown.as_mut() {
        Some((_, reason)) => *reason = wait.reason.to_string(),
        None => eprintln!("cf-mtls: {}", text::safe(&wait.to_string())),
    }
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
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            *shown() = None;
        }
    }
}
