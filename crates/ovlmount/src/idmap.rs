//! Idmapped layers: each layer that has an id mapping is copied (`open_tree` clone, attached
//! nowhere), the copy is given the mapping (`mount_setattr` with `MOUNT_ATTR_IDMAP`), and
//! overlayfs takes the copy instead of the directory, through this process's descriptor
//! (`/proc/self/fd/N`). Nothing on disk changes: no chown of the image.

use std::fs::File;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use sys::fsmount::TemporaryAttachment;
use sys::idmap::MountIdmap;
use sys::mount::DetachedTree;
use sys::{Error, Result};

use crate::plan::MountPlan;

/// How the directories an idmapped copy is attached on begin (kernels before 6.15).
pub const ATTACHED_LAYER_PREFIX: &str = ".ovlmount-layer-";

/// The idmapped copies of an overlay's layers. They are held until the overlay is mounted;
/// overlayfs then keeps private copies of its own, and dropping these unmounts only ours.
#[derive(Debug, Default)]
pub struct IdmappedLayers {
    trees: Vec<DetachedTree>,
    /// Where copies were attached (kernels before 6.15); dropping detaches them.
    attached: Vec<TemporaryAttachment>,
    /// One user namespace per distinct mapping: a map list makes a process, so once is enough.
    namespaces: Vec<(MountIdmap, File)>,
}

impl IdmappedLayers {
    /// The plan with its idmapped layers replaced by their copies. `given` is the plan as the
    /// command line named the layers (the mappings are keyed by those names); `plan` has them
    /// made absolute, in the same order.
    pub fn apply(&mut self, given: &MountPlan, plan: MountPlan) -> Result<MountPlan> {
        if !given.is_idmapped() {
            return Ok(plan);
        }
        // overlayfs takes idmapped layers from 5.19 (before, "idmapped layers are currently
        // not supported"); mount_setattr itself is 5.12.
        if !sys::target::kernel_at_least(5, 19) {
            return Err(Error::msg(
                "idmapped layers need Linux 5.19 or later (overlayfs refuses them before)",
            ));
        }
        let mut out = plan.clone();
        for (given_layer, layer) in given.lowers.iter().zip(out.lowers.iter_mut()) {
            if let Some(map) = given.idmap_of(given_layer) {
                *layer = self.copy(layer, map)?;
            }
        }
        for (given_layer, layer) in given.data_lowers.iter().zip(out.data_lowers.iter_mut()) {
            if let Some(map) = given.idmap_of(given_layer) {
                *layer = self.copy(layer, map)?;
            }
        }
        // The upper layer only by its own `:idmap=` (a tmpfs upper is new and never is):
        // overlayfs makes its work directory with the mounter's ids, so a mapping of the upper
        // must map those (root) too, which the usual mapping of the lowers (0 on disk seen as
        // 100000) does not; overlayfs would then mount read-only.
        let upper_map = given.upper.as_deref().and_then(|u| given.own_idmap(u));
        if let (Some(map), Some(upper), Some(work)) = (upper_map, &plan.upper, &plan.work) {
            // overlayfs wants upper and work on one mount: copy the directory holding both.
            let base = common_ancestor(upper, work);
            let copy = self.copy(&base, map)?;
            let inside = |p: &Path| copy.join(p.strip_prefix(&base).unwrap_or(p));
            out.upper = Some(inside(upper));
            out.work = Some(inside(work));
        }
        Ok(out)
    }

    /// Copy `dir`'s mount at `dir` (not the mounts below it: overlayfs would not see them
    /// either), idmap the copy, and return the path that names it.
    fn copy(&mut self, dir: &Path, map: &MountIdmap) -> Result<PathBuf> {
        let tree = DetachedTree::copy(dir, false)?;
        let userns = self.user_namespace(map)?;
        tree.set_idmap(userns.as_fd(), false)?;
        // Before 6.15 overlayfs clones only layers of this mount namespace (EINVAL for a
        // mount attached nowhere): attach the copy for the time of the mount.
        let path = if sys::target::kernel_at_least(6, 15) {
            tree.fd_path()
        } else {
            self.attach(&tree)?
        };
        self.trees.push(tree);
        Ok(path)
    }

