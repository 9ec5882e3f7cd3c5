//! `cgxset`: being written (issue 4).

use std::ffi::OsString;

use sys::{Error, Prog, Result, Status};

/// The tool's entry point.
pub fn run(_prog: &Prog, _args: Vec<OsString>) -> Result<Status> {
    Err(Error::msg("cgxset is not implemented yet").with_status(1))
}
