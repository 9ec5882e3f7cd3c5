//! Why creating a namespace, writing an id map or entering a namespace was refused: the
//! sysctls, capabilities, chroot, AppArmor restriction, subordinate ids, `newuidmap` and
//! seccomp filters that make `unshare(2)`, a `uid_map` write or `setns(2)` fail.
//!
//! Each diagnosis checks the causes that can give its errno, most specific first, and names
//! the first one that holds on the host; a seccomp filter, which may return any errno, is
//! named only when nothing else holds.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::Host;
use crate::errno;
use crate::idmap::{self, IdKind};
use crate::ns::{NsKind, NsSet};

/// `CAP_SYS_CHROOT`, needed besides `CAP_SYS_ADMIN` to enter a mount namespace.
const CAP_SYS_CHROOT: u32 = 18;
/// `CAP_SYS_ADMIN`, needed to create any namespace but a user namespace, and to enter one.
const CAP_SYS_ADMIN: u32 = 21;

/// What `user.max_*_namespaces` reads in a user namespace where nobody set it (`INT_MAX`).
const NO_LIMIT: i64 = 2_147_483_647;

/// The kernel's limit of nested pid namespaces (`MAX_PID_NS_LEVEL`): a process whose `NSpid`
/// has more entries than this cannot make another level (`NSpid` counts its own level too,
/// so 33 entries are 32 levels below the initial one).
const PID_NESTING_LIMIT: usize = 32;