    /// Attach `tree` on a new private directory of the temporary directory.
    fn attach(&mut self, tree: &DetachedTree) -> Result<PathBuf> {
        let name = format!(
            "{ATTACHED_LAYER_PREFIX}{}-{}",
            std::process::id(),
            self.attached.len()
        );
        let attached = TemporaryAttachment::new(tree.as_fd(), &name, "idmapped layer")?;
        let path = attached.path().to_path_buf();
        self.attached.push(attached);
        Ok(path)
    }

    fn user_namespace(&mut self, map: &MountIdmap) -> Result<&File> {
        let at = match self.namespaces.iter().position(|(m, _)| m == map) {
            Some(at) => at,
            None => {
                let file = map.user_namespace()?;
                self.namespaces.push((map.clone(), file));
                self.namespaces.len() - 1
            }
        };
        Ok(&self.namespaces[at].1)
    }
}

/// overlayfs mounts read-only, with only a kernel log line, when it cannot make its work
/// directory through an idmapped upper layer (the mounter's ids, root's, are not in the
/// upper's mapping: EOVERFLOW). A writable overlay was asked for: undo the mount and say so.
pub fn check_writable(given: &MountPlan, merged: &Path) -> Result<()> {
    let idmapped_upper = given
        .upper
        .as_deref()
        .is_some_and(|u| given.own_idmap(u).is_some());
    if !idmapped_upper || given.read_only {
        return Ok(());
    }
    let merged = std::fs::canonicalize(merged).unwrap_or_else(|_| merged.to_path_buf());
    let table = sys::mount::mountinfo()?;
    let read_only = table
        .iter()
        .rev()
        .find(|m| m.mount_point == merged)
        .is_some_and(|m| m.super_options.split(',').any(|o| o == "ro"));
    if !read_only {
        return Ok(());
    }
    let _ = sys::fsmount::unmount(&merged, false);
    Err(Error::msg(format!(
        "overlayfs could not make its work directory through the idmapped upper layer and \
         would mount {} read-only: the upper's mapping must map the ids of the mounter (root) \
         too, as 100000:0:65536 does, and its work directory must not hold files made under \
         another mapping",
        merged.display()
    )))
}

/// As mount(8)'s helper: mount(8) passes no `X-*` option to helpers, so `X-mount.idmap=`
/// (also what its `--map-users`/`--map-groups` set) never reaches us, and mounting without
/// it would quietly drop the mapping. Find it where it can have come from: mount(8)'s own
/// command line (our parent), else, when that names fewer than two paths (so mount(8) read
/// the rest from fstab), the fstab line of `merged`. Its meaning for an overlay, the files
/// shown through the mapping, is what idmapping the lower layers gives: the overlay mount
/// itself cannot be idmapped (overlayfs answers EINVAL, which is how mount(8) fails without
/// this helper).
pub fn idmap_from_mount_8(merged: &Path) -> Result<Option<MountIdmap>> {
    let parent: Vec<String> = sys::process::parent_arguments()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let is_mount = parent
        .first()
        .is_some_and(|argv0| Path::new(argv0).file_name() == Some("mount".as_ref()));
    if !is_mount {
        return Ok(None);
    }
    let asked = MountCommandLine::read(&parent[1..]);
    let mut maps = asked.idmaps;
    if maps.is_empty() && asked.operands < 2 {
        for options in sys::mount::fstab_options(merged) {
            maps.extend(idmap_options(&options));
        }
    }
    if maps.is_empty() {
        return Ok(None);
    }
    MountIdmap::parse(&maps.join(" ")).map(Some)
}

/// What mount(8)'s command line says about id mapping.
#[derive(Debug, Default, PartialEq, Eq)]
struct MountCommandLine {
    /// The `X-mount.idmap` values, and `--map-users`/`--map-groups` as mount(8) turns them
    /// into one (`u:MAP`, `g:MAP`, or a namespace file as it is).
    idmaps: Vec<String>,
    /// How many operands (source, target) it has.
    operands: usize,
}

