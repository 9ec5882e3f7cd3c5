//! Every tool's command line: the first byte picks the tool, the rest cut at NUL bytes is its
//! argument list, given to the tool's own `parse` (getopt over its clap definition, then its
//! checks): the plan is built, nothing is carried out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sys::Prog;

/// The tools, by the name their `parse` is reached under.
const TOOLS: &[&str] = &[
    "unshare",
    "nsenter",
    "lsns",
    "ovlmount",
    "mount.overlay",
    "pivot",
    "pivot_root",
    "switch_root",
    "cgtop",
    "cgclassify",
    "cgconfigparser",
    "cgcreate",
    "cgdelete",
    "cgexec",
    "cgget",
    "cgrulesengd",
    "cgset",
    "cgsnapshot",
    "cgxget",
    "cgxset",
    "lscgroup",
    "lssubsys",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let name = TOOLS[usize::from(pick) % TOOLS.len()];
    let prog = Prog::new(Some(name.as_ref()), name);
    let args = nsutils_fuzz::args(rest);
    // Only that parsing ends (with a plan or an error) matters here.
    let _ = match name {
        "unshare" => unshare_rs::plan::parse(&prog, args, 1000, 1000).map(drop),
        "nsenter" => nsenter_rs::plan::parse(&prog, args).map(drop),
        "lsns" => lsns_rs::plan::parse(&prog, args).map(drop),
        "ovlmount" | "mount.overlay" => ovlmount::plan::parse(&prog, args).map(drop),
        "pivot" => pivot::pivot::plan::parse(&prog, args).map(drop),
        "pivot_root" => pivot::pivot_root::parse(&prog, args).map(drop),
        "switch_root" => pivot::switch_root::parse(&prog, args).map(drop),
        "cgtop" => cgtop::parse(&prog, args, pick & 0x80 != 0).map(drop),
        "cgclassify" => cgtools::cgclassify::parse(&prog, args).map(drop),
        "cgconfigparser" => cgtools::cgconfigparser::parse(&prog, args).map(drop),
        "cgcreate" => cgtools::cgcreate::parse(&prog, args).map(drop),
        "cgdelete" => cgtools::cgdelete::parse(&prog, args).map(drop),
        "cgexec" => cgtools::cgexec::parse(&prog, args).map(drop),
        "cgget" => cgtools::cgget::parse(&prog, args).map(drop),
        "cgrulesengd" => cgtools::cgrulesengd::parse(&prog, args, pick & 0x80 != 0).map(drop),
        "cgset" => cgtools::cgset::parse(&prog, args).map(drop),
        "cgsnapshot" => cgtools::cgsnapshot::parse(&prog, args).map(drop),
        "cgxget" => cgtools::cgxget::parse(&prog, args).map(drop),
        "cgxset" => cgtools::cgxset::parse(&prog, args).map(drop),
        "lscgroup" => cgtools::lscgroup::parse(&prog, args).map(drop),
        _ => cgtools::lssubsys::parse(&prog, args).map(drop),
    };
});