/// A cause found to hold, with what the host showed; its `Display` is the hint line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// Namespaces other than a user namespace need `CAP_SYS_ADMIN` unless a new user
    /// namespace (where the process has it) comes with them.
    NoCapabilityToCreate {
        /// The kinds asked for, as `/proc/PID/ns` names them.
        kinds: String,
    },
    /// The kernel refuses a new user namespace to a chrooted process.
    Chrooted,
    /// Debian's older kernels let only privileged processes make user namespaces while
    /// `kernel.unprivileged_userns_clone` is 0.
    UnprivilegedUsernsOff,
    /// Ubuntu's AppArmor restriction: an unconfined process's new user namespace gets no
    /// capabilities.
    AppArmorRestricted {
        /// The process's AppArmor label.
        label: String,
    },
    /// `user.max_<kind>_namespaces` is 0 in the current user namespace.
    LimitZero {
        /// The sysctl.
        sysctl: String,
    },
    /// The count of namespaces of a kind reached `user.max_<kind>_namespaces`, here or in an
    /// ancestor user namespace (each has its own limit, and each counts its descendants').
    LimitReached {
        /// The sysctls of the kinds asked for that have a limit here, with their values.
        sysctls: Vec<(String, i64)>,
    },
    /// No kind asked for has a limit in this user namespace (a new user namespace starts with
    /// none): the limit reached is an ancestor's, or the nesting of user namespaces.
    LimitAbove {
        /// The sysctls of the kinds asked for.
        sysctls: Vec<String>,
        /// Whether a user namespace was asked for, which may be one level too deep.
        user: bool,
    },
    /// The process's pid namespace is nested as deep as the kernel allows.
    PidNesting,
    /// The process's user namespace is nested as deep as the kernel allows (EUSERS, the
    /// kernels before 4.9; later ones say ENOSPC, see [`Cause::LimitAbove`]).
    UserNesting,
    /// A user namespace is made only by a process whose uid and gid are mapped in its own
    /// user namespace; they are not (a user namespace whose maps were never written).
    Unmapped {
        /// `uid_map` or `gid_map`, the first of the two without the id.
        map: &'static str,
    },
    /// This kernel has no namespaces of this kind.
    NoSuchKind {
        /// The kind, as `/proc/PID/ns` names it.
        kind: &'static str,
    },
    /// A seccomp filter may have refused the call.
    Seccomp {
        /// The refused call, e.g. `unshare(2)`.
        call: &'static str,
        /// `Seccomp_filters` of `/proc/self/status`, or `?` on kernels without that field.
        filters: String,
    },
    /// `newuidmap` (or `newgidmap`) is not in the search path.
    HelperMissing {
        /// `newuidmap` or `newgidmap`.
        helper: &'static str,
    },
    /// `newuidmap` (or `newgidmap`) can write no map but the caller's own id.
    HelperNotSetuid {
        /// Where it was found.
        path: PathBuf,
    },
    /// The user has no line in `/etc/subuid` (or `/etc/subgid`).
    NoSubids {
        /// Users or groups.
        kind: IdKind,
        /// The user's name.
        user: String,
    },
    /// `setns(2)` needs capabilities the process does not have.
    NoCapabilityToEnter {
        /// The kinds entered, as `/proc/PID/ns` names them.
        kinds: String,
        /// What the kernel asks for.
        needed: &'static str,
        /// Those of them the process lacks.
        missing: String,
    },
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::NoCapabilityToCreate { kinds } => write!(
                f,
                "creating {kinds} namespaces needs CAP_SYS_ADMIN, which this process does \
                 not have; run it as root, or add --user --map-root-user"
            ),
            Cause::Chrooted => f.write_str(
                "this process is in a chroot (no mount at / in /proc/self/mountinfo), where the \
                 kernel refuses a new user namespace; run unshare outside it, with --root=DIR",
            ),
            Cause::UnprivilegedUsernsOff => f.write_str(
                "kernel.unprivileged_userns_clone is 0, which keeps user namespaces to root; \
                 allow them: sysctl -w kernel.unprivileged_userns_clone=1",
            ),
            Cause::AppArmorRestricted { label } => write!(
                f,
                "kernel.apparmor_restrict_unprivileged_userns is 1 and this process's AppArmor \
                 label is {label}, so a new user namespace gets no capabilities; load nsutils' \
                 profile (make install-apparmor; apparmor_parser -r /etc/apparmor.d/nsutils), \
                 or lift the restriction: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
            ),
            Cause::LimitZero { sysctl } => write!(
                f,
                "{sysctl} is 0 in this user namespace; raise it: sysctl -w {sysctl}=15000"
            ),
            Cause::LimitReached { sysctls } => {
                let seen: Vec<String> = sysctls
                    .iter()
                    .map(|(name, value)| format!("{name} is {value}"))
                    .collect();
                let (name, value) = &sysctls[0];
                write!(
                    f,
                    "{} in this user namespace, and this one or an ancestor user namespace \
                     has reached its limit; raise it where it is reached: sysctl -w {name}={}",
                    seen.join(", "),
                    value.saturating_mul(2).max(15000)
                )
            }
            Cause::LimitAbove { sysctls, user } => write!(
                f,
                "{} {NO_LIMIT} (no limit) in this user namespace: the limit reached is an \
                 ancestor user namespace's{}; raise it there (sysctl -w {}=15000){}",
                if sysctls.len() == 1 {
                    format!("{} is", sysctls[0])
                } else {
                    format!("{} are", sysctls.join(", "))
                },
                if *user {
                    ", or the kernel's limit on nesting user namespaces"
                } else {
                    ""
                },
                sysctls[0],
                if *user { ", or nest less deep" } else { "" }
            ),
            Cause::Unmapped { map } => write!(
                f,
                "this process's {} is not mapped in its user namespace (/proc/self/{map}), and \
                 only a mapped user makes a user namespace; map it when making this one: \
                 unshare --user --map-root-user",
                &map[..3]
            ),
            Cause::PidNesting => write!(
                f,
                "this process's pid namespace is nested {PID_NESTING_LIMIT} deep (NSpid in \
                 /proc/self/status), the kernel's limit; create it from a shallower one"
            ),
            Cause::UserNesting => f.write_str(
                "this process's user namespace is nested as deep as the kernel allows; create \
                 it from a shallower one",
            ),
            Cause::NoSuchKind { kind } => write!(
                f,
                "this kernel has no {kind} namespaces (no /proc/self/ns/{kind})"
            ),
            Cause::Seccomp { call, filters } => write!(
                f,
                "a seccomp filter may refuse {call} (/proc/self/status: Seccomp: 2, \
                 Seccomp_filters: {filters}); run it without that filter (a container's \
                 seccomp profile must allow {call})"
            ),
            Cause::HelperMissing { helper } => write!(
                f,
                "{helper} is not installed (not found in PATH); install the uidmap package"
            ),
            Cause::HelperNotSetuid { path } => write!(
                f,
                "{path} is not set-user-ID root and has no file capability, so it can map only \
                 your own id; chmod u+s {path} (or setcap cap_setuid+ep {path})",
                path = path.display()
            ),
            Cause::NoSubids { kind, user } => {
                let (file, option) = match kind {
                    IdKind::User => ("/etc/subuid", "--add-subuids"),
                    IdKind::Group => ("/etc/subgid", "--add-subgids"),
                };
                write!(
                    f,
                    "user \"{user}\" has no line in {file}; add one: usermod {option} \
                     100000-165535 {user}"
                )
            }
            Cause::NoCapabilityToEnter {
                kinds,
                needed,
                missing,
            } => write!(
                f,
                "entering {kinds} namespaces needs {needed} in the user namespace that owns \
                 them, and this process lacks {missing}; run it as root"
            ),
        }
    }
}

