//! What lsns knows about the machine: the processes, the namespaces they are in, and the
//! namespaces that only a bind mount, an open descriptor or a socket keeps alive.
//!
//! util-linux looks namespaces and parents up in linked lists, so its cost grows with the
//! square of the process count; here every lookup is a hash map, every process costs a fixed
//! number of system calls, and what only some columns need (command lines, parent and owner
//! namespaces, network ids) is read once per namespace, and only when asked for.

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use sys::netnsid::{NetNsId, NsidQuery};
use sys::ns::NsKind;
use sys::proctab::{self, Holder, ProcRoot};
use sys::{Errno, Error, Result, nsfs};

/// The position of `kind` in [`NsKind::ALL`], lsns' type order.
pub fn kind_index(kind: NsKind) -> usize {
    NsKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

/// The parent and owner relations, as util-linux numbers them.
pub const PARENT: usize = 0;
/// See [`PARENT`].
pub const OWNER: usize = 1;

/// One process.
#[derive(Debug, Clone)]
pub struct Process {
    /// Its pid.
    pub pid: u32,
    /// Its parent's pid.
    pub ppid: u32,
    /// The owner of `/proc/PID`.
    pub uid: u32,
    /// The inode of its namespace of each kind (in [`NsKind::ALL`] order); 0 when not read.
    pub ns: [u64; 8],
    /// Its command line, when something will show it.
    pub command: Option<Vec<u8>>,
    /// The index of its parent process, when that was scanned too.
    pub parent: Option<usize>,
}

/// One namespace.
#[derive(Debug, Clone)]
pub struct Namespace {
    /// The inode number that identifies it.
    pub id: u64,
    /// Its kind.
    pub kind: NsKind,
    /// How many scanned processes are in it.
    pub nprocs: u32,
    /// The process with the lowest pid in it.
    pub proc: Option<usize>,
    /// The inodes of its parent and owner namespaces ([`PARENT`], [`OWNER`]; 0: none or
    /// not visible).
    pub related_id: [u64; 2],
    /// The indexes of those namespaces, where they are known.
    pub related: [Option<usize>; 2],
    /// Its network namespace id, for network namespaces when asked for.
    pub netnsid: Option<NetNsId>,
    /// The uid that owns it, for namespaces without processes (`NS_GET_OWNER_UID`; 0 for
    /// kinds other than user, as util-linux shows them).
    pub owner_uid: u32,
}

/// What to read.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    /// The kinds to list.
    pub kinds: [bool; 8],
    /// Parent and owner namespaces of namespaces with processes.
    pub related: bool,
    /// Network namespace ids.
    pub netnsid: bool,
    /// The namespace whose processes are listed (then all of them are shown, otherwise the
    /// lowest process of each namespace).
    pub nsid: Option<u64>,
    /// Command lines of the processes shown.
    pub commands: bool,
}

/// The machine's namespaces, as one scan found them.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The processes, in `/proc` order.
    pub processes: Vec<Process>,
    /// The namespaces, sorted by inode once the scan is done.
    pub namespaces: Vec<Namespace>,
    index: HashMap<u64, usize>,
    /// Where nsfs files are bind-mounted, by the mount's root (`net:[4026532413]`), in
    /// mountinfo order.
    pub nsfs_mounts: HashMap<Vec<u8>, Vec<Vec<u8>>>,
}

/// A namespace an open descriptor holds: the process, the descriptor number, and what it is.
struct Held {
    pid: u32,
    fd: i32,
    holder: Holder,
}

/// Reads the machine into a [`Snapshot`].
struct Scanner {
    wanted: Wanted,
    snap: Snapshot,
    nsid: Option<NsidQuery>,
    proc_root: ProcRoot,
    /// Namespace and socket descriptors seen in descriptor tables, each file once.
    held: Vec<Held>,
    held_seen: HashSet<Holder>,
    /// The first fatal nsfs ioctl failure (ENOTTY/ENOSYS: exit 2).
    unsupported: Option<&'static str>,
}

/// What one process's `/proc` directory said.
struct Raw {
    pid: u32,
    ns: [u64; 8],
    files: Vec<proctab::OpenFile>,
}

