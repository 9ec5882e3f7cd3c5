//! The tools whose man pages and completions `cargo xtask docs` generates: one entry each.

use clap::Command;

/// One binary: where its documentation comes from and where it goes.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// The binary's name: the man page is `man/<name>.<section>`, the completions are named
    /// after it too.
    pub name: &'static str,
    /// The manual section: `1` for user commands, `8` for administration tools.
    pub section: &'static str,
    /// The tool's clap definition, the source of NAME, SYNOPSIS, OPTIONS and the completions.
    pub command: fn() -> Command,
    /// The SYNOPSIS line(s), when clap's own (every option, listed one by one) is not wanted;
    /// usually the `--help` usage line.
    pub synopsis: Option<&'static str>,
    /// The hand-written sections, relative to the workspace root (format: `doc.rs`).
    pub doc: &'static str,
}

/// Every tool, in the order they are generated.
pub const TOOLS: &[Tool] = &[
    Tool {
        name: "unshare",
        section: "1",
        command: unshare_rs::cli::command,
        synopsis: Some(unshare_rs::cli::USAGE),
        doc: "crates/unshare-rs/doc/unshare.1.txt",
    },
    Tool {
        name: "nsenter",
        section: "1",
        command: nsenter_rs::cli::command,
        synopsis: Some(nsenter_rs::cli::USAGE),
        doc: "crates/nsenter-rs/doc/nsenter.1.txt",
    },
    Tool {
        name: "pivot_root",
        section: "8",
        command: pivot::pivot_root::command,
        synopsis: Some(pivot::pivot_root::USAGE),
        doc: "crates/pivot/doc/pivot_root.8.txt",
    },
    Tool {
        name: "switch_root",
        section: "8",
        command: pivot::switch_root::command,
        synopsis: Some(pivot::switch_root::USAGE),
        doc: "crates/pivot/doc/switch_root.8.txt",
    },
    Tool {
        name: "pivot",
        section: "8",
        command: pivot::pivot::cli::command,
        synopsis: Some(pivot::pivot::cli::USAGE),
        doc: "crates/pivot/doc/pivot.8.txt",
    },
    Tool {
        name: "ovlmount",
        section: "8",
        command: ovlmount::cli::command,
        synopsis: Some(ovlmount::cli::USAGE),
        doc: "crates/ovlmount/doc/ovlmount.8.txt",
    },
    Tool {
        name: "lsns",
        section: "8",
        command: lsns_rs::cli::command,
        synopsis: Some(lsns_rs::cli::USAGE),
        doc: "crates/lsns-rs/doc/lsns.8.txt",
    },
    Tool {
        name: "cgcreate",
        section: "1",
        command: cgtools::cgcreate::command,
        synopsis: Some(cgtools::cgcreate::USAGE),
        doc: "crates/cgtools/doc/cgcreate.1.txt",
    },
    Tool {
        name: "cgdelete",
        section: "1",
        command: cgtools::cgdelete::command,
        synopsis: Some(cgtools::cgdelete::USAGE),
        doc: "crates/cgtools/doc/cgdelete.1.txt",
    },
    Tool {
        name: "cgset",
        section: "1",
        command: cgtools::cgset::command,
        synopsis: Some(cgtools::cgset::USAGE),
        doc: "crates/cgtools/doc/cgset.1.txt",
    },
    Tool {
        name: "cgexec",
        section: "1",
        command: cgtools::cgexec::command,
        synopsis: Some(cgtools::cgexec::USAGE),
        doc: "crates/cgtools/doc/cgexec.1.txt",
    },
    Tool {
        name: "cgclassify",
        section: "1",
        command: cgtools::cgclassify::command,
        synopsis: Some(cgtools::cgclassify::USAGE),
        doc: "crates/cgtools/doc/cgclassify.1.txt",
    },
    Tool {
        name: "cgrulesengd",
        section: "8",
        command: cgtools::cgrulesengd::command,
        synopsis: Some(cgtools::cgrulesengd::USAGE),
        doc: "crates/cgtools/doc/cgrulesengd.8.txt",
    },
    Tool {
        name: "cgxset",
        section: "1",
        command: cgtools::cgxset::command,
        synopsis: Some(cgtools::cgxset::USAGE),
        doc: "crates/cgtools/doc/cgxset.1.txt",
    },
    Tool {
        name: "cgget",
        section: "1",
        command: cgtools::cgget::command,
        synopsis: Some(cgtools::cgget::USAGE),
        doc: "crates/cgtools/doc/cgget.1.txt",
    },
    Tool {
        name: "cgxget",
        section: "1",
        command: cgtools::cgxget::command,
        synopsis: Some(cgtools::cgxget::USAGE),
        doc: "crates/cgtools/doc/cgxget.1.txt",
    },
    Tool {
        name: "lscgroup",
        section: "1",
        command: cgtools::lscgroup::command,
        synopsis: Some(cgtools::lscgroup::USAGE),
        doc: "crates/cgtools/doc/lscgroup.1.txt",
    },
    Tool {
        name: "lssubsys",
        section: "1",
        command: cgtools::lssubsys::command,
        synopsis: Some(cgtools::lssubsys::USAGE),
        doc: "crates/cgtools/doc/lssubsys.1.txt",
    },
    Tool {
        name: "cgsnapshot",
        section: "1",
        command: cgtools::cgsnapshot::command,
        synopsis: Some(cgtools::cgsnapshot::USAGE),
        doc: "crates/cgtools/doc/cgsnapshot.1.txt",
    },
    Tool {
        name: "cgtop",
        section: "1",
        command: cgtop::cli::command,
        synopsis: Some(cgtop::cli::USAGE),
        doc: "crates/cgtop/doc/cgtop.1.txt",
    },
    Tool {
        name: "cgconfigparser",
        section: "8",
        command: cgtools::cgconfigparser::command,
        synopsis: Some(cgtools::cgconfigparser::USAGE),
        doc: "crates/cgtools/doc/cgconfigparser.8.txt",
    },
];