/// Why `unshare(2)` of `set` failed with `errno`.
pub fn create(set: NsSet, errno: i32, host: &Host) -> Option<Cause> {
    let user = set.contains(NsKind::User);
    let cause = match errno {
        errno::EPERM | errno::EACCES => {
            let admin = has_capability(host, CAP_SYS_ADMIN);
            if user && errno == errno::EPERM && chrooted(host) {
                Some(Cause::Chrooted)
            } else if let (true, Some(map)) = (user && errno == errno::EPERM, unmapped(host)) {
                Some(Cause::Unmapped { map })
            } else if !user && admin == Some(false) {
                Some(Cause::NoCapabilityToCreate {
                    kinds: kind_names(set),
                })
            } else if user && admin == Some(false) {
                unprivileged_userns_off(host).or_else(|| apparmor_restricted(host))
            } else {
                None
            }
        }
        libc::ENOSPC => namespace_limit(set, host).or_else(|| {
            (set.contains(NsKind::Pid) && pid_nesting(host) > PID_NESTING_LIMIT)
                .then_some(Cause::PidNesting)
        }),
        libc::EUSERS if user => Some(Cause::UserNesting),
        errno::EINVAL => kinds_of(set)
            .find(|kind| !host.exists(format!("/proc/self/ns/{}", kind.proc_name())))
            .map(|kind| Cause::NoSuchKind {
                kind: kind.proc_name(),
            }),
        _ => None,
    };
    cause.or_else(|| seccomp(host, "unshare(2)"))
}

/// Why writing a `uid_map` or `gid_map` directly (as root from outside, or a process's own
/// single id from inside) failed with `errno`.
pub fn write_map(errno: i32, host: &Host) -> Option<Cause> {
    match errno {
        errno::EPERM | errno::EACCES => apparmor_restricted(host),
        _ => None,
    }
}

/// Why `newuidmap` (or `newgidmap`, by `kind`) failed to write the map of the user `user`
/// (`uid`), looked up in `search_path` as it was run.
pub fn map_helper(
    kind: IdKind,
    user: &str,
    uid: u32,
    search_path: &OsStr,
    host: &Host,
) -> Option<Cause> {
    let helper = kind.helper();
    let Some(path) = find_program(host, helper, search_path) else {
        return Some(Cause::HelperMissing { helper });
    };
    let set_user_id_root = host
        .mode_and_owner(&path)
        .is_some_and(|(mode, owner)| mode & 0o4000 != 0 && owner == 0);
    if !set_user_id_root && !host.has_xattr(&path, "security.capability") {
        return Some(Cause::HelperNotSetuid { path });
    }
    subids(kind, user, uid, host).or_else(|| apparmor_restricted(host))
}

/// Whether the user `user` (`uid`) has no line in `/etc/subuid` (or `/etc/subgid`), which
/// `newuidmap` needs to map more than the user's own id.
pub fn subids(kind: IdKind, user: &str, uid: u32, host: &Host) -> Option<Cause> {
    let text = host.read(kind.subid_file()).unwrap_or_default();
    let lines = idmap::subid_lines(&text, user, uid).ok()?;
    lines.is_empty().then(|| Cause::NoSubids {
        kind,
        user: user.to_owned(),
    })
}

/// Why `setns(2)` into the namespaces `set` failed with `errno`.
pub fn enter(set: NsSet, errno: i32, host: &Host) -> Option<Cause> {
    if errno != errno::EPERM {
        return None;
    }
    let (needed, caps): (&'static str, &[(u32, &str)]) = if set.contains(NsKind::Mount) {
        (
            "CAP_SYS_ADMIN and CAP_SYS_CHROOT",
            &[
                (CAP_SYS_ADMIN, "CAP_SYS_ADMIN"),
                (CAP_SYS_CHROOT, "CAP_SYS_CHROOT"),
            ],
        )
    } else {
        ("CAP_SYS_ADMIN", &[(CAP_SYS_ADMIN, "CAP_SYS_ADMIN")])
    };
    let missing: Vec<&str> = caps
        .iter()
        .filter(|(cap, _)| has_capability(host, *cap) == Some(false))
        .map(|(_, name)| *name)
        .collect();
    if missing.is_empty() {
        return seccomp(host, "setns(2)");
    }
    Some(Cause::NoCapabilityToEnter {
        kinds: kind_names(set),
        needed,
        missing: missing.join(" and "),
    })
}

