//! SIGINT and SIGTERM while `warren run` waits: the first asks the run to
//! stop in order (the caller says how: an exit signal `shutdown` to the
//! root), a second ends Warren at once.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// SIGINT and SIGTERM, caught from [`StopSignals::catch`] on: a signal that
/// arrives before [`StopSignals::while_waiting`] waits for it there.
pub struct StopSignals {
    signals: Signals,
}

impl StopSignals {
    /// Catches SIGINT and SIGTERM from now on (instead of their default,
    /// ending the process).
    pub fn catch() -> std::io::Result<StopSignals> {
        Ok(StopSignals { signals: Signals::new([SIGINT, SIGTERM])? })
    }

    /// Runs `wait` (which returns when the run ends) while a thread waits
    /// for the signals: the first calls `stop` (once), a second exits the
    /// process at once with code 128 + the signal's number (130 for
    /// SIGINT, 143 for SIGTERM), as a shell reports a command a signal
    /// ended. Returns what `wait` returns, and whether `stop` was called.
    pub fn while_waiting<T>(mut self, stop: impl Fn() + Sync, wait: impl FnOnce() -> T) -> (T, bool) {
        let stopping = AtomicBool::new(false);
        let handle = self.signals.handle();
        let result = std::thread::scope(|scope| {
            scope.spawn(|| {
                // Ends when `handle.close()` is called below.
                for signal in self.signals.forever() {
                    if stopping.swap(true, Ordering::SeqCst) {
                        let _ = writeln!(std::io::stderr(), "warren: stopped at once by a second signal");
                        std::process::exit(128 + signal);
                    }
                    stop();
                }
            });
            let result = wait();
            handle.close();
            result
        });
        (result, stopping.load(Ordering::SeqCst))
    }
}
