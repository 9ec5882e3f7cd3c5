//! libcgroup 3.2's command-line tools, on cgroup v1, v2 and hybrid hosts, over `cgroup`:
//! `cgcreate`, `cgdelete`, `cgset`, `cgexec`, `cgget`, `cgclassify`, `lscgroup`, `lssubsys`,
//! `cgxget`, `cgxset` and `cgsnapshot`, one binary each.
//!
//! Each tool is a module with its clap definition (`command`), a plan built from the
//! arguments, and `run`; what they share (the `-g controllers:path` argument, `-r` rules,
//! owners and modes, libcgroup's usage errors) is in [`common`]. Settings are translated
//! between v1 and v2 names (`cgroup::translate`), so a script written for one layout
//! works on the other; `cgexec` and `cgclassify` without `-g` follow /etc/cgrules.conf
//! (`cgroup::rules`).

pub mod cgclassify;
pub mod cgconfigparser;
pub mod cgcreate;
pub mod cgdelete;
pub mod cgexec;
pub mod cgget;
pub mod cgrulesengd;
pub mod cgset;
pub mod cgsnapshot;
pub mod cgxget;
pub mod cgxset;
pub mod common;
pub mod lscgroup;
pub mod lssubsys;
