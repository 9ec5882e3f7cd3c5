//! Settings between cgroup v1 and v2 names and units, so that `cgset -r
//! memory.limit_in_bytes=15M` works on a v2 host and `cgset -r memory.max=15M` on a v1 one.
//!
//! | v1 | v2 | v1 → v2 | v2 → v1 |
//! |---|---|---|---|
//! | `cpu.shares` | `cpu.weight` | `shares * 100 / 1024`, clamped to 1..=10000 | `weight * 1024 / 100`, at most 2^64 - 1 |
//! | `cpu.cfs_quota_us` | `cpu.max` | `"<quota\|max> <current period>"` | first field, `max` → `-1` |
//! | `cpu.cfs_period_us` | `cpu.max` | `"<current quota> <period>"` | second field |
//! | `memory.limit_in_bytes` | `memory.max` | `-1` (or 2^63 - 4096) → `max` | `max` → `-1` |
//! | `memory.soft_limit_in_bytes` | `memory.high` | as above | as above |
//! | `memory.memsw.limit_in_bytes` | `memory.swap.max` | memsw − the memory limit | swap + the memory limit |
//! | `cpuset.cpu_exclusive` | `cpuset.cpus.partition` | `1` → `root`, else `member` | `root` → `1`, else `0` |
//! | `cpuset.effective_cpus`/`_mems` | `cpuset.cpus.effective`/`mems.effective` | rename | rename |
//!
//! Every other name passes through unchanged (`cpuset.cpus`, `pids.max`, ...): if the file
//! does not exist in the target hierarchy, writing it says so. libcgroup does not clamp
//! `cpu.weight`, so `cpu.shares=2` became the invalid weight 0 there.

use super::{Ecg, Version};
use sys::error::{Error, Result};

/// One file write a setting becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The setting's name in the target hierarchy.
    pub name: String,
    /// The value to write.
    pub value: String,
}

fn one(name: &str, value: impl Into<String>) -> Vec<Translated> {
    vec![Translated {
        name: name.to_owned(),
        value: value.into(),
    }]
}

/// The largest v1 memory limit, which v1 shows for "unlimited".
const V1_UNLIMITED: &str = "9223372036854771712";

