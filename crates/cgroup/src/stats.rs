//! One sample of the counters of every group, for `cgtop`.
//!
//! [`Watcher::sample`] walks the hierarchies given to it ([`watched`] picks them: each v1 hierarchy
//! carrying a controller with counters, and the unified one), reads in each group the files
//! the caller wants, and merges what the hierarchies say about one group path into one
//! [`Counters`]: on a hybrid host, `/g` has its CPU time from the `cpuacct` hierarchy, its
//! memory from the `memory` one and its pressure from the unified one. A counter no
//! hierarchy has for a group is `None`, never 0: a group of the `memory` hierarchy only shows
//! no CPU time at all.
//!
//! The v1 and v2 names and units are read into one meaning (the reading side of
//! [`crate::translate`]): CPU time in microseconds (`cpu.stat usage_usec`, v1
//! `cpuacct.usage` in ns), memory in use and its limit (`memory.current`/`memory.max`, v1
//! `memory.usage_in_bytes`/`memory.limit_in_bytes`, v1's "unlimited" page-counter maximum
//! read as unlimited), swap, I/O bytes (`io.stat`, v1 `blkio.throttle.io_service_bytes`),
//! throttling (`cpu.stat`, v1 `throttled_time` in ns), OOM kills (`memory.events`, v1
//! `memory.oom_control`), PSI (`*.pressure`, v2 only).
//!
//! Groups come and go while a sample is taken: a group whose directory is gone (ENOENT on
//! the directory, ENODEV on a file of a removed group) is left out; a file that is absent or
//! that the user may not read is an absent counter. A group is walked into only when its
//! directory has subdirectories; its files stay open from one sample to the next and are
//! read again from their start (see [`Watcher`]), in one `pread` each: cgroup files are
//! `seq_file`s, which fill a read buffer completely unless they are at their end. The PSI
//! files are read again only once the kernel can have changed their averages: it updates
//! them every [`PSI_PERIOD`], and formatting them is the dearest read of a v2 group.

use std::collections::{BTreeMap, HashMap};
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Instant, SystemTime};

use rustix::fs::{CWD, FileType, Mode, OFlags, RawDir, openat};
use rustix::io::Errno;

use crate::{GroupPath, Hierarchies, Hierarchy, Version};

/// A limit as the kernel shows it: a number, or none (`max`, or v1's largest value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// No limit.
    Unlimited,
    /// This many (bytes, or tasks for `pids.max`).
    Value(u64),
}

/// One PSI line pair's 10-second averages, in percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pressure {
    /// `some avg10`: the share of time at least one task stalled.
    pub some_avg10: f64,
    /// `full avg10`: the share of time all non-idle tasks stalled (absent from
    /// `cpu.pressure` before Linux 5.13).
    pub full_avg10: Option<f64>,
}

/// What the hierarchies say about one group at one time. Counters are cumulative as the
/// kernel keeps them; rates come from two samples (see [`Sample`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    /// Tasks (threads) in the group and its descendants: `pids.current`.
    pub pids_current: Option<u64>,
    /// `pids.max`.
    pub pids_max: Option<Limit>,
    /// Processes in the group itself (`cgroup.procs`), read only where no hierarchy has
    /// `pids.current` for the group.
    pub procs: Option<u64>,
    /// CPU time used, in microseconds.
    pub cpu_usage_usec: Option<u64>,
    /// Enforcement periods elapsed (`nr_periods`).
    pub cpu_periods: Option<u64>,
    /// Periods in which the group was throttled (`nr_throttled`).
    pub cpu_throttled: Option<u64>,
    /// Time throttled, in microseconds.
    pub cpu_throttled_usec: Option<u64>,
    /// Memory in use, bytes.
    pub memory_current: Option<u64>,
    /// The memory limit.
    pub memory_max: Option<Limit>,
    /// Swap in use, bytes (v1: `memory.memsw.usage_in_bytes` less the memory in use).
    pub swap_current: Option<u64>,
    /// The swap limit (v2 only: v1 limits memory and swap together).
    pub swap_max: Option<Limit>,
    /// Bytes read from block devices.
    pub io_read_bytes: Option<u64>,
    /// Bytes written to block devices.
    pub io_write_bytes: Option<u64>,
    /// Processes killed by the OOM killer in the group (v2: and its descendants).
    pub oom_kills: Option<u64>,
    /// `cpu.pressure`.
    pub cpu_pressure: Option<Pressure>,
    /// `memory.pressure`.
    pub memory_pressure: Option<Pressure>,
    /// `io.pressure`.
    pub io_pressure: Option<Pressure>,
}

