//! `nsenter`: being written (issue 5).

use std::ffi::OsString;

use sys::{Error, Prog, Result, Status};

/// The tool's entry point.
pub fn run(_prog: &Prog, _args: Vec<OsString>) -> Result<Status> {
    Err(Error::msg("nsenter is not implemented yet"))
}
