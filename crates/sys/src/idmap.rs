//! User-namespace id maps: parsing, subordinate-id lookup, merging and writing.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Context, Error, Result};
use crate::user;

/// The kernel refuses a map file write larger than one page.
pub const MAP_WRITE_LIMIT: usize = 4096;

/// Users or groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// User ids (`uid_map`, `/etc/subuid`, `newuidmap`).
    User,
    /// Group ids (`gid_map`, `/etc/subgid`, `newgidmap`).
    Group,
}

impl IdKind {
    /// `uid_map` or `gid_map`.
    pub fn map_file(self) -> &'static str {
        match self {
            IdKind::User => "uid_map",
            IdKind::Group => "gid_map",
        }
    }

    /// The subordinate-id file.
    pub fn subid_file(self) -> &'static str {
        match self {
            IdKind::User => "/etc/subuid",
            IdKind::Group => "/etc/subgid",
        }
    }

    /// The setuid helper that writes maps for unprivileged users.
    pub fn helper(self) -> &'static str {
        match self {
            IdKind::User => "newuidmap",
            IdKind::Group => "newgidmap",
        }
    }

    /// `uid` or `gid`, as messages name them.
    pub fn word(self) -> &'static str {
        match self {
            IdKind::User => "uid",
            IdKind::Group => "gid",
        }
    }
}

/// `count` ids starting at `inner` inside the namespace, backed by `outer` outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    /// First id inside the namespace.
    pub inner: u32,
    /// First id in the parent namespace.
    pub outer: u32,
    /// Number of ids.
    pub count: u32,
}

impl IdRange {
    fn end(start: u32, count: u32) -> u64 {
        u64::from(start) + u64::from(count)
    }

    fn overlaps(self, other: IdRange) -> bool {
        let meet = |a: u32, b: u32| {
            u64::from(a) < Self::end(b, other.count) && u64::from(b) < Self::end(a, self.count)
        };
        meet(self.inner, other.inner) || meet(self.outer, other.outer)
    }
}

impl std::fmt::Display for IdRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.inner, self.outer, self.count)
    }
}

/// One `--map-users`/`--map-groups` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSpec {
    /// An explicit range.
    Range(IdRange),
    /// The caller's first subordinate range, mapped from inner id 0.
    Auto,
    /// The caller's first subordinate range, mapped to the same ids inside.
    Subids,
    /// Every id of the current namespace, identity-mapped.
    All,
}

impl RangeSpec {
    /// Parse `inner:outer:count`, the older `outer,inner,count`, `auto`, `subids` or `all`.
    pub fn parse(arg: &str) -> Result<Self> {
        match arg {
            "auto" => return Ok(RangeSpec::Auto),
            "subids" => return Ok(RangeSpec::Subids),
            "all" => return Ok(RangeSpec::All),
            _ => {}
        }
        // Each field as sscanf's %u reads it (blanks and a `+` before the digits), except that
        // a negative or too large number is refused rather than wrapped around.
        let triple = |sep: char| -> Option<[u32; 3]> {
            let mut it = arg.split(sep).map(|f| {
                crate::cli::unsigned_number(f, u64::from(u32::MAX))
                    .ok()
                    .map(|v| v as u32)
            });
            let v = [it.next()??, it.next()??, it.next()??];
            it.next().is_none().then_some(v)
        };
        if let Some([inner, outer, count]) = triple(':') {
            return Ok(RangeSpec::Range(IdRange {
                inner,
                outer,
                count,
            }));
        }
        if let Some([outer, inner, count]) = triple(',') {
            return Ok(RangeSpec::Range(IdRange {
                inner,
                outer,
                count,
            }));
        }
        Err(Error::msg(format!("invalid mapping '{arg}'")))
    }