/// Read process `pid`; `None` when it exits meanwhile (ENOENT/ESRCH), so it is left out
/// entirely. Links closed to us (EACCES: pid 1 in some containers) just stay unknown.
fn read_raw(root: &ProcRoot, pid: u32, kinds: [bool; 8], nsfs_dev: Option<u64>) -> Option<Raw> {
    let dir = root.process(pid).ok()?;
    let mut ns = [0u64; 8];
    for (i, kind) in NsKind::ALL.into_iter().enumerate() {
        if kinds[i] {
            match dir.ns_inode(kind) {
                Ok(ino) => ns[i] = ino,
                Err(e) if proctab::is_gone(e) => return None,
                Err(_) => {}
            }
        }
    }
    Some(Raw {
        pid,
        ns,
        files: dir.open_files(nsfs_dev).unwrap_or_default(),
    })
}

/// Read every process, on as many threads as there are CPUs (the work is all system calls,
/// and processes are independent); the result keeps `/proc` order.
fn read_all(root: &ProcRoot, pids: &[u32], kinds: [bool; 8]) -> Vec<Raw> {
    let nsfs_dev = proctab::nsfs_device();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8);
    if threads == 1 || pids.len() < 256 {
        return pids
            .iter()
            .filter_map(|&p| read_raw(root, p, kinds, nsfs_dev))
            .collect();
    }
    let chunk = pids.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = pids
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|&p| read_raw(root, p, kinds, nsfs_dev))
                        .collect::<Vec<Raw>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    })
}

