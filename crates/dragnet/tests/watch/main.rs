//! End-to-end tests of `dragnet watch`: the real binary, its HTTP server on loopback, files it
//! follows, webhook receivers started here over HTTP and HTTPS, and crashes made with SIGKILL.

mod harness;
mod http;
#[cfg(feature = "kafka")]
mod kafka;
mod parity;
mod recovery;
mod service;
#[cfg(feature = "kafka")]
mod stages;
#[path = "../common/test_dir.rs"]
mod test_dir;
mod tls;
