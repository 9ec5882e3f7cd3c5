//! Tables as util-linux's libsmartcols prints them (placeholder: being written).

pub mod filter;