impl Counters {
    /// Fill every counter this one lacks from `other`.
    fn merge(&mut self, other: Counters) {
        fn fill<T>(mine: &mut Option<T>, theirs: Option<T>) {
            if mine.is_none() {
                *mine = theirs;
            }
        }
        fill(&mut self.pids_current, other.pids_current);
        fill(&mut self.pids_max, other.pids_max);
        fill(&mut self.procs, other.procs);
        fill(&mut self.cpu_usage_usec, other.cpu_usage_usec);
        fill(&mut self.cpu_periods, other.cpu_periods);
        fill(&mut self.cpu_throttled, other.cpu_throttled);
        fill(&mut self.cpu_throttled_usec, other.cpu_throttled_usec);
        fill(&mut self.memory_current, other.memory_current);
        fill(&mut self.memory_max, other.memory_max);
        fill(&mut self.swap_current, other.swap_current);
        fill(&mut self.swap_max, other.swap_max);
        fill(&mut self.io_read_bytes, other.io_read_bytes);
        fill(&mut self.io_write_bytes, other.io_write_bytes);
        fill(&mut self.oom_kills, other.oom_kills);
        fill(&mut self.cpu_pressure, other.cpu_pressure);
        fill(&mut self.memory_pressure, other.memory_pressure);
        fill(&mut self.io_pressure, other.io_pressure);
    }

    /// The task count as systemd-cgtop shows it: `pids.current` (threads, descendants
    /// included), else the group's own processes.
    pub fn tasks(&self) -> Option<u64> {
        self.pids_current.or(self.procs)
    }
}

/// Which counters to read (each costs a file per group). The task count is always read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wanted {
    /// CPU time.
    pub cpu: bool,
    /// Throttling (`cpu.stat` on v2 too, `cpu.stat` of the v1 `cpu` hierarchy).
    pub throttle: bool,
    /// Memory in use and its limit.
    pub memory: bool,
    /// Swap in use and its limit.
    pub swap: bool,
    /// OOM kills.
    pub oom: bool,
    /// I/O bytes.
    pub io: bool,
    /// `pids.max`.
    pub pids_max: bool,
    /// PSI.
    pub pressure: bool,
}

impl Wanted {
    /// Everything.
    pub const ALL: Wanted = Wanted {
        cpu: true,
        throttle: true,
        memory: true,
        swap: true,
        oom: true,
        io: true,
        pids_max: true,
        pressure: true,
    };
}

/// Every group's counters at one time.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When it was taken, on the monotonic clock (rates divide by the time between two).
    pub at: Instant,
    /// When it was taken, on the wall clock (for printing).
    pub wall: SystemTime,
    /// The groups, by path.
    pub groups: BTreeMap<GroupPath, Counters>,
}

/// The controllers whose files [`sample`] reads.
const COUNTED: &[&str] = &["cpu", "cpuacct", "memory", "blkio", "io", "pids"];

/// The hierarchies worth walking: each v1 one carrying a controller with counters, and the
/// unified one even without controllers (its groups have `cpu.stat` and the PSI files).
pub fn watched(hierarchies: &Hierarchies) -> Vec<Hierarchy> {
    let mut out: Vec<Hierarchy> = hierarchies
        .list
        .iter()
        .filter(|h| h.version == Version::V1 && COUNTED.iter().any(|c| h.has(c)))
        .cloned()
        .collect();
    out.extend(hierarchies.unified());
    out
}

/// Takes samples of the groups of some hierarchies, again and again. It keeps each group's
/// directory and files open between samples and reads them again from their start
/// (`pread`), which makes a group one `fstat` and a `pread` per file rather than an
/// `openat`, a `read` and a `close` per file and the directory's (1,000 groups in five v1
/// hierarchies: 37 ms of CPU a sample instead of 55 ms). Groups gone since are dropped;
/// files absent are
/// looked for again every [`RETRY_ABSENT`] samples (a controller may have been enabled).
/// The open files count against `RLIMIT_NOFILE`, whose soft limit [`Watcher::new`] raises
/// to the hard one; past it (less a reserve), files are opened, read and closed each time.
#[derive(Debug)]
pub struct Watcher {
    hierarchies: Vec<Hierarchy>,
    /// Per hierarchy, the groups open.
    open: Vec<HashMap<GroupPath, OpenGroup>>,
    buf: Vec<u8>,
    dir_buf: Vec<MaybeUninit<u8>>,
    /// Samples taken.
    generation: u64,
    /// When the sample being taken started.
    sampled_at: Instant,
    /// Files that may still be kept open.
    budget: usize,
}

/// How many samples an absent file stays absent before it is looked for again.
pub const RETRY_ABSENT: u64 = 10;

/// How often the kernel recomputes a group's PSI averages (`PSI_FREQ` in kernel/sched/psi.c:
/// two seconds and a tick, when a PSI file is read or by its own worker). A group's
/// `*.pressure` files are read again only when this much time has passed since the last
/// read, which shows each new value at most this much later and saves a third of the cost
/// of refreshing a v2 group (`bench/cgtop.sh`).
pub const PSI_PERIOD: std::time::Duration = std::time::Duration::from_secs(2);

/// File descriptors left for everything else.
const FD_RESERVE: u64 = 64;