fn kinds_of(set: NsSet) -> impl Iterator<Item = NsKind> {
    NsKind::ALL.into_iter().filter(move |k| set.contains(*k))
}

/// `mnt, uts`: the kinds of `set` by their `/proc/PID/ns` names.
fn kind_names(set: NsSet) -> String {
    kinds_of(set)
        .map(NsKind::proc_name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `CapEff` has capability `cap`; `None` when the status cannot be read.
fn has_capability(host: &Host, cap: u32) -> Option<bool> {
    let mask = u64::from_str_radix(&host.self_status("CapEff")?, 16).ok()?;
    Some(mask & (1 << cap) != 0)
}

/// A process whose root is not its mount namespace's root sees no mount at `/`: mountinfo
/// leaves out the mounts that its root cannot reach, and its root is inside one of them. (A
/// chroot into a mount point of its own is not seen this way.)
fn chrooted(host: &Host) -> bool {
    host.mountinfo()
        .is_some_and(|table| !table.iter().any(|m| m.mount_point == Path::new("/")))
}

fn unprivileged_userns_off(host: &Host) -> Option<Cause> {
    (host.sysctl_number("kernel.unprivileged_userns_clone")? == 0)
        .then_some(Cause::UnprivilegedUsernsOff)
}

/// Ubuntu's restriction applies to an unconfined process, and to one already moved to the
/// `unprivileged_userns` profile by it.
fn apparmor_restricted(host: &Host) -> Option<Cause> {
    if host.sysctl_number("kernel.apparmor_restrict_unprivileged_userns")? != 1 {
        return None;
    }
    let label = host
        .read("/proc/self/attr/apparmor/current")
        .or_else(|| host.read("/proc/self/attr/current"))?;
    let label = label.trim_end_matches(['\n', '\0']).to_owned();
    let restricted = label == "unconfined" || label.starts_with("unprivileged_userns");
    restricted.then_some(Cause::AppArmorRestricted { label })
}

fn namespace_limit(set: NsSet, host: &Host) -> Option<Cause> {
    let sysctls: Vec<(String, i64)> = kinds_of(set)
        .filter_map(|kind| {
            let name = format!("user.max_{}_namespaces", limit_name(kind));
            host.sysctl_number(&name).map(|value| (name, value))
        })
        .collect();
    if let Some((sysctl, _)) = sysctls.iter().find(|(_, value)| *value == 0) {
        return Some(Cause::LimitZero {
            sysctl: sysctl.clone(),
        });
    }
    if sysctls.is_empty() {
        return None;
    }
    let (limited, unlimited): (Vec<_>, Vec<_>) = sysctls
        .into_iter()
        .partition(|(_, value)| *value < NO_LIMIT);
    if limited.is_empty() {
        Some(Cause::LimitAbove {
            sysctls: unlimited.into_iter().map(|(name, _)| name).collect(),
            user: set.contains(NsKind::User),
        })
    } else {
        Some(Cause::LimitReached { sysctls: limited })
    }
}

/// The map (`uid_map`, then `gid_map`) that does not map the process's effective id, as
/// `/proc/self/status` shows it (an unmapped id shows as the overflow id, 65534).
fn unmapped(host: &Host) -> Option<&'static str> {
    [("uid_map", "Uid"), ("gid_map", "Gid")]
        .into_iter()
        .find(|(map, field)| {
            let id: Option<u64> = host
                .self_status(field)
                .and_then(|ids| ids.split_whitespace().nth(1)?.parse().ok());
            let text = host.read(format!("/proc/self/{map}"));
            match (id, text) {
                (Some(id), Some(text)) => !text.lines().any(|line| {
                    let f: Vec<u64> = line
                        .split_whitespace()
                        .filter_map(|w| w.parse().ok())
                        .collect();
                    matches!(f[..], [inner, _, count] if id >= inner && id - inner < count)
                }),
                _ => false,
            }
        })
        .map(|(map, _)| map)
}

/// The kind's part of its `user.max_*_namespaces` sysctl.
fn limit_name(kind: NsKind) -> &'static str {
    match kind {
        NsKind::Mount => "mnt",
        other => other.proc_name(),
    }
}

