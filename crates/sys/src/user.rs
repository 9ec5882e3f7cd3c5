//! The passwd and group databases.

use std::path::PathBuf;

use nix::unistd::{Gid, Group, Uid, User};

/// The name of user `uid`, if the passwd database has one.
pub fn user_name(uid: u32) -> Option<String> {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
}

/// The login shell of user `uid`, if set.
pub fn user_shell(uid: u32) -> Option<PathBuf> {
    let user = User::from_uid(Uid::from_raw(uid)).ok().flatten()?;
    (!user.shell.as_os_str().is_empty()).then_some(user.shell)
}

/// A uid from a user name, or from a number when no user has that name.
pub fn uid_by_name_or_number(arg: &str) -> Option<u32> {
    if let Ok(Some(u)) = User::from_name(arg) {
        return Some(u.uid.as_raw());
    }
    numeric_id(arg)
}

/// A gid from a group name, or from a number when no group has that name.
pub fn gid_by_name_or_number(arg: &str) -> Option<u32> {
    if let Ok(Some(g)) = Group::from_name(arg) {
        return Some(g.gid.as_raw());
    }
    numeric_id(arg)
}

/// The real, effective ids of this process.
pub fn effective_ids() -> (u32, u32) {
    (Uid::effective().as_raw(), Gid::effective().as_raw())
}

/// The real uid of this process.
pub fn real_uid() -> u32 {
    Uid::current().as_raw()
}

fn numeric_id(arg: &str) -> Option<u32> {
    (!arg.is_empty() && arg.bytes().all(|b| b.is_ascii_digit()))
        .then(|| arg.parse().ok())
        .flatten()
}
