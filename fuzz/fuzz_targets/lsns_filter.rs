//! lsns's `-Q` filter language: the expression, then (after a NUL byte) one cell value that
//! every column the expression names takes, typed by the column's first letter.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use table::DataType;
use table::filter::Filter;

fuzz_target!(|data: &[u8]| {
    let fields = nsutils_fuzz::fields(data);
    let expr = nsutils_fuzz::text(fields[0]);
    let Ok(filter) = Filter::parse(&expr) else {
        return;
    };
    let cell = fields.get(1).copied();
    let _ = filter.holders();
    let _ = filter.matches(|name| {
        let kind = match name.bytes().next().unwrap_or(b'S') % 4 {
            0 => DataType::String,
            1 => DataType::Number,
            2 => DataType::Float,
            _ => DataType::Boolean,
        };
        (kind, cell.map(Cow::Borrowed))
    });
});