/// How many pid namespaces the process's pid is seen in, its own included (`NSpid`).
fn pid_nesting(host: &Host) -> usize {
    host.self_status("NSpid")
        .map_or(0, |ids| ids.split_whitespace().count())
}

/// A filter is named as a possible cause only: it may refuse any call with any errno.
fn seccomp(host: &Host, call: &'static str) -> Option<Cause> {
    (host.self_status("Seccomp")? == "2").then(|| Cause::Seccomp {
        call,
        filters: host
            .self_status("Seccomp_filters")
            .unwrap_or_else(|| "?".to_owned()),
    })
}

/// Where `name` is found in the colon-separated `search_path`, as exec finds it.
fn find_program(host: &Host, name: &str, search_path: &OsStr) -> Option<PathBuf> {
    search_path
        .as_bytes()
        .split(|b| *b == b':')
        .map(|dir| match dir {
            b"" => Path::new(".").join(name),
            dir => Path::new(OsStr::from_bytes(dir)).join(name),
        })
        .find(|path| {
            host.mode_and_owner(path)
                .is_some_and(|(mode, _)| mode & 0o170000 == 0o100000)
        })
}

#[cfg(test)]
mod tests {
    use super::super::tests::fake;
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const ROOT_CAPS: &str = "CapEff:\t000001ffffffffff\n";
    const NO_CAPS: &str = "CapEff:\t0000000000000000\n";
    const MOUNTINFO: &str = "23 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";

    fn set(kinds: &[NsKind]) -> NsSet {
        let mut set = NsSet::default();
        for kind in kinds {
            set.insert(*kind);
        }
        set
    }

    fn status(lines: &[&str]) -> String {
        lines.concat()
    }

    /// Produced for real as `nobody` in tests/tests/hostile_userns.rs; here the order of the
    /// checks: with a new user namespace the capability is not needed.
    #[test]
    fn namespaces_without_a_user_namespace_need_cap_sys_admin() {
        let (_dir, host) = fake(&[("/proc/self/status", NO_CAPS)]);
        let cause = create(set(&[NsKind::Mount, NsKind::Uts]), errno::EPERM, &host);
        assert_eq!(
            cause.map(|c| c.to_string()).as_deref(),
            Some(
                "creating mnt, uts namespaces needs CAP_SYS_ADMIN, which this process does not \
                 have; run it as root, or add --user --map-root-user"
            )
        );
        let (_dir, root) = fake(&[("/proc/self/status", ROOT_CAPS)]);
        assert_eq!(create(set(&[NsKind::Mount]), errno::EPERM, &root), None);
    }

    /// Debian 13's kernel has the sysctl, and the systemd guest's test produces it for real;
    /// this runs the check where the kernel (the busybox guests', this host's) has none.
    #[test]
    fn unprivileged_userns_clone_off_is_named_only_for_the_unprivileged() {
        let files = |caps: &'static str, value: &'static str| {
            fake(&[
                ("/proc/self/status", caps),
                ("/proc/self/mountinfo", MOUNTINFO),
                ("/proc/sys/kernel/unprivileged_userns_clone", value),
            ])
        };
        let user = set(&[NsKind::User]);
        let (_dir, host) = files(NO_CAPS, "0\n");
        assert_eq!(
            create(user, errno::EPERM, &host)
                .map(|c| c.to_string())
                .as_deref(),
            Some(
                "kernel.unprivileged_userns_clone is 0, which keeps user namespaces to root; \
                 allow them: sysctl -w kernel.unprivileged_userns_clone=1"
            )
        );
        let (_dir, on) = files(NO_CAPS, "1\n");
        assert_eq!(create(user, errno::EPERM, &on), None);
        let (_dir, root) = files(ROOT_CAPS, "0\n");
        assert_eq!(create(user, errno::EPERM, &root), None);
    }

