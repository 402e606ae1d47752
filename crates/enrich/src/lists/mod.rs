//! Reference lists: named STRING, REGEX and CIDR lists that rules test values against with
//! `in %name`, `in regex %name` and `in cidr %name`.
//!
//! - [`text`]: comment, escape and trim rules that turn list text into entries.
//! - [`list`]: [`ReferenceList`], one list with its matchers.
//! - [`collection`]: [`ReferenceLists`], lists by case-insensitive name, loaded from a folder.
//! - [`limits`]: [`ListLimits`], the SecOps size limits, checked as warnings.
//! - [`error`]: [`ListError`], every problem loading reports.

mod casefold;
mod cidr;
pub mod collection;
pub mod error;
pub mod limits;
pub mod list;
mod patterns;
mod perl_classes;
pub mod text;

pub(crate) use cidr::{canonical_ip, parse_ip_value};
pub use collection::ReferenceLists;
pub use error::ListError;
pub use limits::ListLimits;
pub use list::{ListKind, ReferenceList};
pub use patterns::compile_one as compile_re2;
