//! A progress bar on stderr for long hunts, shown only when stderr is a terminal.
//!
//! Progress is counted in bytes of input read (compressed bytes for compressed files), since
//! inputs are streamed and their record counts are not known ahead. When an input's size is
//! unknown, as for standard input, the bar shows a spinner with the bytes read so far.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bytes read across all inputs, with the current input's name; hidden when stderr is not a
/// terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Creates the bar, visible only when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(spinner_style());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// Sets the total number of bytes to read, when every input's size is known.
    pub fn set_total(&self, total: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        match total {
            Some(total) => {
                bar.set_style(bar_style());
                bar.set_length(total);
            }
            None => bar.set_style(spinner_style()),
        }
    }

    /// Starts an input.
    pub fn start_input(&self, name: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(name.to_owned());
        }
    }

    /// Sets the bytes read so far, across all inputs.
    pub fn set_read(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
        }
    }

    /// Removes the bar, so that the summary prints on a clean line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} {msg:40!} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg:40!} {bytes} read ({bytes_per_sec})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}