/// Scan `/proc` and mountinfo.
pub fn scan(wanted: Wanted) -> Result<Snapshot> {
    let supported = NsKind::ALL.map(sys::target::kernel_has);
    let kinds: [bool; 8] = std::array::from_fn(|i| wanted.kinds[i] && supported[i]);
    let mut nsfs_mounts: HashMap<Vec<u8>, Vec<Vec<u8>>> = HashMap::new();
    let mounts =
        sys::mount::mountinfo().map_err(|e| e.context("failed to parse /proc/self/mountinfo"))?;
    for m in mounts.into_iter().filter(|m| m.fstype == "nsfs") {
        use std::os::unix::ffi::OsStrExt;
        let targets = nsfs_mounts
            .entry(m.root.as_os_str().as_bytes().to_vec())
            .or_default();
        let target = m.mount_point.as_os_str().as_bytes().to_vec();
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    let proc_root = ProcRoot::open()?;
    let mut raws = read_all(&proc_root, &proc_root.pids()?, kinds);
    let mut scanner = Scanner {
        wanted,
        snap: Snapshot::default(),
        nsid: if wanted.netnsid {
            NsidQuery::open()
        } else {
            None
        },
        proc_root,
        held: Vec::new(),
        held_seen: HashSet::new(),
        unsupported: None,
    };
    // Parent pids, owners and command lines are read last, for the processes shown; one that
    // has exited by then is taken out and the namespaces are counted again without it.
    loop {
        scanner.snap = Snapshot {
            nsfs_mounts: nsfs_mounts.clone(),
            ..Snapshot::default()
        };
        for raw in &raws {
            scanner.add_process(raw);
        }
        let gone = scanner.read_shown();
        if gone.is_empty() {
            break;
        }
        raws.retain(|r| !gone.contains(&r.pid));
    }
    for raw in &raws {
        for f in &raw.files {
            if scanner.held_seen.insert(f.holder) {
                scanner.held.push(Held {
                    pid: raw.pid,
                    fd: f.fd,
                    holder: f.holder,
                });
            }
        }
    }
    scanner.link_parents();
    scanner.add_held();
    scanner.add_mounted();
    if let Some(request) = scanner.unsupported {
        return Err(Error::msg(format!("Unsupported ioctl {request}")).with_status(2));
    }
    let mut snap = scanner.snap;
    snap.sort();
    Ok(snap)
}

impl Snapshot {
    /// The namespace with inode `id`.
    pub fn get(&self, id: u64) -> Option<usize> {
        self.index.get(&id).copied()
    }

    /// The process with pid `pid`.
    pub fn process(&self, pid: u32) -> Option<&Process> {
        self.processes.iter().find(|p| p.pid == pid)
    }

    /// Sort the namespaces by inode, keeping the indexes that point at them right.
    fn sort(&mut self) {
        let mut order: Vec<usize> = (0..self.namespaces.len()).collect();
        order.sort_by_key(|&i| self.namespaces[i].id);
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut sorted: Vec<Namespace> =
            order.iter().map(|&i| self.namespaces[i].clone()).collect();
        for ns in &mut sorted {
            for r in &mut ns.related {
                *r = r.map(|old| new_index[old]);
            }
        }
        self.namespaces = sorted;
        self.index = self
            .namespaces
            .iter()
            .enumerate()
            .map(|(i, ns)| (ns.id, i))
            .collect();
    }

    /// Link every namespace to its parent and owner where those are listed (the owner and
    /// parent trees); those that are not, but can be reached through the nsfs ioctls from a
    /// process of the namespace, are added (with no processes), as util-linux does.
    pub fn connect(&mut self, kinds: [bool; 8]) {
        for i in 0..self.namespaces.len() {
            for rela in [PARENT, OWNER] {
                let id = self.namespaces[i].related_id[rela];
                if id != 0 {
                    self.namespaces[i].related[rela] = self.get(id);
                }
            }
        }
        let Ok(proc_root) = ProcRoot::open() else {
            return;
        };
        let mut scanner = Scanner {
            wanted: Wanted {
                kinds,
                related: true,
                netnsid: false,
                nsid: None,
                commands: false,
            },
            snap: std::mem::take(self),
            nsid: None,
            proc_root,
            held: Vec::new(),
            held_seen: HashSet::new(),
            unsupported: None,
        };
        let count = scanner.snap.namespaces.len();
        for rela in [PARENT, OWNER] {
            for i in 0..count {
                let ns = &scanner.snap.namespaces[i];
                if ns.related_id[rela] == 0 || ns.related[rela].is_some() {
                    continue;
                }
                scanner.add_ghost(i, rela);
            }
        }
        *self = scanner.snap;
        self.sort();
    }
}

impl Scanner {
    fn add_process(&mut self, raw: &Raw) {
        let index = self.snap.processes.len();
        self.snap.processes.push(Process {
            pid: raw.pid,
            ppid: 0,
            uid: 0,
            ns: raw.ns,
            command: None,
            parent: None,
        });
        for (i, kind) in NsKind::ALL.into_iter().enumerate() {
            if raw.ns[i] != 0 {
                self.join(index, kind, raw.ns[i]);
            }
        }
    }

    /// Read what only shown processes need (parent pid, owner, command line): the lowest
    /// process of each namespace, or every process of the one namespace listed. The pids of
    /// processes found gone.
    fn read_shown(&mut self) -> Vec<u32> {
        let mut shown: Vec<usize> = match self.wanted.nsid {
            None => self.snap.namespaces.iter().filter_map(|n| n.proc).collect(),
            Some(id) => self
                .snap
                .processes
                .iter()
                .enumerate()
                .filter(|(_, p)| p.ns.contains(&id))
                .map(|(i, _)| i)
                .collect(),
        };
        shown.sort_unstable();
        shown.dedup();
        let mut gone = Vec::new();
        for p in shown {
            let pid = self.snap.processes[p].pid;
            let read = self.proc_root.process(pid).and_then(|dir| {
                let stat = dir.stat()?;
                let uid = dir.uid()?;
                let command = if self.wanted.commands {
                    dir.command()?
                } else {
                    None
                };
                Ok((stat.ppid, uid, command))
            });
            match read {
                Ok((ppid, uid, command)) => {
                    let proc = &mut self.snap.processes[p];
                    (proc.ppid, proc.uid, proc.command) = (ppid, uid, command);
                }
                Err(e) if proctab::is_gone(e) => gone.push(pid),
                Err(_) => {}
            }
        }
        gone
    }

    /// Count process `index` in namespace `id`, creating it at first sight. Parent, owner
    /// and network id are asked of the kernel once per namespace, through this process.
    fn join(&mut self, index: usize, kind: NsKind, id: u64) {
        let pid = self.snap.processes[index].pid;
        let n = match self.snap.get(id) {
            Some(n) => n,
            None => {
                let mut ns = Namespace {
                    id,
                    kind,
                    nprocs: 0,
                    proc: None,
                    related_id: [0, 0],
                    related: [None, None],
                    netnsid: None,
                    owner_uid: 0,
                };
                if self.wanted.related || (self.wanted.netnsid && kind == NsKind::Net) {
                    let fd = self.proc_root.process(pid).and_then(|d| d.open_ns(kind));
                    if let Ok(fd) = fd {
                        if self.wanted.related {
                            ns.related_id = self.related_ids(fd.as_fd(), kind);
                        }
                        if kind == NsKind::Net {
                            ns.netnsid = self.nsid.as_ref().and_then(|q| q.nsid(fd.as_fd()));
                        }
                    }
                }
                self.push(ns)
            }
        };
        let ns = &mut self.snap.namespaces[n];
        ns.nprocs += 1;
        if ns.proc.is_none_or(|p| self.snap.processes[p].pid > pid) {
            ns.proc = Some(index);
        }
    }

    fn push(&mut self, ns: Namespace) -> usize {
        let n = self.snap.namespaces.len();
        self.snap.index.insert(ns.id, n);
        self.snap.namespaces.push(ns);
        n
    }

    /// The parent and owner inodes of the namespace `fd`.
    fn related_ids(&mut self, fd: BorrowedFd<'_>, kind: NsKind) -> [u64; 2] {
        let parent = self.checked(nsfs::parent(fd, kind), "NS_GET_PARENT");
        let owner = self.checked(nsfs::owner(fd), "NS_GET_USERNS");
        let ino = |f: Option<OwnedFd>| f.and_then(|f| nsfs::inode(f.as_fd()).ok()).unwrap_or(0);
        [ino(parent), ino(owner)]
    }

    /// An nsfs ioctl's answer; ENOTTY/ENOSYS is remembered for exit status 2.
    fn checked(
        &mut self,
        r: std::result::Result<Option<OwnedFd>, Errno>,
        request: &'static str,
    ) -> Option<OwnedFd> {
        match r {
            Ok(fd) => fd,
            Err(e) => {
                if nsfs::is_unsupported(e) && self.unsupported.is_none() {
                    self.unsupported = Some(request);
                }
                None
            }
        }
    }

    fn link_parents(&mut self) {
        let by_pid: HashMap<u32, usize> = self
            .snap
            .processes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.pid, i))
            .collect();
        for p in &mut self.snap.processes {
            p.parent = by_pid.get(&p.ppid).copied();
        }
    }

    /// Namespaces that descriptors hold: nsfs files, and the network namespaces of sockets.
    fn add_held(&mut self) {
        for held in std::mem::take(&mut self.held) {
            let wanted = match held.holder {
                // A kind not known yet is asked of the file itself (add_nsfd).
                Holder::Namespace(kind, id) => {
                    kind.is_none_or(|k| self.wanted.kinds[kind_index(k)])
                        && self.snap.get(id).is_none()
                }
                Holder::Socket(_) => self.wanted.kinds[kind_index(NsKind::Net)],
            };
            if !wanted {
                continue;
            }
            let Ok(dir) = self.proc_root.process(held.pid) else {
                continue;
            };
            if let Holder::Socket(_) = held.holder {
                let Ok(pidfd) = dir.pidfd() else { continue };
                let Ok(sock) = nsfs::pidfd_getfd(pidfd.as_fd(), held.fd) else {
                    continue;
                };
                let Ok(netns) = nsfs::socket_netns(sock.as_fd()) else {
                    continue;
                };
                self.add_nsfd(netns.as_fd());
            } else if let Ok(fd) = dir.open_fd(held.fd) {
                // The process may have closed the descriptor and opened another file under
                // its number since it was read: one that is no namespace now is passed over
                // (util-linux warns "Unsupported ioctl NS_GET_NSTYPE" then; lsns(8) NOTES).
                if nsfs::kind(fd.as_fd()).is_ok() {
                    self.add_nsfd(fd.as_fd());
                }
            }
        }
    }

    /// Namespaces bind-mounted somewhere (nsfs entries of mountinfo).
    fn add_mounted(&mut self) {
        let mut roots: Vec<(u64, Vec<u8>)> = Vec::new();
        for (root, targets) in &self.snap.nsfs_mounts {
            let Some(id) = root_inode(root) else { continue };
            if let Some(target) = targets.first() {
                roots.push((id, target.clone()));
            }
        }
        roots.sort();
        for (id, target) in roots {
            if self.snap.get(id).is_some() {
                continue;
            }
            use std::os::unix::ffi::OsStrExt;
            let path = std::path::Path::new(std::ffi::OsStr::from_bytes(&target));
            if let Ok(fd) = nsfs::open(path) {
                self.add_nsfd(fd.as_fd());
            }
        }
    }

    /// Add the namespace behind `fd` unless it is known or of a kind not listed, then its
    /// parent and owner the same way; its index.
    fn add_nsfd(&mut self, fd: BorrowedFd<'_>) -> Option<usize> {
        let id = nsfs::inode(fd).ok()?;
        if let Some(n) = self.snap.get(id) {
            return Some(n);
        }
        let kind = match nsfs::kind(fd) {
            Ok(k) => k?,
            Err(e) => {
                if nsfs::is_unsupported(e) && self.unsupported.is_none() {
                    self.unsupported = Some("NS_GET_NSTYPE");
                }
                return None;
            }
        };
        if !self.wanted.kinds[kind_index(kind)] {
            return None;
        }
        let parent = self.checked(nsfs::parent(fd, kind), "NS_GET_PARENT");
        let owner = self.checked(nsfs::owner(fd), "NS_GET_USERNS");
        let ino = |f: &Option<OwnedFd>| {
            f.as_ref()
                .and_then(|f| nsfs::inode(f.as_fd()).ok())
                .unwrap_or(0)
        };
        let related_id = [ino(&parent), ino(&owner)];
        let netnsid = if kind == NsKind::Net {
            self.nsid.as_ref().and_then(|q| q.nsid(fd))
        } else {
            None
        };
        let owner_uid = nsfs::owner_uid(fd).unwrap_or(0);
        let n = self.push(Namespace {
            id,
            kind,
            nprocs: 0,
            proc: None,
            related_id,
            related: [None, None],
            netnsid,
            owner_uid,
        });
        if let Some(p) = parent.filter(|_| related_id[PARENT] != id && related_id[PARENT] != 0) {
            let found = self.add_nsfd(p.as_fd());
            self.snap.namespaces[n].related[PARENT] = found;
            if related_id[PARENT] == related_id[OWNER] {
                self.snap.namespaces[n].related[OWNER] = found;
            }
        }
        if self.snap.namespaces[n].related[OWNER].is_none() {
            if let Some(o) = owner.filter(|_| related_id[OWNER] != 0) {
                let found = self.add_nsfd(o.as_fd());
                self.snap.namespaces[n].related[OWNER] = found;
            }
        }
        Some(n)
    }

    /// Reach namespace `i`'s missing parent or owner through a process of it.
    fn add_ghost(&mut self, i: usize, rela: usize) {
        let want = self.snap.namespaces[i].related_id[rela];
        if let Some(found) = self.snap.get(want) {
            self.snap.namespaces[i].related[rela] = Some(found);
            return;
        }
        let Some(p) = self.snap.namespaces[i].proc else {
            return;
        };
        let kind = self.snap.namespaces[i].kind;
        let Ok(dir) = self.proc_root.process(self.snap.processes[p].pid) else {
            return;
        };
        let Ok(fd) = dir.open_ns(kind) else { return };
        let missing = if rela == PARENT {
            nsfs::parent(fd.as_fd(), kind)
        } else {
            nsfs::owner(fd.as_fd())
        };
        let Ok(Some(missing)) = missing else { return };
        if nsfs::inode(missing.as_fd()).ok() != Some(want) {
            return;
        }
        let found = self.add_nsfd(missing.as_fd());
        self.snap.namespaces[i].related[rela] = found;
    }
}

/// The namespace inode in an nsfs mount root (`net:[4026532413]`).
fn root_inode(root: &[u8]) -> Option<u64> {
    let open = root.iter().position(|&b| b == b'[')?;
    let rest = &root[open + 1..];
    let close = rest.iter().position(|&b| b == b']')?;
    std::str::from_utf8(&rest[..close]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsfs_roots() {
        assert_eq!(root_inode(b"net:[4026532413]"), Some(4026532413));
        assert_eq!(root_inode(b"net:[x]"), None);
        assert_eq!(root_inode(b"/"), None);
    }
}
