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

/// The name of group `gid`, if the group database has one.
pub fn group_name(gid: u32) -> Option<String> {
    Group::from_gid(Gid::from_raw(gid))
        .ok()
        .flatten()
        .map(|g| g.name)
}

/// The login shell of user `uid`, if set.
pub fn user_shell(uid: u32) -> Option<PathBuf> {
    let user = User::from_uid(Uid::from_raw(uid)).ok().flatten()?;
    (!user.shell.as_os_str().is_empty()).then_some(user.shell)
}

/// A uid from a number or, when the text is no number at all, a user name, as util-linux's
/// `ul_getuserpw_str` reads it: the number as strtou64 (leading blanks and `+` allowed); a
/// negative or too large number, or 4294967295 (the -1 that stands for no id), is none.
pub fn uid_by_name_or_number(arg: &str) -> Option<u32> {
    numeric_id(arg).unwrap_or_else(|| Some(User::from_name(arg).ok()??.uid.as_raw()))
}

/// A gid as [`uid_by_name_or_number`] reads a uid (`ul_getgrp_str`).
pub fn gid_by_name_or_number(arg: &str) -> Option<u32> {
    numeric_id(arg).unwrap_or_else(|| Some(Group::from_name(arg).ok()??.gid.as_raw()))
}

/// The real, effective ids of this process.
pub fn effective_ids() -> (u32, u32) {
    (Uid::effective().as_raw(), Gid::effective().as_raw())
}

/// The real uid of this process.
pub fn real_uid() -> u32 {
    Uid::current().as_raw()
}

/// `None` when `arg` is no number (a name, then); `Some(None)` for a number that is no id.
fn numeric_id(arg: &str) -> Option<Option<u32>> {
    match crate::cli::unsigned_number(arg, u64::from(u32::MAX) - 1) {
        Ok(v) => Some(u32::try_from(v).ok()),
        Err(crate::cli::BadNumber::Range) => Some(None),
        Err(crate::cli::BadNumber::Invalid) => None,
    }
}

/// The uid and primary gid of user `name` in the passwd database.
pub fn passwd_ids(name: &str) -> Option<(u32, u32)> {
    User::from_name(name)
        .ok()
        .flatten()
        .map(|u| (u.uid.as_raw(), u.gid.as_raw()))
}