/// A file format's page (section 5), or a PAM module's (section 8): it has no command, so no
/// SYNOPSIS, OPTIONS or completions; NAME comes from `about`, everything else from the
/// hand-written source.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    /// The file's name: the man page is `man/<name>.<section>`.
    pub name: &'static str,
    /// The manual section (`5`, `8` for a PAM module).
    pub section: &'static str,
    /// The NAME line after the name (`configuration of ...`).
    pub about: &'static str,
    /// The hand-written sections, relative to the workspace root (format: `doc.rs`, without
    /// an OPTIONS section).
    pub doc: &'static str,
}

/// Every page without a command, in the order they are generated.
pub const FORMATS: &[Format] = &[
    Format {
        name: "cgconfig.conf",
        section: "5",
        about: "the control groups cgconfigparser(8) creates",
        doc: "crates/cgroup/doc/cgconfig.conf.5.txt",
    },
    Format {
        name: "cgrules.conf",
        section: "5",
        about: "which control groups processes belong in, for cgrulesengd, cgexec and cgclassify",
        doc: "crates/cgroup/doc/cgrules.conf.5.txt",
    },
    Format {
        name: "cgred.conf",
        section: "5",
        about: "the options of the cgred service (cgrulesengd)",
        doc: "crates/cgtools/doc/cgred.conf.5.txt",
    },
    // A PAM module has no command line either: its page is made the same way.
    Format {
        name: "pam_cgroup",
        section: "8",
        about: "PAM module moving a session's login process into control groups by the rules",
        doc: "crates/pam_cgroup/doc/pam_cgroup.8.txt",
    },
];

impl Format {
    /// The page's header as clap_mangen renders one: a command of just a name and about.
    pub fn command(&self) -> Command {
        Command::new(self.name).about(self.about)
    }

    /// `man/<name>.<section>`.
    pub fn man_path(&self) -> String {
        format!("man/{}.{}", self.name, self.section)
    }
}

impl Tool {
    /// The definition as the man page and the completions use it: named as the table says,
    /// with each option's help on one line (`--help` wraps some by hand, with a newline and an
    /// indent that would show in a man page).
    pub fn command(&self) -> Command {
        (self.command)()
            .name(self.name)
            .bin_name(self.name)
            .mut_args(|arg| {
                let flat = arg.get_help().map(|help| {
                    help.to_string()
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                });
                match flat {
                    Some(text) => arg.help(text),
                    None => arg,
                }
            })
    }

    /// `man/<name>.<section>`.
    pub fn man_path(&self) -> String {
        format!("man/{}.{}", self.name, self.section)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for tool in TOOLS {
            assert_eq!((tool.command)().get_name(), tool.name, "{}", tool.name);
            assert!(matches!(tool.section, "1" | "8"), "{}", tool.name);
            assert!(
                tool.doc
                    .ends_with(&format!("{}.{}.txt", tool.name, tool.section)),
                "{}: {}",
                tool.name,
                tool.doc
            );
        }
        for format in FORMATS {
            assert!(["5", "8"].contains(&format.section), "{}", format.name);
            let file = format!("{}.{}.txt", format.name, format.section);
            assert!(format.doc.ends_with(&file), "{}", format.name);
        }
        let mut names: Vec<_> = TOOLS.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TOOLS.len());
    }

    #[test]
    fn help_is_flattened() {
        let cmd = TOOLS[0].command();
        for arg in cmd.get_arguments() {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            assert!(!help.contains('\n') && !help.contains("  "), "{help:?}");
        }
    }
}
