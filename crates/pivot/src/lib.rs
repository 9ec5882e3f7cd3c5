//! Changing the root file system: `pivot_root` and `switch_root`, drop-ins for util-linux's,
//! and `pivot`, one safe step into a root file system.

pub mod pivot;
pub mod pivot_root;
pub mod switch_root;
