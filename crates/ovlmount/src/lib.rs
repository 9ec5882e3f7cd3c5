//! `ovlmount`: mount, unmount, list and inspect overlay file systems.
//!
//! [`cli::command`] defines the command line, [`plan::parse`] turns it into a
//! [`plan::Action`], and [`run`] carries it out: checks first, so that a refused mount leaves
//! nothing behind, then the new mount API one layer at a time.

pub mod cli;
pub mod diff;
pub mod idmap;
pub mod oci;
pub mod plan;

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use sys::diagnose::mounts;
use sys::fsmount::{self, FsContext};
use sys::{Error, Prog, Result, Status};

use plan::{Action, MountPlan};

/// The tool's entry point: parse, then act.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    match plan::parse(prog, args)? {
        Action::Print(text) => sys::print(&text).map(|()| 0),
        Action::Mount(plan) => mount(&plan).map(|()| 0),
        Action::Umount { merged, lazy } => umount(&merged, lazy).map(|()| 0),
        Action::List { json, merged } => list(json, merged.as_deref()).map(|()| 0),
        Action::Helper {
            plan,
            fake,
            namespace,
        } => {
            let mut plan = plan;
            if plan.idmap.is_none() {
                plan.idmap = idmap::idmap_from_mount_8(&plan.merged)?;
            }
            if let Some(ns) = namespace {
                enter_mount_namespace(&ns)?;
            }
            if fake {
                check(&plan).map(|()| 0)
            } else {
                mount(&plan).map(|()| 0)
            }
        }
        Action::Diff {
            json,
            oci: false,
            layer,
            lowers,
        } => show_diff(&layer, &lowers, json).map(|()| 0),
        Action::Diff {
            oci: true,
            layer,
            lowers,
            ..
        } => export_layer(&layer, &lowers).map(|()| 0),
        Action::Import { layer, dir } => {
            let digests = oci::import(&layer, &dir)?;
            sys::print(&format!(
                "digest {}\ndiff_id {}\n",
                digests.digest, digests.diff_id
            ))
            .map(|()| 0)
        }
    }
}

/// mount(8)'s `-N`: a pid (its mount namespace) or a mount namespace file.
fn enter_mount_namespace(ns: &Path) -> Result<()> {
    let path = match ns.to_str().and_then(|s| s.parse::<u32>().ok()) {
        Some(pid) => PathBuf::from(format!("/proc/{pid}/ns/mnt")),
        None => ns.to_path_buf(),
    };
    let file = sys::target::open_ns_file(&path)?;
    sys::target::setns_file(&file, sys::ns::NsKind::Mount)
}

/// A layer directory: it must exist and be a directory.
fn check_dir(path: &Path, what: &str) -> Result<std::fs::Metadata> {
    let meta =
        std::fs::metadata(path).map_err(|e| Error::os(format!("{what} {}", path.display()), &e))?;
    if !meta.is_dir() {
        return Err(Error::os(
            format!("{what} {}", path.display()),
            sys::Errno(sys::errno::ENOTDIR),
        ));
    }
    Ok(meta)
}

/// Directories `--create` made, removed again when the mount fails.
struct Created(Vec<PathBuf>);

