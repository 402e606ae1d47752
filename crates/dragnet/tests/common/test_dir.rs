//! Temporary folders for the integration tests, removed when the test ends.

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::Path;

/// A folder under the system's temporary directory, removed with everything in it when the
/// value is dropped. It reads as the folder's path.
pub struct TestDir(tempfile::TempDir);

impl TestDir {
    /// Creates an empty folder whose name starts with `prefix`.
    pub fn new(prefix: &str) -> TestDir {
        TestDir(tempfile::Builder::new().prefix(prefix).tempdir().expect("temp dir is writable"))
    }
}

impl Deref for TestDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<OsStr> for TestDir {
    fn as_ref(&self) -> &OsStr {
        self.0.path().as_os_str()
    }
}