    /// The ranges this spec stands for, for the caller `euid` (subordinate ids are looked up
    /// by the effective user, for groups too, as util-linux does).
    pub fn resolve(self, kind: IdKind, euid: u32) -> Result<Vec<RangeMap>> {
        let keep = |range| RangeMap {
            range,
            room: Room::GiveUpOne,
        };
        match self {
            RangeSpec::Range(r) => Ok(vec![keep(r)]),
            RangeSpec::Auto => {
                let (start, count) = subid_range(kind, euid)?;
                Ok(vec![RangeMap {
                    range: IdRange {
                        inner: 0,
                        outer: start,
                        count,
                    },
                    room: Room::ShiftUp,
                }])
            }
            RangeSpec::Subids => {
                let (start, count) = subid_range(kind, euid)?;
                Ok(vec![keep(IdRange {
                    inner: start,
                    outer: start,
                    count,
                })])
            }
            RangeSpec::All => Ok(current_map(kind)?.into_iter().map(keep).collect()),
        }
    }
}

/// The first line of `/etc/subuid` (or `subgid`) for `euid`, by name or number.
pub fn subid_range(kind: IdKind, euid: u32) -> Result<(u32, u32)> {
    subid_ranges(kind, euid)?.into_iter().next().ok_or_else(|| {
        let name = user::user_name(euid).unwrap_or_else(|| euid.to_string());
        Error::msg(format!(
            "no line matching user \"{name}\" in {}",
            kind.subid_file()
        ))
    })
}

/// Every subordinate range `/etc/subuid` (or `subgid`) grants `euid`, in file order.
pub fn subid_ranges(kind: IdKind, euid: u32) -> Result<Vec<(u32, u32)>> {
    let Some(name) = user::user_name(euid) else {
        return Err(Error::msg(format!("you (user {euid}) don't exist.")));
    };
    let path = kind.subid_file();
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::os(format!("could not open '{path}'"), e)),
    };
    subid_lines(&text, &name, euid)
}

/// The ranges of the lines of a subordinate-id file (`text`) for the user `name` (or `uid`).
pub fn subid_lines(text: &str, name: &str, uid: u32) -> Result<Vec<(u32, u32)>> {
    let uid = uid.to_string();
    let mut out = Vec::new();
    for line in text.lines() {
        let mut f = line.split(':');
        let Some(owner) = f.next() else { continue };
        if owner != name && owner != uid {
            continue;
        }
        let start = f.next().and_then(|s| s.trim().parse().ok());
        let count = f.next().and_then(|s| s.trim().parse().ok());
        match (start, count) {
            (Some(s), Some(c)) => out.push((s, c)),
            _ => return Err(Error::msg("failed to parse subid map")),
        }
    }
    Ok(out)
}

/// The current namespace's map as identity ranges (`all`): every id we have, passed through.
pub fn current_map(kind: IdKind) -> Result<Vec<IdRange>> {
    let path = format!("/proc/self/{}", kind.map_file());
    let text = fs::read_to_string(&path).context(|| format!("could not open '{path}'"))?;
    text.lines()
        .map(|line| {
            let f: Vec<u32> = line
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            match f[..] {
                [start, _, count] => Ok(IdRange {
                    inner: start,
                    outer: start,
                    count,
                }),
                _ => Err(Error::msg(format!("failed to parse {path}"))),
            }
        })
        .collect()
}

/// How a range makes room for a single-id map that collides with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    /// The range gives up one pair: its topmost id on the side that does not collide.
    GiveUpOne,
    /// An `auto` range keeps all its ids; those past the single id move one up.
    ShiftUp,
}

/// A range to map and how it makes room for a single-id map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeMap {
    /// The ids.
    pub range: IdRange,
    /// What happens when the single-id map collides with it.
    pub room: Room,
}