impl Created {
    /// Make the directory `dir` with exactly `mode` (whatever the umask) unless it exists. Its
    /// parent is the caller's to trust (root's argument); the last name is not followed when
    /// it is a symbolic link, which whoever may write to the parent could have planted there
    /// (an upper layer linked to /etc would let writes through the overlay land in the
    /// host's /etc), but refused.
    fn make(&mut self, dir: &Path, mode: u32) -> Result<()> {
        let fail = |e: sys::Errno| Error::os(format!("cannot create {}", dir.display()), e);
        let (parent, name) = match (dir.parent(), dir.file_name()) {
            (Some(p), Some(name)) if !p.as_os_str().is_empty() => (p, name),
            (_, Some(name)) => (Path::new("."), name),
            _ => (dir, OsStr::new(".")),
        };
        let parent = sys::dirfd::open_dir(parent).map_err(fail)?;
        let made = match sys::dirfd::make_dir_at(std::os::fd::AsFd::as_fd(&parent), name, mode) {
            Ok((_, made)) => made,
            Err(_) if std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_symlink()) => {
                return Err(Error::msg(format!(
                    "--create: {} is a symbolic link; refusing to follow it",
                    dir.display()
                )));
            }
            Err(e) => return Err(fail(e)),
        };
        if made {
            self.0.push(dir.to_path_buf());
        }
        Ok(())
    }

    /// Remove the directories again, deepest first. overlayfs makes `work` (and `index`)
    /// inside the work directory as soon as it sets the file system up, so a mount that
    /// failed late left them in a directory made here: they go first.
    fn undo(self, work: Option<&Path>) {
        for dir in self.0.iter().rev() {
            if Some(dir.as_path()) == work {
                for own in ["work", "index"] {
                    let _ = std::fs::remove_dir(dir.join(own));
                }
            }
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Whether `inner` is `outer` or below it (both made absolute first).
fn is_within(inner: &Path, outer: &Path) -> bool {
    match (std::fs::canonicalize(inner), std::fs::canonicalize(outer)) {
        (Ok(i), Ok(o)) => i.starts_with(o),
        _ => false,
    }
}

fn check(plan: &MountPlan) -> Result<()> {
    for l in &plan.lowers {
        check_dir(l, "lower layer")?;
    }
    for l in &plan.data_lowers {
        check_dir(l, "data layer")?;
    }
    check_dir(&plan.merged, "mount point")?;
    if let (Some(upper), Some(work)) = (&plan.upper, &plan.work) {
        use std::os::unix::fs::MetadataExt;
        let u = check_dir(upper, "upper layer")?;
        let w = check_dir(work, "work directory")?;
        if u.dev() != w.dev() {
            return Err(Error::msg(format!(
                "upper layer {} and work directory {} are on different file systems",
                upper.display(),
                work.display()
            )));
        }
        if is_within(work, upper) || is_within(upper, work) {
            return Err(Error::msg(format!(
                "work directory {} and upper layer {} must not contain each other",
                work.display(),
                upper.display()
            )));
        }
        // overlayfs leaves `work` (and `index`) behind; anything else is somebody's data.
        let entries = std::fs::read_dir(work)
            .map_err(|e| Error::os(format!("cannot read {}", work.display()), &e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !matches!(name.to_str(), Some("work" | "index")) {
                return Err(Error::msg(format!(
                    "work directory {} is not empty ({} is in it)",
                    work.display(),
                    Path::new(&name).display()
                )));
            }
        }
    }
    Ok(())
}

/// Escape a layer for overlay's `lowerdir=` list: `:`, `,` and `\` get a backslash.
fn escape_layer(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in path.as_os_str().as_bytes() {
        if matches!(b, b':' | b',' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// Mount, undoing `--create` on failure.
fn mount(plan: &MountPlan) -> Result<()> {
    let given = plan;
    let mut created = Created(Vec::new());
    // Held until the overlay is mounted, as the tmpfs below is.
    let mut idmapped = idmap::IdmappedLayers::default();
    let result = (|| {
        if plan.create {
            // The upper layer's mode becomes the mount's root's; the work directory is the
            // kernel's alone (it makes its own work/ inside, mode 0, as the mounter).
            for (dir, mode) in [(&plan.upper, 0o755), (&plan.work, 0o700)] {
                if let Some(dir) = dir {
                    created.make(dir, mode)?;
                }
            }
            created.make(&plan.merged, 0o755)?;
        }
        // Kept until the overlay is mounted; the overlay then holds the tmpfs itself.
        let mut scratch = plan
            .tmpfs_upper
            .as_ref()
            .map(|size| fsmount::ScratchLayers::new(size.as_deref().map(OsStr::new)))
            .transpose()?;
        let mut plan = plan.clone();
        if let Some(scratch) = &scratch {
            plan.upper = Some(scratch.upper());
            plan.work = Some(scratch.work());
        }
        check(&plan)?;
        // Absolute layers: mountinfo then names them so, whatever the caller's directory.
        let absolute = |p: &PathBuf| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        let plan = MountPlan {
            lowers: plan.lowers.iter().map(absolute).collect(),
            data_lowers: plan.data_lowers.iter().map(absolute).collect(),
            // The tmpfs's paths go through /proc/self/fd, which must stay as it is.
            upper: plan.upper.as_ref().map(|p| {
                if scratch.is_some() {
                    p.clone()
                } else {
                    absolute(p)
                }
            }),
            work: plan.work.as_ref().map(|p| {
                if scratch.is_some() {
                    p.clone()
                } else {
                    absolute(p)
                }
            }),
            ..plan.clone()
        };
        let plan = idmapped.apply(given, plan)?;
        let mounted = match (mount_checked(&plan), scratch.as_mut()) {
            // Older overlayfs refuses layers on a detached mount: attach the tmpfs for the
            // time of the mount and try once more.
            (Err(_), Some(layers)) => {
                layers.attach()?;
                let plan = MountPlan {
                    upper: Some(layers.upper()),
                    work: Some(layers.work()),
                    ..plan
                };
                mount_checked(&plan)
            }
            (outcome, _) => outcome,
        };
        mounted.and_then(|()| {
            // A mount that cannot be used as asked is not left behind.
            idmap::check_writable(given, &given.merged).inspect_err(|_| {
                let _ = fsmount::unmount(&given.merged, true);
            })
        })
    })();
    if result.is_err() {
        created.undo(plan.work.as_deref());
    }
    result.map_err(|e| {
        e.hinted_by(|e| {
            // A refused idmap said why already.
            if e.hint().is_some() {
                return None;
            }
            let host = sys::diagnose::Host::real();
            if plan.is_idmapped() {
                if let Some(cause) = mounts::idmap_unprivileged(&host, e.errno()) {
                    return Some(cause);
                }
            }
            let facts = mounts::Facts::of(&host);
            let (upper, work) = (plan.upper.as_deref(), plan.work.as_deref());
            mounts::overlay_refused(&host, e.errno(), upper, work, &facts)
        })
    })
}

fn mount_checked(plan: &MountPlan) -> Result<()> {
    let read_only = plan.read_only || plan.upper.is_none();
    // Inside a user namespace overlayfs keeps its xattrs in user.overlay.*, and must be told.
    let userxattr = plan.userxattr || !sys::idmap::in_initial_user_ns();
    // Linux 6.8 appends layers one by one (no length limit). Before 6.5 overlayfs sat on the
    // "legacy" adapter, which accepts any key and fails only at the end, so the kernel's
    // version decides, not a trial.
    if sys::target::kernel_at_least(6, 8) {
        if let Some(ctx) = FsContext::open("overlay")? {
            for l in &plan.lowers {
                ctx.set("lowerdir+", l.as_os_str())?;
            }
            for d in &plan.data_lowers {
                ctx.set("datadir+", d.as_os_str())?;
            }
            return finish(ctx, plan, userxattr, read_only);
        }
    }
    mount_legacy(plan, userxattr, read_only)
}

/// Upper, work and the other options, then the mount itself.
fn finish(ctx: FsContext, plan: &MountPlan, userxattr: bool, read_only: bool) -> Result<()> {
    // The source field of mountinfo, as `mount -t overlay overlay DIR` would fill it.
    ctx.set("source", OsStr::new("overlay"))?;
    if let (Some(upper), Some(work)) = (&plan.upper, &plan.work) {
        ctx.set("upperdir", upper.as_os_str())?;
        ctx.set("workdir", work.as_os_str())?;
    }
    if userxattr {
        ctx.set_flag("userxattr")?;
    }
    if plan.volatile {
        ctx.set_flag("volatile")?;
    }
    for (key, value) in &plan.options {
        match value {
            Some(v) => ctx.set(key, OsStr::new(v))?,
            None => ctx.set_flag(key)?,
        }
    }
    ctx.mount(&plan.merged, read_only)
}

/// mount(2) with overlay's option string, for kernels before 6.8.
fn mount_legacy(plan: &MountPlan, userxattr: bool, read_only: bool) -> Result<()> {
    let mut data: Vec<u8> = b"lowerdir=".to_vec();
    let layers: Vec<Vec<u8>> = plan.lowers.iter().map(|l| escape_layer(l)).collect();
    data.extend(layers.join(&b':'));
    for d in &plan.data_lowers {
        data.extend(b"::");
        data.extend(escape_layer(d));
    }
    if let (Some(upper), Some(work)) = (&plan.upper, &plan.work) {
        data.extend(b",upperdir=");
        data.extend(escape_layer(upper));
        data.extend(b",workdir=");
        data.extend(escape_layer(work));
    }
    if userxattr {
        data.extend(b",userxattr");
    }
    if plan.volatile {
        data.extend(b",volatile");
    }
    for (key, value) in &plan.options {
        data.push(b',');
        data.extend(key.as_bytes());
        if let Some(v) = value {
            data.push(b'=');
            data.extend(v.as_bytes());
        }
    }
    // The options travel in one page, NUL included.
    if data.len() > 4095 {
        return Err(Error::msg(format!(
            "the overlay options are {} bytes, more than mount(2) takes (4095); Linux 6.8 and \
             later take any number of layers",
            data.len()
        )));
    }
    fsmount::mount_with_options(
        "overlay",
        &plan.merged,
        "overlay",
        read_only,
        OsStr::from_bytes(&data),
    )
}

fn umount(merged: &Path, lazy: bool) -> Result<()> {
    let table = sys::mount::mountinfo()?;
    let canonical = std::fs::canonicalize(merged).unwrap_or_else(|_| merged.to_path_buf());
    let is_overlay = table
        .iter()
        .rev()
        .find(|m| m.mount_point == canonical)
        .map(|m| m.fstype == "overlay");
    match is_overlay {
        Some(true) => fsmount::unmount(&canonical, lazy),
        Some(false) => Err(Error::msg(format!(
            "{}: not an overlay mount",
            merged.display()
        ))),
        None => Err(Error::msg(format!("{}: not mounted", merged.display()))),
    }
}

/// One overlay mount, its layers decoded from its options.
struct Overlay {
    target: PathBuf,
    lowers: Vec<String>,
    data: Vec<String>,
    upper: Option<String>,
    work: Option<String>,
    options: Vec<String>,
}

/// Decode an overlay mount's super options (`lowerdir=a:b::c,upperdir=..`, or one
/// `lowerdir+=`/`datadir+=` per layer on kernels that appended them).
fn decode(target: PathBuf, super_options: &str) -> Overlay {
    let mut o = Overlay {
        target,
        lowers: Vec::new(),
        data: Vec::new(),
        upper: None,
        work: None,
        options: Vec::new(),
    };
    for item in plan::split_escaped(super_options, ',') {
        let text = String::from_utf8_lossy(&sys::mount::unescape(item.as_bytes())).into_owned();
        match text.split_once('=') {
            Some(("lowerdir", v)) => {
                let mut data = false;
                for part in plan::split_escaped(v, ':') {
                    if part.is_empty() {
                        data = true;
                    } else if data {
                        o.data.push(plan::unescape(&part));
                    } else {
                        o.lowers.push(plan::unescape(&part));
                    }
                }
            }
            Some(("lowerdir+", v)) => o.lowers.push(plan::unescape(v)),
            Some(("datadir+", v)) => o.data.push(plan::unescape(v)),
            Some(("upperdir", v)) => o.upper = Some(plan::unescape(v)),
            Some(("workdir", v)) => o.work = Some(plan::unescape(v)),
            _ => o.options.push(text),
        }
    }
    o
}

/// `diff`: a merged mount point stands for its upper layer (against its lowers); any other
/// directory is taken as an upper layer, compared with `lowers` (the `--lower` directories,
/// which must not come with a mount point) or, when none are given, with what its copy-up
/// marks tell.
fn show_diff(layer: &Path, given_lowers: &[PathBuf], json: bool) -> Result<()> {
    let (upper, lowers, _) = resolve_layer(layer, given_lowers)?;
    let entries = diff::diff(&upper, &lowers)?;
    let mut stdout = std::io::stdout().lock();
    diff::print(&entries, json, &mut stdout).map_err(|e| Error::os("write error", &e))
}

/// `diff --oci`: the layer tar on stdout, its diff_id on stderr.
fn export_layer(layer: &Path, given_lowers: &[PathBuf]) -> Result<()> {
    let (upper, lowers, merged) = resolve_layer(layer, given_lowers)?;
    let mut stdout = std::io::stdout().lock();
    if std::io::IsTerminal::is_terminal(&stdout) {
        return Err(Error::msg(
            "diff --oci writes a tar archive: send it to a file or a pipe, not a terminal",
        ));
    }
    let diff_id = oci::export(&upper, &lowers, merged.as_deref(), &mut stdout)?;
    let mut stderr = std::io::stderr().lock();
    writeln!(stderr, "diff_id {diff_id}").map_err(|e| Error::os("write error", &e))
}

/// The upper layer, lowers and (when mounted) merged mount point that `diff LAYER` means,
/// with `given_lowers` the `--lower` directories of an unmounted upper layer.
fn resolve_layer(
    layer: &Path,
    given_lowers: &[PathBuf],
) -> Result<(PathBuf, Vec<PathBuf>, Option<PathBuf>)> {
    let canonical = std::fs::canonicalize(layer).unwrap_or_else(|_| layer.to_path_buf());
    let table = sys::mount::mountinfo()?;
    let mounted = table.iter().rev().find(|m| m.mount_point == canonical);
    match mounted {
        Some(m) if m.fstype == "overlay" && !given_lowers.is_empty() => Err(Error::msg(format!(
            "{}: a mounted overlay, whose lowers are known; --lower goes with an upper layer",
            layer.display()
        ))),
        Some(m) if m.fstype == "overlay" => {
            let o = decode(m.mount_point.clone(), &m.super_options);
            let upper = o.upper.ok_or_else(|| {
                Error::msg(format!(
                    "{}: an overlay without an upper layer",
                    layer.display()
                ))
            })?;
            // Idmapped layers were given to the kernel through the mounting process's
            // descriptors (`/proc/self/fd/N`, something else in this process) or, before Linux
            // 6.15, attached for the time of the mount on `.ovlmount-layer-*` (gone since).
            let by_descriptor = |l: &String| {
                l.starts_with("/proc/self/fd/")
                    || Path::new(l).components().any(|c| {
                        c.as_os_str()
                            .to_string_lossy()
                            .starts_with(idmap::ATTACHED_LAYER_PREFIX)
                    })
            };
            if by_descriptor(&upper) {
                return Err(Error::msg(format!(
                    "{}: the upper layer was given to the kernel under a name only the \
                     mounting process had (an idmapped upper layer); give the upper directory",
                    layer.display()
                )));
            }
            let lowers = if o.lowers.iter().any(by_descriptor) {
                Vec::new()
            } else {
                o.lowers.iter().map(PathBuf::from).collect()
            };
            Ok((PathBuf::from(upper), lowers, Some(m.mount_point.clone())))
        }
        Some(m) if m.mount_point != Path::new("/") => Err(Error::msg(format!(
            "{}: a {} mount, not an overlay or an upper layer",
            layer.display(),
            m.fstype
        ))),
        _ => {
            for lower in given_lowers {
                check_dir(lower, "lower layer")?;
            }
            Ok((layer.to_path_buf(), given_lowers.to_vec(), None))
        }
    }
}

fn json_string(s: &str) -> String {
    table::json_quoted(s.as_bytes())
}

fn list(json: bool, only: Option<&Path>) -> Result<()> {
    let only = only.map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
    let overlays: Vec<Overlay> = sys::mount::mountinfo()?
        .into_iter()
        .filter(|m| m.fstype == "overlay")
        .filter(|m| only.as_ref().is_none_or(|p| &m.mount_point == p))
        .map(|m| decode(m.mount_point.clone(), &m.super_options))
        .collect();
    let mut out = String::new();
    if json {
        let items: Vec<String> = overlays
            .iter()
            .map(|o| {
                let list = |v: &[String]| {
                    let items: Vec<String> = v.iter().map(|s| json_string(s)).collect();
                    format!("[{}]", items.join(", "))
                };
                let opt = |v: &Option<String>| v.as_deref().map_or("null".to_owned(), json_string);
                format!(
                    "    {{\"target\": {}, \"lower\": {}, \"data\": {}, \"upper\": {}, \"work\": {}, \"options\": {}}}",
                    json_string(&o.target.to_string_lossy()),
                    list(&o.lowers),
                    list(&o.data),
                    opt(&o.upper),
                    opt(&o.work),
                    json_string(&o.options.join(","))
                )
            })
            .collect();
        out.push_str(&format!(
            "{{\n  \"overlays\": [\n{}\n  ]\n}}\n",
            items.join(",\n")
        ));
    } else {
        for o in &overlays {
            out.push_str(&format!("{}\n", o.target.display()));
            for l in &o.lowers {
                out.push_str(&format!("  lower {l}\n"));
            }
            for d in &o.data {
                out.push_str(&format!("  data  {d}\n"));
            }
            if let Some(u) = &o.upper {
                out.push_str(&format!("  upper {u}\n"));
            }
            if let Some(w) = &o.work {
                out.push_str(&format!("  work  {w}\n"));
            }
            out.push_str(&format!("  options {}\n", o.options.join(",")));
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .map_err(|e| Error::os("write error", &e))
}