#[derive(Debug)]
struct OpenGroup {
    dir: OwnedFd,
    /// Files by name: kept open, or known absent.
    files: Vec<(&'static str, Option<OwnedFd>)>,
    /// The sample that last saw the group.
    seen: u64,
    /// The PSI averages last read (`cpu`, `memory`, `io`) and when (see [`PSI_PERIOD`]).
    pressure: Option<(Instant, [Option<Pressure>; 3])>,
}

impl Watcher {
    /// A watcher of `hierarchies` (see [`watched`]).
    pub fn new(hierarchies: Vec<Hierarchy>) -> Watcher {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        let soft = match setrlimit(Resource::Nofile, raised) {
            Ok(()) => limit.maximum,
            Err(_) => limit.current,
        };
        let budget = soft.map_or(usize::MAX, |n| {
            usize::try_from(n.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX)
        });
        Watcher {
            open: hierarchies.iter().map(|_| HashMap::new()).collect(),
            hierarchies,
            buf: Vec::new(),
            dir_buf: vec![MaybeUninit::uninit(); 16 * 1024],
            generation: 0,
            sampled_at: Instant::now(),
            budget,
        }
    }

    /// The hierarchies watched.
    pub fn hierarchies(&self) -> &[Hierarchy] {
        &self.hierarchies
    }

    /// Take a sample of `under` and its descendants down to `depth` levels below it (all
    /// when `None`) in each hierarchy.
    pub fn sample(&mut self, under: &GroupPath, depth: Option<usize>, wanted: &Wanted) -> Sample {
        self.generation += 1;
        // Each group's counters, and the hierarchy it was first seen in (for `cgroup.procs`).
        // Found in walk order, merged through an index (moving the counters around a B-tree
        // as they arrive costs more than the rest of the bookkeeping), sorted once at the end.
        let mut found: Vec<(GroupPath, Counters, usize)> = Vec::new();
        let mut by_path: HashMap<GroupPath, usize> = HashMap::new();
        let at = Instant::now();
        self.sampled_at = at;
        let wall = SystemTime::now();
        for index in 0..self.hierarchies.len() {
            self.walk(
                index,
                under.clone(),
                depth,
                wanted,
                &mut |path, counters| match by_path.get(&path) {
                    Some(&i) => found[i].1.merge(counters),
                    None => {
                        by_path.insert(path.clone(), found.len());
                        found.push((path, counters, index));
                    }
                },
            );
        }
        for (path, counters, index) in &mut found {
            if counters.pids_current.is_none() {
                if let Some(group) = self.open[*index].get_mut(path) {
                    let mut files = GroupFiles::new(&mut self.buf, group, &mut self.budget);
                    counters.procs = files
                        .read("cgroup.procs")
                        .map(|text| text.lines().count() as u64);
                }
            }
        }
        // Sorted by index, each entry then moved once (the counters are a few hundred bytes).
        let mut order: Vec<usize> = (0..found.len()).collect();
        order.sort_unstable_by(|&a, &b| found[a].0.cmp(&found[b].0));
        let mut slots: Vec<Option<(GroupPath, Counters)>> =
            found.into_iter().map(|(p, c, _)| Some((p, c))).collect();
        let groups = order.into_iter().filter_map(|i| slots[i].take()).collect();
        let generation = self.generation;
        for open in &mut self.open {
            open.retain(|_, g| g.seen == generation);
            if generation % RETRY_ABSENT == 0 {
                for g in open.values_mut() {
                    g.files.retain(|(_, fd)| fd.is_some());
                }
            }
        }
        Sample { at, wall, groups }
    }

