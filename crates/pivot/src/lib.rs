//! Changing the root file system: `pivot_root`, a drop-in for util-linux's (`switch_root` and
//! the one-step `pivot` are still to come).

pub mod pivot_root;
