//! libcgroup's error codes (`ECG*`), their texts, and the exit status a tool ends with: the
//! code modulo 256, as the C tools return it from `main`.

use sys::error::{Errno, Error};

/// A libcgroup error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecg {
    /// 50001: no cgroup file system is mounted.
    NotMounted,
    /// 50002: the group does not exist.
    GroupNotExist,
    /// 50004: a controller the operation needs is not mounted.
    SubsysNotMounted,
    /// 50005: the caller does not own the group.
    NotOwner,
    /// 50007: the operation is not allowed.
    NotAllowed,
    /// 50011: an invalid operation (also: a setting with no v1/v2 counterpart).
    Inval,
    /// 50012: a controller could not be added to a group (`cgxget -g` of a controller that is
    /// not mounted).
    ControllerCreateFailed,
    /// 50013: the operation failed.
    Fail,
    /// 50015: the setting does not exist.
    ValueNotExist,
    /// 50016: a system call failed; the text is its errno's.
    Other,
    /// 50019: a rules file could not be parsed.
    ParseFail,
    /// 50021: mounting a hierarchy failed (cgconfig.conf's `mount` section).
    MountFail,
    /// 50024: a cgconfig.conf file could not be parsed.
    ConfigParseFail,
    /// 50025: a controller has two `namespace` paths (or co-mounted ones differ).
    NamespacePaths,
    /// 50026: a `namespace` entry names a controller that is not mounted.
    NamespaceController,
    /// 50027: a cgconfig.conf file has both `mount` and `namespace` sections.
    MountNamespace,
    /// 50030: the group is not empty.
    NonEmpty,
    /// 50031: the setting cannot be converted between cgroup v1 and v2.
    NoVersionConvert,
}

impl Ecg {
    /// The numeric code.
    pub fn code(self) -> u32 {
        match self {
            Ecg::NotMounted => 50001,
            Ecg::GroupNotExist => 50002,
            Ecg::SubsysNotMounted => 50004,
            Ecg::NotOwner => 50005,
            Ecg::NotAllowed => 50007,
            Ecg::Inval => 50011,
            Ecg::ControllerCreateFailed => 50012,
            Ecg::Fail => 50013,
            Ecg::ValueNotExist => 50015,
            Ecg::Other => 50016,
            Ecg::ParseFail => 50019,
            Ecg::MountFail => 50021,
            Ecg::ConfigParseFail => 50024,
            Ecg::NamespacePaths => 50025,
            Ecg::NamespaceController => 50026,
            Ecg::MountNamespace => 50027,
            Ecg::NonEmpty => 50030,
            Ecg::NoVersionConvert => 50031,
        }
    }

    /// The exit status: the code modulo 256 (82 for a missing group).
    pub fn status(self) -> u8 {
        (self.code() & 0xff) as u8
    }

    /// libcgroup's text (for [`Ecg::Other`], the errno's text is used instead).
    pub fn text(self) -> &'static str {
        match self {
            Ecg::NotMounted => "Cgroup is not mounted",
            Ecg::GroupNotExist => "Cgroup does not exist",
            Ecg::SubsysNotMounted => "Cgroup one of the needed subsystems is not mounted",
            Ecg::NotOwner => "Cgroup, request came in from non owner",
            Ecg::NotAllowed => "Cgroup, operation not allowed",
            Ecg::Inval => "Cgroup invalid operation",
            Ecg::ControllerCreateFailed => "Cgroup, creation of controller failed",
            Ecg::Fail => "Cgroup operation failed",
            Ecg::ValueNotExist => "Cgroup, requested group parameter does not exist",
            Ecg::Other => "Cgroup, system call failed",
            Ecg::ParseFail => "Cgroup parsing failed",
            Ecg::MountFail => "Cgroup mounting failed",
            Ecg::ConfigParseFail => "Failed to parse config file",
            Ecg::NamespacePaths => "Have multiple paths for the same namespace",
            Ecg::NamespaceController => "Controller in namespace does not exist",
            Ecg::MountNamespace => {
                "Either mount or namespace keyword has to be specified in the configuration file"
            }
            Ecg::NonEmpty => "Failed to remove a non-empty group",
            Ecg::NoVersionConvert => "Failed to convert from cgroup v1 to/from cgroup v2",
        }
    }

    /// This code as an [`Error`] whose message is its text, exiting with its status.
    pub fn error(self) -> Error {
        Error::msg(self.text()).with_status(self.status())
    }

    /// [`Ecg::Other`]-style: the errno's text, with this code's status. A tool adds what it
    /// was doing with [`Error::context`].
    pub fn with_errno(self, errno: impl Into<Errno>) -> Error {
        let errno = errno.into().0;
        Error::Os {
            what: String::new(),
            errno,
            status: self.status(),
        }
    }
}

impl std::fmt::Display for Ecg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}