/// Put a single-id mapping ahead of `ranges`, laid out as util-linux lays them out: a range
/// that contains the single inner id, or the single outer id, leaves that id out on its side
/// and pairs the ids that remain on each side in order, so that past the skipped id one side
/// runs one ahead of the other. A [`Room::GiveUpOne`] range then maps one pair fewer (the
/// topmost); a [`Room::ShiftUp`] range keeps its count. A range that contains neither id is
/// kept as it is.
pub fn merge_single(single: IdRange, ranges: &[RangeMap]) -> Vec<IdRange> {
    let mut out = vec![single];
    for RangeMap { range: r, room } in ranges.iter().copied() {
        let within = |id: u32, start: u32| id.checked_sub(start).filter(|o| *o < r.count);
        let collides =
            within(single.inner, r.inner).is_some() || within(single.outer, r.outer).is_some();
        let count = match room {
            Room::GiveUpOne if collides => r.count - 1,
            _ => r.count,
        };
        // The pair indexes at which each side steps over the single id.
        let skip = |id: u32, start: u32| id.checked_sub(start).filter(|o| *o < count);
        let (inner_skip, outer_skip) = (skip(single.inner, r.inner), skip(single.outer, r.outer));
        let mut cuts: Vec<u32> = [inner_skip, outer_skip].into_iter().flatten().collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut from = 0;
        for to in cuts.into_iter().chain([count]) {
            let past = |skip: Option<u32>| u32::from(skip.is_some_and(|s| s < to));
            if to > from {
                // Wrapping as util-linux's unsigned sums do: a range beyond 4294967295 is
                // the kernel's to refuse.
                out.push(IdRange {
                    inner: r.inner.wrapping_add(from + past(inner_skip)),
                    outer: r.outer.wrapping_add(from + past(outer_skip)),
                    count: to - from,
                });
            }
            from = to;
        }
    }
    out
}

/// Refuse ranges that overlap each other on the inner or the outer side.
pub fn check_disjoint(kind: IdKind, ranges: &[IdRange]) -> Result<()> {
    for (i, a) in ranges.iter().enumerate() {
        if let Some(b) = ranges[i + 1..].iter().find(|b| a.overlaps(**b)) {
            return Err(Error::msg(format!(
                "{} ranges {a} and {b} overlap",
                kind.word()
            )));
        }
    }
    Ok(())
}

/// For an unprivileged caller: refuse outer ranges that are neither the caller's own id nor
/// inside a subordinate range `/etc/subuid` (or `subgid`) grants, before anything is changed.
pub fn check_subordinate(kind: IdKind, euid: u32, own: u32, ranges: &[IdRange]) -> Result<()> {
    let granted = subid_ranges(kind, euid)?;
    for r in ranges {
        let inside = |s: u32, c: u32| {
            u64::from(r.outer) >= u64::from(s)
                && IdRange::end(r.outer, r.count) <= IdRange::end(s, c)
        };
        if (r.count == 1 && r.outer == own) || granted.iter().any(|(s, c)| inside(*s, *c)) {
            continue;
        }
        return Err(Error::msg(format!(
            "{} range {r} exceeds the subordinate ids {} grants to user {euid}",
            kind.word(),
            kind.subid_file()
        )));
    }
    Ok(())
}

/// The text of a map file: one `inner outer count` line per range.
pub fn map_text(ranges: &[IdRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("{} {} {}\n", r.inner, r.outer, r.count))
        .collect()
}

/// Write `ranges` to `/proc/<pid>/{uid,gid}_map` in one write, as the kernel requires.
pub fn write_map(pid: Option<u32>, kind: IdKind, ranges: &[IdRange]) -> Result<()> {
    let path = proc_file(pid, kind.map_file());
    let mut text = map_text(ranges);
    if ranges.len() == 1 {
        text.pop(); // util-linux writes a single map without the newline
    }
    if text.len() > MAP_WRITE_LIMIT {
        return Err(Error::msg(format!(
            "{} too large for kernel 4k limit",
            path.display()
        )));
    }
    // util-linux words the errors of the helper that writes from outside differently.
    match pid {
        Some(_) => write_proc_as(&path, text.as_bytes(), "failed to open", "failed to write"),
        None => write_proc(&path, text.as_bytes()),
    }
}