/// Translate `name=value` for a hierarchy of version `to`. `current` reads a setting of the
/// target group (the other half of `cpu.max`, the memory limit that swap is counted from).
pub fn translate(
    name: &str,
    value: &str,
    to: Version,
    current: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Translated>> {
    let value = value.trim_end_matches('\n');
    let unlimited = |v: &str| v == "-1" || v == V1_UNLIMITED || v == "max";
    match (to, name) {
        (Version::V2, "cpu.shares") => {
            let shares: u64 = number(name, value)?;
            // In u128, so that a huge value saturates at the largest weight instead of
            // overflowing (libcgroup wraps it around).
            let weight = (u128::from(shares) * 100 / 1024).clamp(1, 10000);
            Ok(one("cpu.weight", weight.to_string()))
        }
        (Version::V2, "cpu.cfs_quota_us") => {
            let period = current("cpu.max")
                .and_then(|m| m.split_whitespace().nth(1).map(str::to_owned))
                .unwrap_or_else(|| "100000".into());
            let quota = if unlimited(value) {
                "max".to_owned()
            } else {
                number::<u64>(name, value)?.to_string()
            };
            Ok(one("cpu.max", format!("{quota} {period}")))
        }
        (Version::V2, "cpu.cfs_period_us") => {
            let quota = current("cpu.max")
                .and_then(|m| m.split_whitespace().next().map(str::to_owned))
                .unwrap_or_else(|| "max".into());
            Ok(one(
                "cpu.max",
                format!("{quota} {}", number::<u64>(name, value)?),
            ))
        }
        (Version::V2, "memory.limit_in_bytes" | "memory.soft_limit_in_bytes") => {
            let target = if name == "memory.limit_in_bytes" {
                "memory.max"
            } else {
                "memory.high"
            };
            Ok(one(target, if unlimited(value) { "max" } else { value }))
        }
        (Version::V2, "memory.memsw.limit_in_bytes") => {
            if unlimited(value) {
                return Ok(one("memory.swap.max", "max"));
            }
            let memsw = parse_size(value).ok_or_else(|| bad_value(name, value))?;
            let limit = current("memory.max").unwrap_or_else(|| "max".into());
            let Some(memory) = parse_size(&limit) else {
                return Err(Error::msg(format!(
                    "{name}={value}: swap is counted from the memory limit, and memory.max is {limit}; set memory.limit_in_bytes first"
                ))
                .with_status(Ecg::Inval.status()));
            };
            let swap = memsw.checked_sub(memory).ok_or_else(|| {
                Error::msg(format!("{name}={value} is below the memory limit {memory}"))
                    .with_status(Ecg::Inval.status())
            })?;
            Ok(one("memory.swap.max", swap.to_string()))
        }
        (Version::V2, "cpuset.cpu_exclusive") => Ok(one(
            "cpuset.cpus.partition",
            if value == "1" { "root" } else { "member" },
        )),
        (Version::V2, "cpuset.effective_cpus") => Ok(one("cpuset.cpus.effective", value)),
        (Version::V2, "cpuset.effective_mems") => Ok(one("cpuset.mems.effective", value)),
        (Version::V1, "cpu.weight") => {
            let weight: u64 = number(name, value)?;
            // Saturating at u64::MAX, which the kernel clamps to its largest share (libcgroup
            // 3.2.0 wraps 9223372036854775807 around to -10).
            let shares = u64::try_from(u128::from(weight) * 1024 / 100).unwrap_or(u64::MAX);
            Ok(one("cpu.shares", shares.to_string()))
        }
        (Version::V1, "cpu.max") => {
            let mut fields = value.split_whitespace();
            let quota = fields.next().ok_or_else(|| bad_value(name, value))?;
            let quota = if quota == "max" {
                "-1".to_owned()
            } else {
                number::<u64>(name, quota)?.to_string()
            };
            let mut out = Vec::new();
            if let Some(period) = fields.next() {
                out.extend(one(
                    "cpu.cfs_period_us",
                    number::<u64>(name, period)?.to_string(),
                ));
            }
            out.extend(one("cpu.cfs_quota_us", quota));
            Ok(out)
        }
        (Version::V1, "memory.max" | "memory.high") => {
            let target = if name == "memory.max" {
                "memory.limit_in_bytes"
            } else {
                "memory.soft_limit_in_bytes"
            };
            Ok(one(target, if value == "max" { "-1" } else { value }))
        }
        (Version::V1, "memory.swap.max") => {
            if value == "max" {
                return Ok(one("memory.memsw.limit_in_bytes", "-1"));
            }
            let swap = parse_size(value).ok_or_else(|| bad_value(name, value))?;
            let limit = current("memory.limit_in_bytes").unwrap_or_else(|| V1_UNLIMITED.into());
            match parse_size(&limit).filter(|_| limit != V1_UNLIMITED) {
                Some(memory) => {
                    let memsw = memory.checked_add(swap).ok_or_else(|| {
                        Error::msg(format!(
                            "{name}={value}: swap and the memory limit {memory} add up beyond the largest limit"
                        ))
                        .with_status(Ecg::Inval.status())
                    })?;
                    Ok(one("memory.memsw.limit_in_bytes", memsw.to_string()))
                }
                None => Err(Error::msg(format!(
                    "{name}={value}: swap is counted from the memory limit, which is unlimited; set memory.max first"
                ))
                .with_status(Ecg::Inval.status())),
            }
        }
        (Version::V1, "cpuset.cpus.partition") => Ok(one(
            "cpuset.cpu_exclusive",
            if value == "root" { "1" } else { "0" },
        )),
        (Version::V1, "cpuset.cpus.effective") => Ok(one("cpuset.effective_cpus", value)),
        (Version::V1, "cpuset.mems.effective") => Ok(one("cpuset.effective_mems", value)),
        _ => Ok(one(name, value)),
    }
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    value.trim().parse().map_err(|_| bad_value(name, value))
}

fn bad_value(name: &str, value: &str) -> Error {
    Error::msg(format!("invalid value for {name}: '{value}'")).with_status(Ecg::Inval.status())
}

/// A size as the kernel's memparse reads it: a number with an optional `K`, `M`, `G`, `T`,
/// `P` or `E` suffix (powers of 1024, either case).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, shift) = match t.chars().last()?.to_ascii_uppercase() {
        'K' => (&t[..t.len() - 1], 10),
        'M' => (&t[..t.len() - 1], 20),
        'G' => (&t[..t.len() - 1], 30),
        'T' => (&t[..t.len() - 1], 40),
        'P' => (&t[..t.len() - 1], 50),
        'E' => (&t[..t.len() - 1], 60),
        _ => (t, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(1u64 << shift)
}
