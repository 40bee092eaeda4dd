//! The record the npm package's in-page wasm answers with (src/abi.rs), as `js/page/embed-handle.js`
//! reads it from wasm memory: its layout, pinned.
//!
//! Every member is a `u32` or an `f64` (addresses are wasm32's `u32`), so the layout is the same on
//! every target: the assertions below hold at compile time wherever the crate builds, and the unit
//! test at the end reads the offsets JS uses (the `RECORD_*`/`FIELD_*` constants of
//! `js/page/embed-handle.js`, which esbuild inlines: no bytes for the table) and compares them with
//! these. Changing either side without the other fails `cargo test`.

use core::mem::{offset_of, size_of};

/// What JS reads after a call: up to [`FIELDS`] named values, in order: one event's, or two's.
#[repr(C)]
#[derive(Default)]
pub(crate) struct Record {
    pub count: u32,
    /// 0, or where a second event's fields begin: a completion below 100 answers two events, the
    /// implied progress of 100 (fields `0..split`), then the completion (`split..count`).
    pub split: u32,
    pub fields: [Field; FIELDS],
}

/// The most fields any record has.
pub(crate) const FIELDS: usize = 8;

/// One named value. Texts are UTF-8, at wasm32 addresses.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Field {
    pub key: u32,
    pub key_len: u32,
    /// How JS reads the value: one of the kinds below.
    pub kind: u32,
    pub text: u32,
    pub text_len: u32,
    pub number: f64,
}

/// `Field::kind`, the index into `READ` in js/page/embed-handle.js.
pub(crate) const NUMBER: u32 = 0;
pub(crate) const TEXT: u32 = 1;
/// JSON text, for `JSON.parse`.
pub(crate) const JSON: u32 = 2;
pub(crate) const FALSE: u32 = 3;
pub(crate) const TRUE: u32 = 4;
pub(crate) const NULL: u32 = 5;

// The layout JS reads, byte offsets (the names JS gives them).
pub(crate) const RECORD_COUNT: usize = 0;
pub(crate) const RECORD_SPLIT: usize = 4;
pub(crate) const RECORD_FIELDS: usize = 8;
pub(crate) const FIELD_SIZE: usize = 32;
pub(crate) const FIELD_KEY: usize = 0;
pub(crate) const FIELD_KEY_LENGTH: usize = 4;
pub(crate) const FIELD_KIND: usize = 8;
pub(crate) const FIELD_TEXT: usize = 12;
pub(crate) const FIELD_TEXT_LENGTH: usize = 16;
pub(crate) const FIELD_NUMBER: usize = 24;

const _: () = {
    assert!(offset_of!(Record, count) == RECORD_COUNT);
    assert!(offset_of!(Record, split) == RECORD_SPLIT);
    assert!(offset_of!(Record, fields) == RECORD_FIELDS);
    assert!(size_of::<Field>() == FIELD_SIZE);
    assert!(size_of::<Record>() == RECORD_FIELDS + FIELDS * FIELD_SIZE);
    assert!(offset_of!(Field, key) == FIELD_KEY);
    assert!(offset_of!(Field, key_len) == FIELD_KEY_LENGTH);
    assert!(offset_of!(Field, kind) == FIELD_KIND);
    assert!(offset_of!(Field, text) == FIELD_TEXT);
    assert!(offset_of!(Field, text_len) == FIELD_TEXT_LENGTH);
    assert!(offset_of!(Field, number) == FIELD_NUMBER);
    assert!(NUMBER == 0 && TEXT == 1 && JSON == 2 && FALSE == 3 && TRUE == 4 && NULL == 5);
};

#[cfg(test)]
mod tests {
    use super::*;

    /// `const NAME = value;` of the JS file.
    fn js_const(js: &str, name: &str) -> usize {
        let decl = std::format!("const {name} = ");
        let at = js
            .find(&decl)
            .unwrap_or_else(|| panic!("js/page/embed-handle.js has no `{decl}…;`"))
            + decl.len();
        let value = &js[at..at + js[at..].find(';').unwrap()];
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} = {value}: not a number"))
    }

    #[test]
    fn js_reads_the_record_at_the_rust_offsets() {
        let js = include_str!("../js/page/embed-handle.js");
        for (name, rust) in [
            ("RECORD_COUNT", RECORD_COUNT),
            ("RECORD_SPLIT", RECORD_SPLIT),
            ("RECORD_FIELDS", RECORD_FIELDS),
            ("FIELD_SIZE", FIELD_SIZE),
            ("FIELD_KEY", FIELD_KEY),
            ("FIELD_KEY_LENGTH", FIELD_KEY_LENGTH),
            ("FIELD_KIND", FIELD_KIND),
            ("FIELD_TEXT", FIELD_TEXT),
            ("FIELD_TEXT_LENGTH", FIELD_TEXT_LENGTH),
            ("FIELD_NUMBER", FIELD_NUMBER),
        ] {
            assert_eq!(
                js_const(js, name),
                rust,
                "{name}: js/page/embed-handle.js ≠ src/record.rs"
            );
        }
        // The kinds are READ's indexes: its entries are written in this order, one per line.
        let read = &js[js.find("const READ = [").expect("READ table")..];
        let read = &read[..read.find("];").unwrap()];
        let order: std::vec::Vec<_> = [
            "getFloat64",
            "text(",
            "JSON.parse",
            "=> false",
            "=> true",
            "=> null",
        ]
        .iter()
        .map(|needle| {
            read.find(needle)
                .unwrap_or_else(|| panic!("READ lost {needle}"))
        })
        .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "READ's order is not the kinds'"
        );
    }
}
