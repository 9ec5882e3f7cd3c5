//! The libsmartcols filter language, `scols-filter(5)` (placeholder: being written).
