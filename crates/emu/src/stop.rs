//! Stopping a run early on SIGINT or SIGTERM, keeping its work.
//!
//! [`install`] replaces the default action of SIGINT (Ctrl-C) and SIGTERM with a flag;
//! [`requested`] reads it. A training run checks it between samples
//! ([`crate::train::train_until`]): the sample under way finishes, the run stops, and
//! the caller writes what it has (the snapshot, the report, the plots) and exits with
//! [`Signal::exit_code`], 130 or 143, as a shell reports a process killed by the
//! signal. A second signal while the first is being handled ends the process at once,
//! with the signal's default action.
//!
//! Nothing else changes: without [`install`] the flag is never set and the signals
//! keep their default action.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use signal_hook::consts::signal::{SIGINT, SIGTERM};
use signal_hook::flag;

/// A signal that asks a run to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    #[serde(rename = "SIGINT")]
    Interrupt,
    /// SIGTERM (`kill`, a job scheduler, a container stopping).
    #[serde(rename = "SIGTERM")]
    Terminate,
}

impl Signal {
    /// The exit code a shell gives a process killed by this signal: 128 + its number
    /// (130 for SIGINT, 143 for SIGTERM).
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    /// Its name: `SIGINT` or `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// For a run that cannot stop between samples (inference, reward learning): on the
/// first SIGINT or SIGTERM, run `cleanup` (release the run folder's lock, remove the
/// folder if it is still empty) and end the process with 130 or 143. A thread waits
/// for the signals; nothing else changes. Not for a process that also [`install`]s.
pub fn exit_on_signal(cleanup: impl FnOnce() + Send + 'static) -> Result<(), String> {
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("cannot catch signals: {e}"))?;
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            cleanup();
            let code = if sig == SIGTERM { 143 } else { 130 };
            std::process::exit(code);
        }
    });
    Ok(())
}

/// Set by the handlers: a stop was asked for.
static ASKED: AtomicBool = AtomicBool::new(false);
/// The number of the last signal that asked.
static LAST: AtomicUsize = AtomicUsize::new(0);
/// The outcome of the one installation.
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// Catch SIGINT and SIGTERM from now on (once per process; later calls return the
/// first one's outcome). The first signal sets the flag [`requested`] reads; a second
/// one, while the flag is set, takes the signal's default action (the process ends).
pub fn install() -> Result<(), String> {
    INSTALLED
        .get_or_init(|| {
            for sig in [SIGINT, SIGTERM] {
                // The order matters: the default action is armed by the flag of an
                // earlier signal, before this one sets it.
                flag::register_conditional_default(sig, &ASKED)
                    .and_then(|_| flag::register_usize(sig, &LAST, sig as usize))
                    .and_then(|_| flag::register(sig, &ASKED))
                    .map_err(|e| format!("cannot catch signal {sig}: {e}"))?;
            }
            Ok(())
        })
        .clone()
}

/// The signal that asked the run to stop, if one did since [`install`].
pub fn requested() -> Option<Signal> {
    if !ASKED.load(Ordering::SeqCst) {
        return None;
    }
    match LAST.load(Ordering::SeqCst) {
        n if n == SIGTERM as usize => Some(Signal::Terminate),
        _ => Some(Signal::Interrupt),
    }
}
