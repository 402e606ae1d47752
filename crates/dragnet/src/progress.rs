//! A progress bar on stderr for long hunts, shown only when stderr is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bytes of each input read, with the input's name; hidden when stderr is not a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Creates the bar, visible only when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} {msg:40!} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// Starts an input of `size` stored bytes, when its size is known.
    pub fn start_input(&self, name: &str, size: Option<u64>) {
        if let Some(bar) = &self.bar {
            bar.set_message(name.to_owned());
            bar.set_length(size.unwrap_or(0));
            bar.set_position(0);
        }
    }

    /// Sets how many stored bytes of the current input have been read.
    pub fn set_position(&self, consumed: u64) {
        if let Some(bar) = &self.bar {
            if bar.length().is_some_and(|length| consumed > length) {
                bar.set_length(consumed);
            }
            bar.set_position(consumed);
        }
    }

    /// Removes the bar, so that the summary prints on a clean line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
