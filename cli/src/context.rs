//! What every command shares, in a module of its own so that the commands (`commands`,
//! `apply`, `check`) all import it and none imports another.

use time::OffsetDateTime;

/// What every command shares.
pub struct Context {
    /// `--json`.
    pub json: bool,
    /// `--quiet`: print only what a script needs (see its help).
    pub quiet: bool,
    /// `--dry-run`, for a command that reads before it shows the change it would send
    /// (`hostnames set`); the others never get this far with it.
    pub dry_run: bool,
    /// The clock, read once.
    pub now: OffsetDateTime,
}