/// `allow` or `deny` for `/proc/<pid>/setgroups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetgroupsMode {
    /// setgroups(2) is allowed in the namespace.
    Allow,
    /// setgroups(2) is refused; required before an unprivileged gid_map write.
    Deny,
}

impl SetgroupsMode {
    /// Parse `allow` or `deny`.
    pub fn parse(arg: &str) -> Result<Self> {
        match arg {
            "allow" => Ok(SetgroupsMode::Allow),
            "deny" => Ok(SetgroupsMode::Deny),
            _ => Err(Error::msg(format!(
                "unsupported --setgroups argument '{arg}'"
            ))),
        }
    }
}

/// Write `/proc/<pid>/setgroups`. A kernel without the file (before 3.19) needs nothing.
pub fn write_setgroups(pid: Option<u32>, mode: SetgroupsMode) -> Result<()> {
    let path = proc_file(pid, "setgroups");
    let text: &[u8] = match mode {
        SetgroupsMode::Allow => b"allow",
        SetgroupsMode::Deny => b"deny",
    };
    match write_proc(&path, text) {
        Err(e) if e.errno() == Some(libc::ENOENT) => Ok(()),
        other => other,
    }
}

/// The `newuidmap PID inner outer count...` command line for an unprivileged caller.
pub fn helper_argv(pid: u32, kind: IdKind, ranges: &[IdRange]) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![kind.helper().into(), pid.to_string().into()];
    for r in ranges {
        argv.extend([r.inner, r.outer, r.count].map(|v| OsString::from(v.to_string())));
    }
    argv
}

fn proc_file(pid: Option<u32>, name: &str) -> PathBuf {
    match pid {
        Some(pid) => PathBuf::from(format!("/proc/{pid}/{name}")),
        None => PathBuf::from(format!("/proc/self/{name}")),
    }
}

fn write_proc(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    write_proc_as(path, bytes, "cannot open", "write failed")
}

/// Write a proc file; errors read `OPEN_FAILED PATH` or `WRITE_FAILED PATH`.
fn write_proc_as(
    path: &std::path::Path,
    bytes: &[u8],
    open_failed: &str,
    write_failed: &str,
) -> Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .context(|| format!("{open_failed} {}", path.display()))?;
    // The point is named for the file: uid_map, gid_map, setgroups.
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    crate::fault::point_io(&format!("write.{name}"), libc::EPERM)
        .and_then(|()| f.write_all(bytes))
        .context(|| format!("{write_failed} {}", path.display()))
}

/// The id mapping of an idmapped mount (`--idmap MAP`, mount(8)'s `X-mount.idmap=`): a mount
/// takes the maps of a user namespace, and a file owned on disk by an id that is `inner` in
/// those maps is seen through the mount as owned by its `outer` id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountIdmap {
    /// `[u:|g:|b:]INNER:OUTER:COUNT ...`, separated by blanks: a new user namespace with these
    /// maps (`u:` users only, `g:` groups only, `b:` or no prefix both).
    Maps {
        /// The user ranges.
        users: Vec<IdRange>,
        /// The group ranges.
        groups: Vec<IdRange>,
    },
    /// The user namespace of this file (`/proc/PID/ns/user`, or a bind mount of one).
    Namespace(PathBuf),
}

