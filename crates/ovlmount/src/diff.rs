//! `ovlmount diff` (being written).