    /// The group `path` of hierarchy `index`, then its children, depth first, `levels`
    /// levels down at most.
    fn walk(
        &mut self,
        index: usize,
        path: GroupPath,
        levels: Option<usize>,
        wanted: &Wanted,
        found: &mut dyn FnMut(GroupPath, Counters),
    ) {
        let h = &self.hierarchies[index];
        let at = self.sampled_at;
        let open = &mut self.open[index];
        if !open.contains_key(&path) {
            let Ok(dir) = open_dir(&h.mount_point.join(path.as_str())) else {
                return; // gone, or not ours to read
            };
            let group = OpenGroup {
                dir,
                files: Vec::new(),
                seen: 0,
                pressure: None,
            };
            open.insert(path.clone(), group);
        }
        let Some(group) = open.get_mut(&path) else {
            return;
        };
        group.seen = self.generation;
        let mut files = GroupFiles::new(&mut self.buf, group, &mut self.budget);
        let counters = match h.version {
            Version::V2 => files.read_v2(h, wanted, at),
            Version::V1 => files.read_v1(h, wanted),
        };
        if files.gone {
            open.remove(&path);
            return;
        }
        // A kernfs (and tmpfs) directory's link count is 2 plus its subdirectories: most
        // groups are leaves, and listing their many files is the dearest part of a sample.
        let has_children =
            levels != Some(0) && rustix::fs::fstat(&group.dir).map_or(true, |st| st.st_nlink != 2);
        if !has_children {
            found(path, counters);
            return;
        }
        found(path.clone(), counters);
        let mut children = Vec::new();
        if rustix::fs::seek(&group.dir, rustix::fs::SeekFrom::Start(0)).is_ok() {
            let mut entries = RawDir::new(&group.dir, &mut self.dir_buf);
            while let Some(Ok(entry)) = entries.next() {
                let name = entry.file_name().to_bytes();
                if entry.file_type() == FileType::Directory && name != b"." && name != b".." {
                    children.push(String::from_utf8_lossy(name).into_owned());
                }
            }
        }
        for name in children {
            self.walk(
                index,
                path.join(&name),
                levels.map(|n| n - 1),
                wanted,
                found,
            );
        }
    }
}

fn open_dir(dir: &Path) -> Result<OwnedFd, Errno> {
    openat(
        CWD,
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// The files of one open group, read into a shared buffer.
struct GroupFiles<'a> {
    buf: &'a mut Vec<u8>,
    group: &'a mut OpenGroup,
    budget: &'a mut usize,
    /// Whether a read saw ENODEV: the group was removed under us.
    gone: bool,
}

impl<'a> GroupFiles<'a> {
    fn new(buf: &'a mut Vec<u8>, group: &'a mut OpenGroup, budget: &'a mut usize) -> Self {
        GroupFiles {
            buf,
            group,
            budget,
            gone: false,
        }
    }

    /// A file of the group as text; `None` when absent or unreadable.
    fn read(&mut self, name: &'static str) -> Option<&str> {
        let known = self.group.files.iter().position(|(n, _)| *n == name);
        let opened;
        let fd = match known {
            Some(i) => self.group.files[i].1.as_ref()?,
            None => {
                let flags = OFlags::RDONLY | OFlags::CLOEXEC;
                match openat(&self.group.dir, name, flags, Mode::empty()) {
                    Ok(fd) if *self.budget > 0 => {
                        *self.budget -= 1;
                        self.group.files.push((name, Some(fd)));
                        self.group.files.last()?.1.as_ref()?
                    }
                    Ok(fd) => {
                        opened = fd;
                        &opened
                    }
                    Err(e) => {
                        self.gone |= e == Errno::NODEV;
                        if e == Errno::NOENT || e == Errno::ACCESS {
                            self.group.files.push((name, None));
                        }
                        return None;
                    }
                }
            }
        };
        // The buffer keeps its length between reads: no clearing of 16 KiB per file.
        const CHUNK: usize = 16 * 1024;
        let mut filled = 0;
        loop {
            if self.buf.len() < filled + CHUNK {
                self.buf.resize(filled + CHUNK, 0);
            }
            let chunk = &mut self.buf[filled..filled + CHUNK];
            match rustix::io::pread(fd, chunk, filled as u64) {
                Ok(n) => {
                    filled += n;
                    // A seq_file read stops short only at the end of the file.
                    if n < CHUNK {
                        break;
                    }
                }
                Err(e) => {
                    self.gone |= e == Errno::NODEV;
                    return None;
                }
            }
        }
        std::str::from_utf8(&self.buf[..filled]).ok()
    }

    fn number(&mut self, name: &'static str) -> Option<u64> {
        self.read(name).and_then(|t| t.trim().parse().ok())
    }

    fn limit(&mut self, name: &'static str) -> Option<Limit> {
        self.read(name).and_then(parse_limit)
    }

    fn pressure(&mut self, name: &'static str) -> Option<Pressure> {
        self.read(name).and_then(parse_pressure)
    }

    /// The counters of a v2 group; `at` is the time of the sample (for [`PSI_PERIOD`]).
    fn read_v2(&mut self, h: &Hierarchy, wanted: &Wanted, at: Instant) -> Counters {
        let mut c = Counters::default();
        if h.has("pids") {
            c.pids_current = self.number("pids.current");
            if wanted.pids_max {
                c.pids_max = self.limit("pids.max");
            }
        }
        // cpu.stat is there without the cpu controller, with usage_usec only.
        if wanted.cpu || wanted.throttle {
            if let Some(text) = self.read("cpu.stat") {
                [
                    c.cpu_usage_usec,
                    c.cpu_periods,
                    c.cpu_throttled,
                    c.cpu_throttled_usec,
                ] = keyed_all(
                    text,
                    ["usage_usec", "nr_periods", "nr_throttled", "throttled_usec"],
                );
            }
        }
        if h.has("memory") {
            if wanted.memory {
                c.memory_current = self.number("memory.current");
                c.memory_max = self.limit("memory.max");
            }
            if wanted.swap {
                c.swap_current = self.number("memory.swap.current");
                c.swap_max = self.limit("memory.swap.max");
            }
            if wanted.oom {
                c.oom_kills = self
                    .read("memory.events")
                    .and_then(|t| keyed_all(t, ["oom_kill"])[0]);
            }
        }
        if wanted.io && h.has("io") {
            if let Some((read, written)) = self.read("io.stat").map(parse_io_stat) {
                c.io_read_bytes = Some(read);
                c.io_write_bytes = Some(written);
            }
        }
        if wanted.pressure {
            let [cpu, memory, io] = match self.group.pressure {
                Some((read, last)) if at.saturating_duration_since(read) < PSI_PERIOD => last,
                _ => {
                    let now = [
                        self.pressure("cpu.pressure"),
                        self.pressure("memory.pressure"),
                        self.pressure("io.pressure"),
                    ];
                    self.group.pressure = Some((at, now));
                    now
                }
            };
            (c.cpu_pressure, c.memory_pressure, c.io_pressure) = (cpu, memory, io);
        }
        c
    }

    fn read_v1(&mut self, h: &Hierarchy, wanted: &Wanted) -> Counters {
        let mut c = Counters::default();
        if h.has("pids") {
            c.pids_current = self.number("pids.current");
            if wanted.pids_max {
                c.pids_max = self.limit("pids.max");
            }
        }
        if wanted.cpu && h.has("cpuacct") {
            c.cpu_usage_usec = self.number("cpuacct.usage").map(|ns| ns / 1000);
        }
        if wanted.throttle && h.has("cpu") {
            if let Some(text) = self.read("cpu.stat") {
                let [periods, throttled, throttled_ns] =
                    keyed_all(text, ["nr_periods", "nr_throttled", "throttled_time"]);
                (c.cpu_periods, c.cpu_throttled) = (periods, throttled);
                c.cpu_throttled_usec = throttled_ns.map(|ns| ns / 1000);
            }
        }
        if h.has("memory") {
            if wanted.memory || wanted.swap {
                c.memory_current = self.number("memory.usage_in_bytes");
            }
            if wanted.memory {
                c.memory_max = self.limit("memory.limit_in_bytes");
            }
            if wanted.swap {
                let both = self.number("memory.memsw.usage_in_bytes");
                c.swap_current = both.zip(c.memory_current).map(|(b, m)| b.saturating_sub(m));
            }
            if wanted.oom {
                c.oom_kills = self
                    .read("memory.oom_control")
                    .and_then(|t| keyed_all(t, ["oom_kill"])[0]);
            }
        }
        if wanted.io && h.has("blkio") {
            let bytes = match self.read("blkio.throttle.io_service_bytes_recursive") {
                Some(text) => Some(parse_blkio(text)),
                None => self
                    .read("blkio.throttle.io_service_bytes")
                    .map(parse_blkio),
            };
            if let Some((read, written)) = bytes {
                c.io_read_bytes = Some(read);
                c.io_write_bytes = Some(written);
            }
        }
        c
    }
}

/// The numbers of `keys` in a flat keyed file (`cpu.stat`, `memory.events`: `key value`
/// lines), in one pass over the text; `None` for a key absent or not a number.
pub fn keyed_all<const N: usize>(text: &str, keys: [&str; N]) -> [Option<u64>; N] {
    let mut values = [None; N];
    for line in text.lines() {
        let Some((key, value)) = line.split_once(' ') else {
            continue;
        };
        if let Some(i) = keys.iter().position(|k| *k == key) {
            values[i] = value.trim().parse().ok();
        }
    }
    values
}

/// The smallest value v1 shows for "unlimited": its page counters' maximum times the page
/// size, rounded down to the page (9223372036854771712 with 4 KiB pages, less with larger
/// ones).
const V1_UNLIMITED_FROM: u64 = (i64::MAX as u64) & !0xffff;

/// A limit file (`memory.max`, `memory.limit_in_bytes`): `max` or v1's largest values are
/// unlimited.
pub fn parse_limit(text: &str) -> Option<Limit> {
    match text.trim() {
        "max" => Some(Limit::Unlimited),
        n => n.parse().ok().map(|v| {
            if v >= V1_UNLIMITED_FROM {
                Limit::Unlimited
            } else {
                Limit::Value(v)
            }
        }),
    }
}

/// `io.stat`: bytes read and written, summed over the devices (`MAJ:MIN rbytes=N wbytes=N
/// rios=N ...` lines).
pub fn parse_io_stat(text: &str) -> (u64, u64) {
    let mut read = 0u64;
    let mut written = 0u64;
    for field in text.split_whitespace() {
        if let Some(v) = field.strip_prefix("rbytes=") {
            read = read.saturating_add(v.parse().unwrap_or(0));
        } else if let Some(v) = field.strip_prefix("wbytes=") {
            written = written.saturating_add(v.parse().unwrap_or(0));
        }
    }
    (read, written)
}

/// v1 `blkio.throttle.io_service_bytes[_recursive]`: bytes read and written, summed over the
/// devices (`MAJ:MIN Read N` lines; the `Total` lines are left out).
pub fn parse_blkio(text: &str) -> (u64, u64) {
    let mut read = 0u64;
    let mut written = 0u64;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let (Some(_device), Some(op), Some(n)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let n: u64 = n.parse().unwrap_or(0);
        match op {
            "Read" => read = read.saturating_add(n),
            "Write" => written = written.saturating_add(n),
            _ => {}
        }
    }
    (read, written)
}

/// The `avg10` fields of a PSI file's `some` and `full` lines. The kernel writes them as
/// `avg10=%lu.%02lu`, which is read as hundredths (a refresh reads thousands of these files;
/// a general float parse was a tenth of its time), any other form as a decimal number.
pub fn parse_pressure(text: &str) -> Option<Pressure> {
    let avg10 = |fields: &str| -> Option<f64> {
        let value = fields.split_once("avg10=")?.1.split(' ').next()?;
        match value.split_once('.') {
            Some((whole, hundredths))
                if hundredths.len() == 2 && hundredths.bytes().all(|b| b.is_ascii_digit()) =>
            {
                let whole: u64 = whole.parse().ok()?;
                let hundredths: u64 = hundredths.parse().ok()?;
                Some(whole.checked_mul(100)?.checked_add(hundredths)? as f64 / 100.0)
            }
            _ => value.parse().ok(),
        }
    };
    let (mut some, mut full) = (None, None);
    for line in text.lines() {
        if let Some(fields) = line.strip_prefix("some ") {
            some = avg10(fields);
        } else if let Some(fields) = line.strip_prefix("full ") {
            full = avg10(fields);
        }
    }
    Some(Pressure {
        some_avg10: some?,
        full_avg10: full,
    })
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::PathBuf;

    use super::*;
    use crate::tests::Fake;

    fn hierarchy(f: &Fake, dir: &str, version: Version, controllers: &[&str]) -> Hierarchy {
        let mount_point = f.dir.join(dir);
        fs::create_dir_all(&mount_point).unwrap();
        Hierarchy {
            version,
            controllers: controllers.iter().map(|c| (*c).to_owned()).collect(),
            mount_point,
            mount_root: PathBuf::from("/"),
        }
    }

    /// Write `files` (name, content) into group `group` of `h`.
    fn group(h: &Hierarchy, group: &str, files: &[(&str, &str)]) {
        let dir = h.mount_point.join(group);
        fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            fs::write(dir.join(name), text).unwrap();
        }
    }

    fn path(p: &str) -> GroupPath {
        GroupPath::parse(p).unwrap()
    }

    /// One sample from a new watcher.
    fn sample(
        hierarchies: &[Hierarchy],
        under: &GroupPath,
        depth: Option<usize>,
        wanted: &Wanted,
    ) -> Sample {
        Watcher::new(hierarchies.to_vec()).sample(under, depth, wanted)
    }

    #[test]
    fn a_watcher_sees_changes() {
        let f = Fake::new("stats-watcher");
        let h = hierarchy(&f, "v2", Version::V2, &["memory"]);
        group(&h, "a", &[("memory.current", "1\n")]);
        group(&h, "b", &[("memory.current", "2\n")]);
        let mut w = Watcher::new(vec![h.clone()]);
        let memory = |s: &Sample, p: &str| s.groups.get(&path(p)).map(|c| c.memory_current);
        let s = w.sample(&GroupPath::root(), None, &Wanted::ALL);
        assert_eq!(
            (memory(&s, "a"), memory(&s, "b")),
            (Some(Some(1)), Some(Some(2)))
        );
        // A new value in an open file, a group gone, a new one.
        fs::write(h.mount_point.join("a/memory.current"), "10\n").unwrap();
        fs::remove_dir_all(h.mount_point.join("b")).unwrap();
        group(&h, "c", &[("memory.current", "3\n")]);
        let s = w.sample(&GroupPath::root(), None, &Wanted::ALL);
        assert_eq!(memory(&s, "a"), Some(Some(10)));
        assert_eq!(memory(&s, "b"), None);
        assert_eq!(memory(&s, "c"), Some(Some(3)));
        // An absent file is looked for again after RETRY_ABSENT samples.
        group(&h, "c", &[("memory.max", "7\n")]);
        let max = |s: &Sample| s.groups[&path("c")].memory_max;
        let mut seen = Vec::new();
        for _ in 0..RETRY_ABSENT {
            seen.push(max(&w.sample(&GroupPath::root(), None, &Wanted::ALL)));
        }
        assert_eq!(seen.first(), Some(&None));
        assert_eq!(seen.last(), Some(&Some(Limit::Value(7))));
    }

    #[test]
    fn pressure_is_read_again_once_the_kernel_can_have_changed_it() {
        let f = Fake::new("stats-psi");
        let h = hierarchy(&f, "v2", Version::V2, &[]);
        let psi = |avg10: &str| format!("some avg10={avg10} avg60=0.00 avg300=0.00 total=1\n");
        group(
            &h,
            "g",
            &[("cpu.pressure", &psi("1.00")), ("memory.current", "1\n")],
        );
        let mut w = Watcher::new(vec![h.clone()]);
        let cpu = |s: &Sample| s.groups[&path("g")].cpu_pressure.map(|p| p.some_avg10);
        let started = Instant::now();
        assert_eq!(
            cpu(&w.sample(&GroupPath::root(), None, &Wanted::ALL)),
            Some(1.0)
        );
        fs::write(h.mount_point.join("g/cpu.pressure"), psi("2.00")).unwrap();
        let s = w.sample(&GroupPath::root(), None, &Wanted::ALL);
        if s.at.duration_since(started) < PSI_PERIOD {
            assert_eq!(cpu(&s), Some(1.0), "the averages of the last read");
        }
        std::thread::sleep(PSI_PERIOD);
        assert_eq!(
            cpu(&w.sample(&GroupPath::root(), None, &Wanted::ALL)),
            Some(2.0)
        );
    }

    #[test]
    fn v2_counters() {
        let f = Fake::new("stats-v2");
        let h = hierarchy(&f, "v2", Version::V2, &["cpu", "memory", "io", "pids"]);
        group(&h, "", &[("cpu.stat", "usage_usec 500\nuser_usec 300\n")]);
        group(
            &h,
            "a",
            &[
                (
                    "cpu.stat",
                    "usage_usec 1000\nuser_usec 600\nsystem_usec 400\nnr_periods 40\nnr_throttled 7\nthrottled_usec 12345\n",
                ),
                ("memory.current", "4096\n"),
                ("memory.max", "max\n"),
                ("memory.swap.current", "0\n"),
                ("memory.swap.max", "1048576\n"),
                ("memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"),
                (
                    "io.stat",
                    "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2 rios=1 wios=1\n",
                ),
                ("pids.current", "8\n"),
                ("pids.max", "max\n"),
                (
                    "cpu.pressure",
                    "some avg10=1.50 avg60=0.10 avg300=0.00 total=10\nfull avg10=0.25 avg60=0.00 avg300=0.00 total=3\n",
                ),
                (
                    "memory.pressure",
                    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                ),
            ],
        );
        group(&h, "a/b", &[("cgroup.procs", "10\n11\n12\n")]);
        let s = sample(
            std::slice::from_ref(&h),
            &GroupPath::root(),
            None,
            &Wanted::ALL,
        );
        assert_eq!(
            s.groups.keys().map(GroupPath::as_str).collect::<Vec<_>>(),
            ["", "a", "a/b"]
        );
        let a = &s.groups[&path("a")];
        assert_eq!(a.cpu_usage_usec, Some(1000));
        assert_eq!(a.cpu_periods, Some(40));
        assert_eq!(a.cpu_throttled, Some(7));
        assert_eq!(a.cpu_throttled_usec, Some(12345));
        assert_eq!(a.memory_current, Some(4096));
        assert_eq!(a.memory_max, Some(Limit::Unlimited));
        assert_eq!(a.swap_current, Some(0));
        assert_eq!(a.swap_max, Some(Limit::Value(1_048_576)));
        assert_eq!(a.oom_kills, Some(1));
        assert_eq!((a.io_read_bytes, a.io_write_bytes), (Some(101), Some(202)));
        assert_eq!(a.tasks(), Some(8));
        assert_eq!(
            a.procs, None,
            "cgroup.procs is not read where pids.current is"
        );
        assert_eq!(a.pids_max, Some(Limit::Unlimited));
        assert_eq!(
            a.cpu_pressure,
            Some(Pressure {
                some_avg10: 1.5,
                full_avg10: Some(0.25)
            })
        );
        assert_eq!(
            a.memory_pressure,
            Some(Pressure {
                some_avg10: 0.0,
                full_avg10: None
            })
        );
        assert_eq!(a.io_pressure, None);
        // A group with no files but its members: only the process count.
        let b = &s.groups[&path("a/b")];
        assert_eq!(b.tasks(), Some(3));
        assert_eq!(
            Counters {
                procs: None,
                ..b.clone()
            },
            Counters::default()
        );
        // The root: only what it has.
        let root = &s.groups[&GroupPath::root()];
        assert_eq!(root.cpu_usage_usec, Some(500));
        assert_eq!(root.cpu_throttled, None);
        assert_eq!(root.memory_current, None);
    }

    #[test]
    fn only_the_wanted_files_are_read() {
        let f = Fake::new("stats-wanted");
        let h = hierarchy(&f, "v2", Version::V2, &["memory", "pids"]);
        group(
            &h,
            "g",
            &[
                ("memory.current", "1\n"),
                ("cpu.stat", "usage_usec 5\n"),
                ("pids.current", "2\n"),
                ("pids.max", "10\n"),
            ],
        );
        let wanted = Wanted {
            memory: true,
            ..Wanted::default()
        };
        let s = sample(std::slice::from_ref(&h), &GroupPath::root(), None, &wanted);
        let g = &s.groups[&path("g")];
        assert_eq!(g.memory_current, Some(1));
        assert_eq!(g.cpu_usage_usec, None);
        assert_eq!(g.pids_max, None);
        assert_eq!(g.tasks(), Some(2), "the task count is always read");
    }

    #[test]
    fn v1_hierarchies_merge_by_path() {
        let f = Fake::new("stats-v1");
        let cpuacct = hierarchy(&f, "cpuacct", Version::V1, &["cpuacct"]);
        let cpu = hierarchy(&f, "cpu", Version::V1, &["cpu"]);
        let memory = hierarchy(&f, "memory", Version::V1, &["memory"]);
        let blkio = hierarchy(&f, "blkio", Version::V1, &["blkio"]);
        let unified = hierarchy(&f, "unified", Version::V2, &[]);
        group(
            &cpuacct,
            "g",
            &[("cpuacct.usage", "2500000\n"), ("cgroup.procs", "1\n2\n")],
        );
        group(
            &cpu,
            "g",
            &[(
                "cpu.stat",
                "nr_periods 10\nnr_throttled 4\nthrottled_time 3000000\n",
            )],
        );
        group(
            &memory,
            "g",
            &[
                ("memory.usage_in_bytes", "8192\n"),
                ("memory.limit_in_bytes", "15728640\n"),
                ("memory.memsw.usage_in_bytes", "12288\n"),
                (
                    "memory.oom_control",
                    "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
                ),
                ("cgroup.procs", "1\n"),
            ],
        );
        group(
            &memory,
            "mem-only",
            &[
                ("memory.usage_in_bytes", "1\n"),
                ("memory.limit_in_bytes", "9223372036854771712\n"),
            ],
        );
        group(
            &blkio,
            "g",
            &[(
                "blkio.throttle.io_service_bytes_recursive",
                "8:0 Read 10\n8:0 Write 20\n8:0 Sync 30\n8:0 Async 0\n8:0 Total 30\n8:16 Read 1\nTotal 31\n",
            )],
        );
        group(
            &unified,
            "g",
            &[(
                "io.pressure",
                "some avg10=2.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=1\n",
            )],
        );
        let all = [cpuacct, cpu, memory, blkio, unified];
        let s = sample(&all, &GroupPath::root(), None, &Wanted::ALL);
        let g = &s.groups[&path("g")];
        assert_eq!(g.cpu_usage_usec, Some(2500));
        assert_eq!(g.cpu_periods, Some(10));
        assert_eq!(g.cpu_throttled, Some(4));
        assert_eq!(g.cpu_throttled_usec, Some(3000));
        assert_eq!(g.memory_current, Some(8192));
        assert_eq!(g.memory_max, Some(Limit::Value(15 << 20)));
        assert_eq!(g.swap_current, Some(4096));
        assert_eq!(g.swap_max, None, "v1 has no swap-only limit");
        assert_eq!(g.oom_kills, Some(2));
        assert_eq!((g.io_read_bytes, g.io_write_bytes), (Some(11), Some(20)));
        assert_eq!(g.io_pressure.map(|p| p.some_avg10), Some(2.0));
        // Processes counted in the first hierarchy that has the group (no pids hierarchy).
        assert_eq!(g.tasks(), Some(2));
        let m = &s.groups[&path("mem-only")];
        assert_eq!(m.memory_max, Some(Limit::Unlimited));
        assert_eq!(m.cpu_usage_usec, None, "absent, not 0");
        assert_eq!(m.io_read_bytes, None);
    }

    #[test]
    fn a_subtree_only() {
        let f = Fake::new("stats-under");
        let h = hierarchy(&f, "v2", Version::V2, &["memory"]);
        for g in ["a", "a/x", "a/x/y", "ab", "b"] {
            group(&h, g, &[("memory.current", "1\n")]);
        }
        let s = sample(std::slice::from_ref(&h), &path("a"), None, &Wanted::ALL);
        assert_eq!(
            s.groups.keys().map(GroupPath::as_str).collect::<Vec<_>>(),
            ["a", "a/x", "a/x/y"]
        );
        let shallow = sample(std::slice::from_ref(&h), &path("a"), Some(1), &Wanted::ALL);
        assert_eq!(
            shallow
                .groups
                .keys()
                .map(GroupPath::as_str)
                .collect::<Vec<_>>(),
            ["a", "a/x"]
        );
        let top = sample(
            std::slice::from_ref(&h),
            &GroupPath::root(),
            Some(0),
            &Wanted::ALL,
        );
        assert_eq!(top.groups.len(), 1);
        let none = sample(std::slice::from_ref(&h), &path("zz"), None, &Wanted::ALL);
        assert!(none.groups.is_empty());
    }

    #[test]
    fn watched_hierarchies() {
        let f = Fake::new("stats-watched");
        let hierarchies = crate::tests::hybrid(&f);
        let dirs: Vec<String> = watched(&hierarchies)
            .iter()
            .map(|h| {
                h.mount_point
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        // name=systemd and cpuset have no counters; the unified one has PSI.
        assert_eq!(dirs, ["cpu,cpuacct", "memory", "unified"]);
    }

    #[test]
    fn parsers() {
        assert_eq!(parse_limit("max\n"), Some(Limit::Unlimited));
        assert_eq!(parse_limit("9223372036854771712"), Some(Limit::Unlimited));
        assert_eq!(parse_limit("9223372036854710272"), Some(Limit::Unlimited));
        assert_eq!(parse_limit("15728640\n"), Some(Limit::Value(15_728_640)));
        assert_eq!(parse_limit("x"), None);
        assert_eq!(
            keyed_all("a 1\nab 2\nb x\n", ["ab", "a", "b", "c"]),
            [Some(2), Some(1), None, None]
        );
        assert_eq!(parse_io_stat(""), (0, 0));
        assert_eq!(parse_pressure("garbage"), None);
        let psi = parse_pressure(
            "some avg10=12.07 avg60=0.10 avg300=0.00 total=10\nfull avg10=0.5 avg60=0.00 avg300=0.00 total=3\n",
        );
        assert_eq!(
            psi,
            Some(Pressure {
                some_avg10: "12.07".parse().unwrap(),
                full_avg10: Some(0.5)
            })
        );
        assert_eq!(parse_pressure("some avg10=x.00 total=1\n"), None);
        assert_eq!(
            parse_pressure("full avg10=1.00 total=1\n"),
            None,
            "no some line"
        );
    }
}