    /// Ubuntu's kernels have `kernel.apparmor_restrict_unprivileged_userns`; Debian's (the
    /// guests', this host's) do not, so the restriction cannot be produced here.
    #[test]
    fn the_apparmor_restriction_is_named_for_unconfined_and_restricted_labels() {
        let files = |restrict: &'static str, label: &'static str| {
            fake(&[
                ("/proc/self/status", NO_CAPS),
                ("/proc/self/mountinfo", MOUNTINFO),
                (
                    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                    restrict,
                ),
                ("/proc/self/attr/apparmor/current", label),
            ])
        };
        let user = set(&[NsKind::User]);
        let (_dir, host) = files("1\n", "unconfined\n");
        assert_eq!(
            create(user, errno::EPERM, &host)
                .map(|c| c.to_string())
                .as_deref(),
            Some(
                "kernel.apparmor_restrict_unprivileged_userns is 1 and this process's AppArmor \
                 label is unconfined, so a new user namespace gets no capabilities; load \
                 nsutils' profile (make install-apparmor; apparmor_parser -r \
                 /etc/apparmor.d/nsutils), or lift the restriction: sysctl -w \
                 kernel.apparmor_restrict_unprivileged_userns=0"
            )
        );
        // Inside the namespace, where the uid_map write fails: moved to the restricted profile.
        let (_dir, moved) = files("1\n", "unprivileged_userns (enforce)\n");
        assert_eq!(
            write_map(errno::EPERM, &moved),
            Some(Cause::AppArmorRestricted {
                label: "unprivileged_userns (enforce)".into()
            })
        );
        let (_dir, confined) = files("1\n", "nsutils-unshare (unconfined)\n");
        assert_eq!(write_map(errno::EPERM, &confined), None);
        let (_dir, off) = files("0\n", "unconfined\n");
        assert_eq!(create(user, errno::EPERM, &off), None);
        // Older kernels have the label only in /proc/self/attr/current.
        let (_dir, old) = fake(&[
            (
                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                "1\n",
            ),
            ("/proc/self/attr/current", "unconfined"),
        ]);
        assert!(write_map(errno::EPERM, &old).is_some());
        assert_eq!(write_map(errno::EINVAL, &old), None);
    }

    /// Produced for real in tests/tests/hostile_userns.rs; here the reached (not 0) case and
    /// the choice among several kinds, which the kernel does not let a test reach cheaply.
    #[test]
    fn namespace_limits_name_the_sysctl_and_its_value() {
        let (_dir, host) = fake(&[
            ("/proc/sys/user/max_user_namespaces", "7\n"),
            ("/proc/sys/user/max_mnt_namespaces", "0\n"),
            ("/proc/sys/user/max_uts_namespaces", "100\n"),
        ]);
        assert_eq!(
            create(set(&[NsKind::User, NsKind::Mount]), libc::ENOSPC, &host)
                .map(|c| c.to_string())
                .as_deref(),
            Some(
                "user.max_mnt_namespaces is 0 in this user namespace; raise it: sysctl -w \
                 user.max_mnt_namespaces=15000"
            )
        );
        assert_eq!(
            create(set(&[NsKind::User, NsKind::Uts]), libc::ENOSPC, &host)
                .map(|c| c.to_string())
                .as_deref(),
            Some(
                "user.max_uts_namespaces is 100, user.max_user_namespaces is 7 in this user \
                 namespace, and this one or an ancestor user namespace has reached its limit; \
                 raise it where it is reached: sysctl -w user.max_uts_namespaces=15000"
            )
        );
    }

    /// Produced for real in tests/tests/hostile_userns.rs (33 nested user namespaces, an
    /// ancestor's limit); here the wording for several kinds and without a user namespace.
    #[test]
    fn no_limit_here_means_an_ancestors_or_the_nesting() {
        let (_dir, host) = fake(&[
            ("/proc/sys/user/max_mnt_namespaces", "2147483647\n"),
            ("/proc/sys/user/max_net_namespaces", "2147483647\n"),
        ]);
        assert_eq!(
            create(set(&[NsKind::Mount, NsKind::Net]), libc::ENOSPC, &host)
                .map(|c| c.to_string())
                .as_deref(),
            Some(
                "user.max_mnt_namespaces, user.max_net_namespaces are 2147483647 (no limit) in \
                 this user namespace: the limit reached is an ancestor user namespace's; raise \
                 it there (sysctl -w user.max_mnt_namespaces=15000)"
            )
        );
    }

    /// Produced for real in tests/tests/hostile_userns.rs (`unshare -U unshare -U`); here the
    /// gid side and a mapped id.
    #[test]
    fn an_unmapped_id_cannot_make_a_user_namespace() {
        let user = set(&[NsKind::User]);
        let (_dir, host) = fake(&[
            (
                "/proc/self/status",
                "Uid:\t0\t0\t0\t0\nGid:\t65534\t65534\t65534\t65534\n",
            ),
            ("/proc/self/uid_map", "         0       1000          1\n"),
            ("/proc/self/gid_map", ""),
            ("/proc/self/mountinfo", MOUNTINFO),
        ]);
        assert_eq!(
            create(user, errno::EPERM, &host),
            Some(Cause::Unmapped { map: "gid_map" })
        );
        let (_dir, host) = fake(&[
            ("/proc/self/status", "Uid:\t5\t5\t5\t5\nGid:\t0\t0\t0\t0\n"),
            ("/proc/self/uid_map", "0 1000 10\n"),
            ("/proc/self/gid_map", "0 1000 1\n"),
            ("/proc/self/mountinfo", MOUNTINFO),
        ]);
        assert_eq!(create(user, errno::EPERM, &host), None);
    }