impl MountCommandLine {
    /// Read mount(8)'s arguments (after argv[0]) as its getopt would: the options that take a
    /// value take it attached or from the next argument.
    fn read(args: &[String]) -> MountCommandLine {
        // mount(8)'s short options with an argument, and long ones.
        const SHORT: &str = "otLUNOT";
        const LONG: [&str; 12] = [
            "options",
            "types",
            "test-opts",
            "label",
            "uuid",
            "namespace",
            "source",
            "target",
            "target-prefix",
            "fstab",
            "map-users",
            "map-groups",
        ];
        let mut out = MountCommandLine::default();
        let mut args = args.iter();
        let take = |name: &str, value: &str, out: &mut MountCommandLine| {
            let value = value.strip_prefix('=').unwrap_or(value);
            match name {
                "o" | "options" => out.idmaps.extend(idmap_options(value)),
                "map-users" | "map-groups" if value.starts_with('/') => {
                    out.idmaps.push(value.to_owned())
                }
                "map-users" => out.idmaps.push(format!("u:{value}")),
                "map-groups" => out.idmaps.push(format!("g:{value}")),
                _ => {}
            }
        };
        while let Some(arg) = args.next() {
            if arg == "--" {
                out.operands += args.len();
                break;
            }
            if let Some(long) = arg.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_owned())),
                    None => (long, None),
                };
                if LONG.contains(&name) {
                    let value = value.or_else(|| args.next().cloned()).unwrap_or_default();
                    take(name, &value, &mut out);
                }
            } else if let Some(bundle) = arg.strip_prefix('-').filter(|b| !b.is_empty()) {
                if let Some(at) = bundle.find(|c| SHORT.contains(c)) {
                    let rest = &bundle[at + 1..];
                    let value = if rest.is_empty() {
                        args.next().cloned().unwrap_or_default()
                    } else {
                        rest.to_owned()
                    };
                    take(&bundle[at..at + 1], &value, &mut out);
                }
            } else {
                out.operands += 1;
            }
        }
        out
    }
}

/// The `X-mount.idmap=` values of a mount option list (commas separate, except inside double
/// quotes, which are dropped).
fn idmap_options(list: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut quoted = false;
    for c in list.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => items.push(String::new()),
            _ => items.last_mut().into_iter().for_each(|i| i.push(c)),
        }
    }
    items
        .iter()
        .filter_map(|i| i.strip_prefix("X-mount.idmap="))
        .map(str::to_owned)
        .collect()
}

/// The deepest directory that holds both `a` and `b` (absolute paths).
fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    a.ancestors()
        .find(|dir| b.starts_with(dir))
        .unwrap_or(Path::new("/"))
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn mount_8_command_lines_give_their_id_maps() {
        let read = |text: &str| MountCommandLine::read(&words(text));
        assert_eq!(
            read("-t overlay -o lowerdir=/a:/b,X-mount.idmap=0:100000:65536 none /m"),
            MountCommandLine {
                idmaps: vec!["0:100000:65536".into()],
                operands: 2
            }
        );
        let quoted = [
            "-vt",
            "overlay",
            "--options=\"X-mount.idmap=u:0:1:1 g:0:2:1\",ro",
            "/m",
        ];
        assert_eq!(
            MountCommandLine::read(&quoted.map(String::from)),
            MountCommandLine {
                idmaps: vec!["u:0:1:1 g:0:2:1".into()],
                operands: 1
            }
        );
        assert_eq!(
            read("--map-users 0:5:1 --map-groups=0:6:1 -ouser /m"),
            MountCommandLine {
                idmaps: vec!["u:0:5:1".into(), "g:0:6:1".into()],
                operands: 1
            }
        );
        assert_eq!(
            read("--map-users=/proc/7/ns/user -a").idmaps,
            ["/proc/7/ns/user"]
        );
        assert_eq!(
            read("-o x-mount.idmap=1:2:3 none /m").idmaps,
            Vec::<String>::new()
        );
    }

    #[test]
    fn upper_and_work_share_the_copied_directory() {
        assert_eq!(
            common_ancestor(Path::new("/srv/c/upper"), Path::new("/srv/c/work")),
            PathBuf::from("/srv/c")
        );
        assert_eq!(
            common_ancestor(Path::new("/a/u"), Path::new("/b/w")),
            PathBuf::from("/")
        );
        assert_eq!(
            common_ancestor(Path::new("/x/up"), Path::new("/x/upper/w")),
            PathBuf::from("/x")
        );
    }
}
