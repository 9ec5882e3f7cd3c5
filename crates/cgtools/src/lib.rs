//! libcgroup 3.2's command-line tools, on cgroup v1, v2 and hybrid hosts, over `sys::cgroup`.
//!
//! Each tool is a module with its clap definition (`command`), a plan built from the
//! arguments, and `run`. Settings are translated between v1 and v2 names
//! (`sys::cgroup::translate`), so a script written for one layout works on the other.
//!
//! So far: `cgcreate`, `cgdelete`, `cgset`, `cgexec`. To come (issue 4): `cgget`,
//! `cgclassify`, `lscgroup`, `lssubsys`, `cgxget`, `cgxset`, and cgrules.conf.

pub mod cgclassify;
pub mod cgcreate;
pub mod cgdelete;
pub mod cgexec;
pub mod cgget;
pub mod cgset;
pub mod cgxget;
pub mod cgxset;
pub mod common;
pub mod lscgroup;
pub mod lssubsys;