    /// Nesting 32 pid namespaces takes 32 forks of a test; the check is the count of NSpid.
    #[test]
    fn pid_and_user_nesting_limits() {
        let deep = format!("NSpid:\t{}\n", vec!["1"; 33].join("\t"));
        let shallow = format!("NSpid:\t{}\n", vec!["1"; 32].join("\t"));
        let (_dir, host) = fake(&[("/proc/self/status", deep.as_str())]);
        assert_eq!(
            create(set(&[NsKind::Pid]), libc::ENOSPC, &host),
            Some(Cause::PidNesting)
        );
        let (_dir, host) = fake(&[("/proc/self/status", shallow.as_str())]);
        assert_eq!(create(set(&[NsKind::Pid]), libc::ENOSPC, &host), None);
        assert_eq!(
            create(set(&[NsKind::User]), libc::EUSERS, &host),
            Some(Cause::UserNesting)
        );
        assert_eq!(create(set(&[NsKind::Mount]), libc::EUSERS, &host), None);
    }

    /// Produced for real in tests/tests/hostile_userns.rs (a chroot as root); here the
    /// mountinfo shapes: a chroot sees no mount at `/`.
    #[test]
    fn a_chroot_is_seen_as_no_mount_at_the_root() {
        let (_dir, host) = fake(&[
            ("/proc/self/status", ROOT_CAPS),
            (
                "/proc/self/mountinfo",
                "40 23 0:5 / /proc rw - proc proc rw\n",
            ),
        ]);
        assert_eq!(
            create(set(&[NsKind::User]), errno::EPERM, &host),
            Some(Cause::Chrooted)
        );
        assert_eq!(create(set(&[NsKind::Mount]), errno::EPERM, &host), None);
        let (_dir, host) = fake(&[
            ("/proc/self/status", ROOT_CAPS),
            ("/proc/self/mountinfo", MOUNTINFO),
        ]);
        assert_eq!(create(set(&[NsKind::User]), errno::EPERM, &host), None);
    }

    /// Produced for real on kernels without time namespaces only (before 5.6).
    #[test]
    fn a_kind_the_kernel_does_not_have() {
        let (_dir, host) = fake(&[("/proc/self/ns/mnt", "")]);
        assert_eq!(
            create(set(&[NsKind::Mount, NsKind::Time]), errno::EINVAL, &host)
                .map(|c| c.to_string())
                .as_deref(),
            Some("this kernel has no time namespaces (no /proc/self/ns/time)")
        );
        assert_eq!(create(set(&[NsKind::Mount]), errno::EINVAL, &host), None);
    }

    /// Produced for real with setpriv's filter in tests/tests/hostile_userns.rs; here that a
    /// filter is named only when no other cause holds.
    #[test]
    fn a_seccomp_filter_is_named_last() {
        let filtered = status(&[NO_CAPS, "Seccomp:\t2\nSeccomp_filters:\t1\n"]);
        let (_dir, host) = fake(&[
            ("/proc/self/status", filtered.as_str()),
            ("/proc/self/mountinfo", MOUNTINFO),
        ]);
        assert_eq!(
            create(set(&[NsKind::User]), errno::EPERM, &host)
                .map(|c| c.to_string())
                .as_deref(),
            Some(
                "a seccomp filter may refuse unshare(2) (/proc/self/status: Seccomp: 2, \
                 Seccomp_filters: 1); run it without that filter (a container's seccomp \
                 profile must allow unshare(2))"
            )
        );
        assert!(matches!(
            create(set(&[NsKind::Mount]), errno::EPERM, &host),
            Some(Cause::NoCapabilityToCreate { .. })
        ));
        assert!(matches!(
            create(set(&[NsKind::User]), errno::ENOENT, &host),
            Some(Cause::Seccomp { .. })
        ));
        let strict = status(&[ROOT_CAPS, "Seccomp:\t1\n"]);
        let (_dir, host) = fake(&[("/proc/self/status", strict.as_str())]);
        assert_eq!(create(set(&[NsKind::User]), errno::EPERM, &host), None);
    }