impl MountIdmap {
    /// Parse a map list or, when `text` names a path (it has a `/`), a namespace file.
    pub fn parse(text: &str) -> Result<Self> {
        if text.contains('/') {
            return Ok(MountIdmap::Namespace(PathBuf::from(text)));
        }
        let bad = || {
            Error::msg(format!(
                "invalid id map '{text}': expected [u:|g:|b:]inner:outer:count (blank-separated) \
                 or a user namespace file"
            ))
        };
        let (mut users, mut groups) = (Vec::new(), Vec::new());
        for item in text.split_whitespace() {
            let (kinds, triple): (&[IdKind], &str) = match item.split_once(':') {
                Some(("u", rest)) => (&[IdKind::User], rest),
                Some(("g", rest)) => (&[IdKind::Group], rest),
                Some(("b", rest)) => (&[IdKind::User, IdKind::Group], rest),
                _ => (&[IdKind::User, IdKind::Group], item),
            };
            let RangeSpec::Range(range) = RangeSpec::parse(triple).map_err(|_| bad())? else {
                return Err(bad());
            };
            if range.count == 0 || !triple.contains(':') {
                return Err(bad());
            }
            for kind in kinds {
                match kind {
                    IdKind::User => users.push(range),
                    IdKind::Group => groups.push(range),
                }
            }
        }
        if users.is_empty() && groups.is_empty() {
            return Err(bad());
        }
        // mount_setattr refuses a namespace without both maps with a bare EINVAL (so does
        // mount(8) given only `u:` ranges); say it before anything is made.
        if users.is_empty() || groups.is_empty() {
            let missing = if users.is_empty() { "users" } else { "groups" };
            return Err(Error::msg(format!(
                "id map '{text}' maps no {missing}: the kernel takes an id mapping only with \
                 both user and group ranges (b: or no prefix gives both)"
            )));
        }
        check_disjoint(IdKind::User, &users)?;
        check_disjoint(IdKind::Group, &groups)?;
        Ok(MountIdmap::Maps { users, groups })
    }

    /// The user namespace to give the mount: the file opened, or one made with the maps.
    pub fn user_namespace(&self) -> Result<fs::File> {
        match self {
            MountIdmap::Namespace(path) => {
                let file = crate::target::open_ns_file(path)?;
                let fd = std::os::fd::AsFd::as_fd(&file);
                match crate::nsfs::kind(fd) {
                    // The kernel refuses it with EPERM: it would map nothing.
                    Ok(Some(crate::ns::NsKind::User))
                        if crate::nsfs::inode(fd) == Ok(INITIAL_USER_NS_INODE) =>
                    {
                        Err(Error::msg(format!(
                            "{} is the initial user namespace, which cannot idmap a mount \
                             (its mapping changes nothing)",
                            path.display()
                        )))
                    }
                    Ok(Some(crate::ns::NsKind::User)) => Ok(file),
                    _ => Err(Error::msg(format!(
                        "{} is not a user namespace file",
                        path.display()
                    ))),
                }
            }
            MountIdmap::Maps { users, groups } => new_user_namespace(users, groups),
        }
    }
}

impl std::fmt::Display for MountIdmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MountIdmap::Namespace(path) => write!(f, "{}", path.display()),
            MountIdmap::Maps { users, groups } => {
                let items: Vec<String> = users
                    .iter()
                    .map(|r| format!("u:{r}"))
                    .chain(groups.iter().map(|r| format!("g:{r}")))
                    .collect();
                f.write_str(&items.join(" "))
            }
        }
    }
}

