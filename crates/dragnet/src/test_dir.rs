//! Temporary folders for unit tests, removed when the test ends.

use std::ops::Deref;
use std::path::Path;

/// A folder under the system's temporary directory, removed with everything in it when the
/// value is dropped. It reads as the folder's path.
pub(crate) struct TestDir(tempfile::TempDir);

impl TestDir {
    /// Creates an empty folder whose name starts with `prefix`.
    pub(crate) fn new(prefix: &str) -> TestDir {
        TestDir(tempfile::Builder::new().prefix(prefix).tempdir().expect("temp dir is writable"))
    }
}

impl Deref for TestDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}