    /// Produced for real in tests/tests/hostile_userns.rs (a private bind of a 0755 copy, an
    /// empty PATH, a subuid file without the user); here the order, and the set-user-ID case.
    #[test]
    fn newuidmap_missing_not_set_user_id_or_without_subids() {
        let (dir, host) = fake(&[
            ("/usr/bin/newuidmap", ""),
            ("/etc/subuid", "tester:100000:65536\n"),
        ]);
        let helper = dir.path().join("usr/bin/newuidmap");
        let search = OsStr::new("/nonexistent:/usr/bin");
        let diagnose =
            |host: &Host, search| map_helper(IdKind::User, "nobody", 65534, search, host);
        assert_eq!(
            diagnose(&host, OsStr::new("/bin"))
                .map(|c| c.to_string())
                .as_deref(),
            Some("newuidmap is not installed (not found in PATH); install the uidmap package")
        );
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            diagnose(&host, search).map(|c| c.to_string()).as_deref(),
            Some(
                "/usr/bin/newuidmap is not set-user-ID root and has no file capability, so it \
                 can map only your own id; chmod u+s /usr/bin/newuidmap (or setcap \
                 cap_setuid+ep /usr/bin/newuidmap)"
            )
        );
        // A set-user-ID file owned by root is what the package installs (the unit tests run
        // as root, so the fake one is root's).
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o4755)).unwrap();
        let root_owned = host
            .mode_and_owner("/usr/bin/newuidmap")
            .map(|(_, uid)| uid)
            == Some(0);
        if root_owned {
            assert_eq!(
                diagnose(&host, search).map(|c| c.to_string()).as_deref(),
                Some(
                    "user \"nobody\" has no line in /etc/subuid; add one: usermod --add-subuids \
                     100000-165535 nobody"
                )
            );
            assert_eq!(
                map_helper(IdKind::User, "tester", 1000, search, &host),
                None
            );
        }
        assert_eq!(
            subids(IdKind::Group, "nobody", 65534, &host)
                .map(|c| c.to_string())
                .as_deref(),
            Some(
                "user \"nobody\" has no line in /etc/subgid; add one: usermod --add-subgids \
                 100000-165535 nobody"
            )
        );
        let (_dir, numbered) = fake(&[("/etc/subuid", "65534:100000:10\n")]);
        assert_eq!(subids(IdKind::User, "nobody", 65534, &numbered), None);
    }

    /// Produced for real as `nobody` in tests/tests/hostile_userns.rs; here which
    /// capabilities are named for which kinds.
    #[test]
    fn entering_names_the_missing_capabilities() {
        let (_dir, host) = fake(&[("/proc/self/status", NO_CAPS)]);
        assert_eq!(
            enter(set(&[NsKind::Mount]), errno::EPERM, &host)
                .map(|c| c.to_string())
                .as_deref(),
            Some(
                "entering mnt namespaces needs CAP_SYS_ADMIN and CAP_SYS_CHROOT in the user \
                 namespace that owns them, and this process lacks CAP_SYS_ADMIN and \
                 CAP_SYS_CHROOT; run it as root"
            )
        );
        let chroot_only = "CapEff:\t0000000000040000\n";
        let (_dir, host) = fake(&[("/proc/self/status", chroot_only)]);
        assert_eq!(
            enter(set(&[NsKind::Net, NsKind::Mount]), errno::EPERM, &host),
            Some(Cause::NoCapabilityToEnter {
                kinds: "mnt, net".into(),
                needed: "CAP_SYS_ADMIN and CAP_SYS_CHROOT",
                missing: "CAP_SYS_ADMIN".into(),
            })
        );
        let (_dir, root) = fake(&[("/proc/self/status", ROOT_CAPS)]);
        assert_eq!(enter(set(&[NsKind::Net]), errno::EPERM, &root), None);
        assert_eq!(enter(set(&[NsKind::Net]), errno::EINVAL, &host), None);
        let filtered = status(&[ROOT_CAPS, "Seccomp:\t2\nSeccomp_filters:\t3\n"]);
        let (_dir, host) = fake(&[("/proc/self/status", filtered.as_str())]);
        assert!(matches!(
            enter(set(&[NsKind::Net]), errno::EPERM, &host),
            Some(Cause::Seccomp {
                call: "setns(2)",
                ..
            })
        ));
    }
}