/// A new user namespace with these maps, held by a descriptor alone: a forked child makes it
/// (unshare), this process writes its maps from outside and opens its `ns/user`, then lets
/// the child exit. The namespace lives as long as the descriptor. Only the kinds given get a
/// map (as mount(8) does). The child is named in /proc by the number /proc gives it (its
/// `/proc/self`, which it sends): /proc may belong to another pid namespace than ours (after
/// `unshare --pid --fork` without a new /proc), where our number for it names another process.
pub fn new_user_namespace(users: &[IdRange], groups: &[IdRange]) -> Result<fs::File> {
    use crate::process::{Forked, Gate};
    use std::io::Read;
    let (made_read, made_write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .context(|| "pipe failed".to_owned())?;
    let done = Gate::new()?;
    match crate::process::fork()? {
        Forked::Child => {
            drop(made_read);
            let mut set = crate::ns::NsSet::default();
            set.insert(crate::ns::NsKind::User);
            // The errno is the exit status, for the parent to report.
            let code = match crate::ns::unshare(set) {
                Ok(()) => {
                    let me = fs::read_link("/proc/self").unwrap_or_default();
                    let line = format!("{}\n", me.display());
                    if fs::File::from(made_write)
                        .write_all(line.as_bytes())
                        .is_ok()
                    {
                        // Until the parent is done with us, or is gone.
                        done.wait();
                        0
                    } else {
                        libc::EIO
                    }
                }
                Err(e) => e.errno().unwrap_or(libc::EIO),
            };
            // SAFETY: _exit ends the forked child without running the parent's clean-up.
            unsafe { libc::_exit(code) }
        }
        Forked::Parent(child) => {
            drop(made_write);
            let mut line = String::new();
            let _ = fs::File::from(made_read).read_to_string(&mut line);
            let Some(pid) = line.trim().parse::<u32>().ok().filter(|p| *p > 0) else {
                let errno = match child.wait()? {
                    crate::process::ChildEnd::Exited(code) if code > 0 => code,
                    _ => libc::EIO,
                };
                return Err(Error::os(
                    "cannot make a user namespace for the id map: unshare failed",
                    crate::Errno(errno),
                ));
            };
            let opened = [(IdKind::User, users), (IdKind::Group, groups)]
                .into_iter()
                .filter(|(_, ranges)| !ranges.is_empty())
                .try_for_each(|(kind, ranges)| write_map(Some(pid), kind, ranges))
                .and_then(|()| {
                    crate::target::open_ns_file(Path::new(&format!("/proc/{pid}/ns/user")))
                });
            drop(done);
            match opened {
                Ok(file) => child.wait().map(|_| file),
                Err(e) => {
                    child.kill_and_reap();
                    Err(e)
                }
            }
        }
    }
}

/// The inode number the kernel gives the initial user namespace (`PROC_USER_INIT_INO`).
pub(crate) const INITIAL_USER_NS_INODE: u64 = 0xEFFF_FFFD;

/// Whether this process is in the initial user namespace. Inside another one, file systems
/// like overlayfs need unprivileged variants (`userxattr`). The namespace's inode tells, not
/// the shape of its uid map: a namespace can map every id too (`0 0 4294967295`, as systemd's
/// `PrivateUsers=full` does).
pub fn in_initial_user_ns() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self/ns/user").is_ok_and(|m| m.ino() == INITIAL_USER_NS_INODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(inner: u32, outer: u32, count: u32) -> IdRange {
        IdRange {
            inner,
            outer,
            count,
        }
    }

    #[test]
    fn parses_both_range_syntaxes_and_keywords() {
        assert_eq!(
            RangeSpec::parse("0:100000:65536").ok(),
            Some(RangeSpec::Range(r(0, 100000, 65536)))
        );
        assert_eq!(
            RangeSpec::parse("100000,0,65536").ok(),
            Some(RangeSpec::Range(r(0, 100000, 65536)))
        );
        assert_eq!(RangeSpec::parse("auto").ok(), Some(RangeSpec::Auto));
        assert_eq!(RangeSpec::parse("subids").ok(), Some(RangeSpec::Subids));
        assert_eq!(RangeSpec::parse("all").ok(), Some(RangeSpec::All));
        for bad in [
            "1,2",
            "1:2",
            "1:2:3:4",
            "-1:0:1",
            "a:b:c",
            "",
            "1:2:4294967296",
        ] {
            assert_eq!(
                RangeSpec::parse(bad).unwrap_err().to_string(),
                format!("invalid mapping '{bad}'")
            );
        }
    }

    #[test]
    fn single_id_takes_its_place_as_util_linux_lays_it_out() {
        let give = |range| RangeMap {
            range,
            room: Room::GiveUpOne,
        };
        let shift = |range| RangeMap {
            range,
            room: Room::ShiftUp,
        };
        // -r --map-users=0:100000:65536 as root: inner 0 is taken, the outer side loses its top.
        assert_eq!(
            merge_single(r(0, 0, 1), &[give(r(0, 100000, 65536))]),
            vec![r(0, 0, 1), r(1, 100000, 65535)]
        );
        // --map-user=5 with the same range (util-linux 2.42.2: "6 100005 65530").
        assert_eq!(
            merge_single(r(5, 0, 1), &[give(r(0, 100000, 65536))]),
            vec![r(5, 0, 1), r(0, 100000, 5), r(6, 100005, 65530)]
        );
        // Both sides collide: each skips its id, one pair fewer.
        assert_eq!(
            merge_single(r(3, 100007, 1), &[give(r(0, 100000, 10))]),
            vec![
                r(3, 100007, 1),
                r(0, 100000, 3),
                r(4, 100003, 4),
                r(8, 100008, 2)
            ]
        );
        // -r --map-auto: nothing given up, the whole range moves up by one.
        assert_eq!(
            merge_single(r(0, 65534, 1), &[shift(r(0, 200000, 65536))]),
            vec![r(0, 65534, 1), r(1, 200000, 65536)]
        );
        // No collision (also not just past the end, where util-linux drops one): unchanged.
        assert_eq!(
            merge_single(r(5, 0, 1), &[give(r(0, 100000, 5))]),
            vec![r(5, 0, 1), r(0, 100000, 5)]
        );
        assert_eq!(
            merge_single(r(0, 0, 1), &[give(r(1, 1, 10))]),
            vec![r(0, 0, 1), r(1, 1, 10)]
        );
    }

    #[test]
    fn overlapping_ranges_are_refused() {
        assert!(check_disjoint(IdKind::User, &[r(0, 100000, 10), r(10, 100010, 10)]).is_ok());
        let e = check_disjoint(IdKind::User, &[r(0, 100000, 10), r(5, 200000, 10)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "uid ranges 0:100000:10 and 5:200000:10 overlap"
        );
        assert!(check_disjoint(IdKind::Group, &[r(0, 100000, 10), r(50, 100009, 1)]).is_err());
    }

    #[test]
    fn mount_idmaps_parse_as_mount_8_writes_them() {
        assert_eq!(
            MountIdmap::parse("0:100000:65536").unwrap(),
            MountIdmap::Maps {
                users: vec![r(0, 100000, 65536)],
                groups: vec![r(0, 100000, 65536)],
            }
        );
        assert_eq!(
            MountIdmap::parse("u:1000:0:1  g:1001:1:2 b:5000:1000:2").unwrap(),
            MountIdmap::Maps {
                users: vec![r(1000, 0, 1), r(5000, 1000, 2)],
                groups: vec![r(1001, 1, 2), r(5000, 1000, 2)],
            }
        );
        assert_eq!(
            MountIdmap::parse("/proc/7/ns/user").unwrap(),
            MountIdmap::Namespace("/proc/7/ns/user".into())
        );
        for bad in ["", "0:1", "x:0:1:1", "0,1,2", "0:1:0", "u:", "auto", "all"] {
            assert_eq!(
                MountIdmap::parse(bad).unwrap_err().to_string(),
                format!(
                    "invalid id map '{bad}': expected [u:|g:|b:]inner:outer:count \
                     (blank-separated) or a user namespace file"
                )
            );
        }
        assert_eq!(
            MountIdmap::parse("u:0:1:10 u:5:20:1 g:0:1:1")
                .unwrap_err()
                .to_string(),
            "uid ranges 0:1:10 and 5:20:1 overlap"
        );
        assert_eq!(
            MountIdmap::parse("u:0:1:10").unwrap_err().to_string(),
            "id map 'u:0:1:10' maps no groups: the kernel takes an id mapping only with both \
             user and group ranges (b: or no prefix gives both)"
        );
    }

    #[test]
    fn map_text_and_helper_argv() {
        assert_eq!(
            map_text(&[r(0, 1000, 1), r(1, 100000, 5)]),
            "0 1000 1\n1 100000 5\n"
        );
        assert_eq!(
            helper_argv(7, IdKind::Group, &[r(0, 1, 2)]),
            ["newgidmap", "7", "0", "1", "2"]
        );
    }
}
