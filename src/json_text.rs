//! [`Message`] over JSON text, read in place: no parse tree, and no allocation once warm.
//!
//! Players post their envelopes as JSON strings. Parsing one into objects (`JSON.parse`, or
//! `serde_json`) and then reading four members of it costs more than the whole decision needs: the
//! browser glue hands the string to wasm once, [`JsonTape::read`] checks in one pass that it is JSON
//! exactly as `JSON.parse` would accept it and notes where each value starts and ends (the tape),
//! and the decoder reads the few members it needs by walking the tape, comparing keys in place. A
//! progress message that does not advance is then decided with no object built at all.
//!
//! The same decoder ([`crate::decode`]) reads this and every other [`Message`]: the rules exist once.

use crate::message::{Field, Message, Pick};
use alloc::string::String;
use alloc::vec::Vec;

/// Where the values of a JSON text are, found by [`JsonTape::read`]; kept between texts, so that
/// reading the next one reuses its memory.
///
/// ```
/// use coassemble_events::{decode_player, JsonTape, PlayerEvent};
/// let mut tape = JsonTape::default();
/// let msg = tape.read(r#"{"type":"course","event":"progress","data":{"progress":42}}"#)?;
/// assert!(matches!(decode_player(msg), Ok(PlayerEvent::CourseProgress { percent: 42, .. })));
/// # Ok::<(), coassemble_events::json_text::NotRead>(())
/// ```
#[derive(Debug, Default)]
pub struct JsonTape {
    /// Every value and key in text order (a container is followed by its contents): the first
    /// `used`; the rest is room kept from longer texts, overwritten before `Vec::push` is needed.
    entries: Vec<Entry>,
    used: usize,
    /// The containers open while reading: their index in `entries`, and whether it is an object.
    open: Vec<(usize, bool)>,
}

/// One value (or key) of the text: its bytes are `start..end`, and `next` is the index of the entry
/// after it and everything inside it (for a scalar or a key, the next index). `escaped`: a string
/// with a backslash in it (only those need decoding to be compared).
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    end: usize,
    next: usize,
    escaped: bool,
}

/// A JSON value inside a text read by [`JsonTape::read`].
#[derive(Debug, Clone, Copy)]
pub struct JsonText<'a> {
    text: &'a str,
    tape: &'a [Entry],
    /// This value's entry in `tape`.
    index: usize,
    /// The host's parser for the other numbers (see [`JsonTape::read_with_number_parser`]).
    parse_number: Option<fn(&str) -> f64>,
}

/// Why [`JsonTape::read`] did not take a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRead {
    /// Not JSON: `JSON.parse` would throw (for an envelope: another script's message).
    NotJson,
    /// JSON with a number whose exact value needs a full float parser, and none was given (see
    /// [`JsonTape::read_with_number_parser`]).
    NeedsParser,
}

impl JsonTape {
    /// The root value of `text`, after checking that `text` is one JSON value as RFC 8259 and
    /// `JSON.parse` define it (whitespace around it allowed, nothing else).
    ///
    /// Whole numbers of up to 15 digits are read exactly (percents, ids: what envelopes carry); a
    /// text with any other number (`42.7`, `-3`, `1e3`) is [`NotRead::NeedsParser`].
    pub fn read<'a>(&'a mut self, text: &'a str) -> Result<JsonText<'a>, NotRead> {
        self.read_text(text, None)
    }

    /// Like [`JsonTape::read`], with `parse_number` for every other number: it gets the
    /// number's JSON literal and returns its double (the browser glue passes JavaScript's `Number`,
    /// so no float parser is compiled into the wasm).
    pub fn read_with_number_parser<'a>(
        &'a mut self,
        text: &'a str,
        parse_number: fn(&str) -> f64,
    ) -> Result<JsonText<'a>, NotRead> {
        self.read_text(text, Some(parse_number))
    }

    fn read_text<'a>(
        &'a mut self,
        text: &'a str,
        parse_number: Option<fn(&str) -> f64>,
    ) -> Result<JsonText<'a>, NotRead> {
        self.check(text.as_bytes(), parse_number.is_some())?;
        Ok(JsonText {
            text,
            tape: self.entries.get(..self.used).unwrap_or_default(),
            index: 0,
            parse_number,
        })
    }

    #[inline(always)] // on the path of every message: a call each costs more than the body
    fn scalar(&mut self, start: usize, end: usize, escaped: bool) {
        let entry = Entry {
            start,
            end,
            next: self.used + 1,
            escaped,
        };
        match self.entries.get_mut(self.used) {
            Some(slot) => *slot = entry,
            None => self.entries.push(entry),
        }
        self.used += 1;
    }

    /// Checks that `text` is one JSON value, iteratively (no recursion, so no stack to overflow),
    /// writing the tape as it goes. `any_number`: numbers that are not small whole ones are fine (a parser will
    /// read them).
    fn check(&mut self, text: &[u8], any_number: bool) -> Result<(), NotRead> {
        self.used = 0;
        self.open.clear();
        let mut at = skip_space(text, 0);
        'value: loop {
            // A value starts at `at`.
            let start = at;
            match text.get(at) {
                Some(&open @ (b'{' | b'[')) => {
                    self.open.push((self.used, open == b'{'));
                    self.scalar(start, start, false); // `end` and `next` are set when it closes
                    at = skip_space(text, at + 1);
                    let close = if open == b'{' { b'}' } else { b']' };
                    if !matches!(text.get(at), Some(&b) if b == close) {
                        if open == b'{' {
                            at = self.key(text, at)?;
                        }
                        continue 'value;
                    }
                    // Empty: closed below, as any container.
                }
                Some(b'"') => {
                    let escaped;
                    (at, escaped) = string(text, at)?;
                    self.scalar(start, at, escaped);
                }
                Some(b't') => {
                    at = literal(text, at, b"true")?;
                    self.scalar(start, at, false);
                }
                Some(b'f') => {
                    at = literal(text, at, b"false")?;
                    self.scalar(start, at, false);
                }
                Some(b'n') => {
                    at = literal(text, at, b"null")?;
                    self.scalar(start, at, false);
                }
                // With a parser for the rest, only the grammar matters here.
                Some(b'-' | b'0'..=b'9') => match number_end(text, at) {
                    Some(end) if any_number || number(text, at).is_some() => {
                        at = end;
                        self.scalar(start, at, false);
                    }
                    Some(_) => return Err(NotRead::NeedsParser),
                    None => return Err(NotRead::NotJson),
                },
                _ => return Err(NotRead::NotJson),
            }
            // A value ended (or an empty container is at its closing bracket): what may follow
            // depends on the container it is in.
            loop {
                at = skip_space(text, at);
                let Some(&(container, in_object)) = self.open.last() else {
                    return if at == text.len() {
                        Ok(())
                    } else {
                        Err(NotRead::NotJson)
                    };
                };
                match (text.get(at), in_object) {
                    (Some(b','), _) => {
                        at = skip_space(text, at + 1);
                        if in_object {
                            at = self.key(text, at)?;
                        }
                        continue 'value;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        at += 1;
                        self.open.pop();
                        let next = self.used;
                        if let Some(entry) = self.entries.get_mut(container) {
                            entry.end = at;
                            entry.next = next;
                        }
                    }
                    _ => return Err(NotRead::NotJson),
                }
            }
        }
    }

    /// A member's key (onto the tape) and its colon at `at`; returns where the value starts.
    fn key(&mut self, text: &[u8], at: usize) -> Result<usize, NotRead> {
        if !matches!(text.get(at), Some(b'"')) {
            return Err(NotRead::NotJson);
        }
        let (end, escaped) = string(text, at)?;
        self.scalar(at, end, escaped);
        let at = skip_space(text, end);
        if !matches!(text.get(at), Some(b':')) {
            return Err(NotRead::NotJson);
        }
        Ok(skip_space(text, at + 1))
    }
}

impl Entry {
    /// Whether this string (a key, or a value known to be a string) is the text `plain`: compared in
    /// place, decoded only when it has escapes (an escape is longer than the character it stands
    /// for, so only a longer body can be equal).
    #[inline(always)] // on the path of every message: a call each costs more than the body
    fn is_text(&self, text: &[u8], plain: &str) -> bool {
        let body = text.get(self.start + 1..self.end - 1).unwrap_or_default();
        if self.escaped {
            return body.len() > plain.len()
                && core::str::from_utf8(body).is_ok_and(|body| unescape(body) == plain);
        }
        // By hand: at opt-level "z", `==` on slices is two calls (and `memcmp`) for a few bytes.
        let plain = plain.as_bytes();
        if body.len() != plain.len() {
            return false;
        }
        let mut i = 0;
        while let (Some(a), Some(b)) = (body.get(i), plain.get(i)) {
            if a != b {
                return false;
            }
            i += 1;
        }
        true
    }
}

impl<'a> JsonText<'a> {
    #[inline(always)] // on the path of every message: a call each costs more than the body
    fn entry(&self) -> Entry {
        self.tape.get(self.index).copied().unwrap_or(Entry {
            start: 0,
            end: 0,
            next: 0,
            escaped: false,
        })
    }

    #[inline(always)] // on the path of every message: a call each costs more than the body
    fn first_byte(&self) -> u8 {
        self.text
            .as_bytes()
            .get(self.entry().start)
            .copied()
            .unwrap_or(0)
    }

    /// This value's JSON text (to parse it into a tree when one is needed).
    pub fn as_str(&self) -> &'a str {
        let Entry { start, end, .. } = self.entry();
        self.text.get(start..end).unwrap_or_default()
    }

    /// This value's string body (between the quotes, escapes not decoded), if it is a string.
    #[inline(always)] // on the path of every message: a call each costs more than the body
    fn string_body(&self) -> Option<&'a str> {
        let Entry { start, end, .. } = self.entry();
        (self.first_byte() == b'"').then(|| self.text.get(start + 1..end - 1).unwrap_or_default())
    }
}

impl Message for JsonText<'_> {
    /// The last member named `key` (as `JSON.parse` keeps the last of duplicate keys); `None` for a
    /// `null` member, as the browser's object reader answers.
    fn member(&self, key: &str) -> Option<Self> {
        if self.first_byte() != b'{' {
            return None;
        }
        let bytes = self.text.as_bytes();
        let end = self.entry().next;
        let mut found = None;
        // Keys and values alternate: the value's `next` is the next key.
        let mut name = self.index + 1;
        while name < end {
            let (Some(key_entry), Some(value)) = (self.tape.get(name), self.tape.get(name + 1))
            else {
                break;
            };
            if key_entry.is_text(bytes, key) {
                found = Some(name + 1);
            }
            name = value.next;
        }
        let value = JsonText {
            index: found?,
            ..*self
        };
        (value.first_byte() != b'n').then_some(value)
    }

    fn field(&self) -> Field {
        match self.first_byte() {
            b'"' => Field::Text(unescape(self.string_body().unwrap_or_default())),
            b't' => Field::Bool(true),
            b'f' => Field::Bool(false),
            b'n' => Field::Null,
            b'{' | b'[' => Field::Structured,
            _ => Field::Number(match number(self.text.as_bytes(), self.entry().start) {
                Some((value, _)) => value,
                None => self
                    .parse_number
                    .map_or(f64::NAN, |parse| parse(self.as_str())),
            }),
        }
    }

    /// Compares the string in place: no copy unless it has escapes.
    fn pick(&self, key: &str, words: &'static [&'static str]) -> Pick {
        match self.member(key) {
            Some(value) if value.first_byte() == b'"' => {
                let (entry, bytes) = (value.entry(), self.text.as_bytes());
                words
                    .iter()
                    .find(|word| entry.is_text(bytes, word))
                    .map_or(Pick::Other, |word| Pick::Is(word))
            }
            _ => Pick::Missing,
        }
    }
}

fn skip_space(text: &[u8], mut at: usize) -> usize {
    while matches!(text.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

fn literal(text: &[u8], at: usize, word: &[u8]) -> Result<usize, NotRead> {
    match text.get(at..at + word.len()) {
        Some(found) if found == word => Ok(at + word.len()),
        _ => Err(NotRead::NotJson),
    }
}

/// Checks the string whose quote is at `at`; returns the index past its closing quote, and whether
/// it has escapes.
fn string(text: &[u8], mut at: usize) -> Result<(usize, bool), NotRead> {
    let mut escaped = false;
    at += 1;
    loop {
        // The run of plain characters (most strings are nothing else), then what ends it.
        while let Some(&b) = text.get(at) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            at += 1;
        }
        match text.get(at) {
            Some(b'"') => return Ok((at + 1, escaped)),
            Some(b'\\') => match text.get(at + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                    escaped = true;
                    at += 2;
                }
                Some(b'u') if is_hex4(text.get(at + 2..at + 6)) => {
                    escaped = true;
                    at += 6;
                }
                _ => return Err(NotRead::NotJson),
            },
            // Control characters must be escaped; everything else (UTF-8) stands for itself.
            Some(&b) if b >= 0x20 => at += 1,
            _ => return Err(NotRead::NotJson),
        }
    }
}

fn is_hex4(digits: Option<&[u8]>) -> bool {
    digits.is_some_and(|d| d.len() == 4 && d.iter().all(u8::is_ascii_hexdigit))
}

/// The text of a checked string body: escapes decoded, a lone surrogate as U+FFFD (as the browser's
/// UTF-16 → UTF-8 conversion writes it for the object reader).
fn unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let c = match chars.next().unwrap_or('\\') {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let unit = hex_unit(&mut chars);
                // A high surrogate followed by an escaped low one is one character.
                let mut ahead = chars.clone();
                let low = (ahead.next() == Some('\\') && ahead.next() == Some('u'))
                    .then(|| hex_unit(&mut ahead))
                    .filter(|low| (0xdc00..0xe000).contains(low));
                match (unit, low) {
                    (0xd800..=0xdbff, Some(low)) => {
                        chars = ahead;
                        char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))
                    }
                    _ => char::from_u32(unit),
                }
                .unwrap_or('\u{fffd}')
            }
            other => other, // `"`, `\` and `/` stand for themselves
        };
        out.push(c);
    }
    out
}

/// The four hex digits of a checked `\u` escape.
fn hex_unit(chars: &mut core::str::Chars<'_>) -> u32 {
    chars
        .take(4)
        .fold(0, |unit, c| unit * 16 + c.to_digit(16).unwrap_or(0))
}

/// The index past the number at `at`, if it follows JSON's grammar:
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn number_end(text: &[u8], mut at: usize) -> Option<usize> {
    let digits = |at: usize| {
        let rest = text.get(at..).unwrap_or_default();
        let end = at + rest.iter().take_while(|b| b.is_ascii_digit()).count();
        (end > at).then_some(end)
    };
    if text.get(at) == Some(&b'-') {
        at += 1;
    }
    at = match text.get(at) {
        Some(b'0') => at + 1,
        Some(b'1'..=b'9') => digits(at)?,
        _ => return None,
    };
    if text.get(at) == Some(&b'.') {
        at = digits(at + 1)?;
    }
    if matches!(text.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(text.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        at = digits(at)?;
    }
    Some(at)
}

/// The value of the number at `at` and the index past it, when it is a whole number of at most 15
/// digits (a percent, an id: what envelopes carry), which is exact as it is. Any other number needs
/// a float parser to be the double `JSON.parse` gives; the browser glue passes JavaScript's own.
fn number(text: &[u8], at: usize) -> Option<(f64, usize)> {
    let negative = text.get(at) == Some(&b'-');
    let at = at + usize::from(negative);
    let digits = text.get(at..).unwrap_or_default();
    let whole = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=15).contains(&whole) || (whole > 1 && digits.first() == Some(&b'0')) {
        return None;
    }
    if matches!(digits.get(whole), Some(b'.' | b'e' | b'E')) {
        return None;
    }
    let value = digits
        .iter()
        .take(whole)
        .fold(0u64, |v, &b| v * 10 + u64::from(b - b'0')) as f64;
    Some((if negative { -value } else { value }, at + whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the browser glue passes: a full float parser (here Rust's, which gives the same doubles).
    fn rust_number(text: &str) -> f64 {
        text.parse().unwrap_or(f64::NAN)
    }

    #[test]
    fn accepts_what_json_parse_accepts() {
        for text in [
            "0",
            "-0",
            "1.5e3",
            "\"\"",
            " null ",
            "true",
            "[]",
            "{}",
            "[1,[2,[3]],{\"a\":{}}]",
            "{\"a\" : 1 , \"b\":[ ]}\n",
            "\"\\u00e9\\n\\\"\\/\"",
            "\"caf\u{e9}\"",
            "1E+2",
            "-0.5e-3",
        ] {
            assert!(
                JsonTape::default()
                    .read_with_number_parser(text, rust_number)
                    .is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn refuses_what_json_parse_refuses() {
        for text in [
            "",
            " ",
            "hello",
            "{",
            "}",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "{\"a\" 1}",
            "01",
            "1.",
            ".5",
            "+1",
            "1e",
            "--1",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"a\u{1}\"",
            "\"open",
            "tru",
            "nul",
            "[1] [2]",
            "{\"a\":1}}",
            "[}",
            "{]",
            "'a'",
            "NaN",
            "Infinity",
            "1 2",
            "\u{feff}1",
        ] {
            assert_eq!(
                JsonTape::default()
                    .read_with_number_parser(text, rust_number)
                    .err(),
                Some(NotRead::NotJson),
                "{text:?}"
            );
        }
    }

    #[test]
    fn reads_any_depth() {
        for depth in [1, 255, 256, 257, 5000] {
            let deep = "[{\"a\":".repeat(depth) + "1" + &"}]".repeat(depth);
            assert!(
                JsonTape::default()
                    .read_with_number_parser(&deep, rust_number)
                    .is_ok(),
                "{depth}"
            );
            let wrong = "[{\"a\":".repeat(depth) + "1" + &"]}".repeat(depth);
            assert_eq!(
                JsonTape::default()
                    .read_with_number_parser(&wrong, rust_number)
                    .err(),
                Some(NotRead::NotJson),
                "{depth}"
            );
        }
    }

    #[test]
    fn long_numbers_need_the_hosts_parser() {
        for text in [
            "1234567890123456",
            "1e23",
            "0.1e-30",
            "1e99999",
            "33.333333333333336",
            "42.7",
            "0.1",
            "1E2",
            "-0.5",
        ] {
            assert_eq!(
                JsonTape::default().read(text).err(),
                Some(NotRead::NeedsParser),
                "{text:?}"
            );
            let read = JsonTape::default()
                .read_with_number_parser(text, rust_number)
                .unwrap()
                .field();
            assert_eq!(read, Field::Number(text.parse().unwrap()), "{text:?}");
        }
    }

    #[test]
    fn numbers_are_the_doubles_json_parse_gives() {
        for (text, value) in [
            ("42", 42.0),
            ("-3", -3.0),
            ("0", 0.0),
            ("123456789012345", 123456789012345.0),
        ] {
            assert_eq!(
                JsonTape::default().read(text).unwrap().field(),
                Field::Number(value),
                "{text}"
            );
        }
        let negative_zero = JsonTape::default().read("-0").unwrap().field();
        assert!(matches!(negative_zero, Field::Number(z) if z == 0.0 && z.is_sign_negative()));
    }

    #[test]
    fn reads_members_like_json_parse() {
        let mut tape = JsonTape::default();
        let msg = tape.read(r#" { "type" : "course", "data": {"progress": 5, "x": [1, {"progress": 9}]}, "type": "screen", "n": null } "#).unwrap();
        assert_eq!(
            msg.text("type").as_deref(),
            Some("screen"),
            "the last duplicate wins"
        );
        let data = msg.member("data").unwrap();
        assert_eq!(data.member("progress").unwrap().field(), Field::Number(5.0));
        assert_eq!(data.member("x").unwrap().field(), Field::Structured);
        assert!(
            msg.member("n").is_none(),
            "null reads as absent, as in the object reader"
        );
        assert!(msg.member("missing").is_none());
        let array = data.member("x").unwrap();
        assert!(array.member("progress").is_none(), "arrays have no members");
        assert_eq!(array.as_str(), r#"[1, {"progress": 9}]"#);
        assert_eq!(msg.pick("type", &["course", "screen"]), Pick::Is("screen"));
        assert_eq!(msg.pick("data", &["course"]), Pick::Missing);
    }

    #[test]
    fn decodes_escapes() {
        let mut tape = JsonTape::default();
        let msg = tape
            .read(r#"{"t\u0079pe":"a\"b\\c\/d\u00e9\ud83d\ude00\ud800x\n"}"#)
            .unwrap();
        assert_eq!(
            msg.text("type").as_deref(),
            Some("a\"b\\c/d\u{e9}\u{1f600}\u{fffd}x\n")
        );
        let mut tape = JsonTape::default();
        let named = tape.read(r#"{"event":"pro\u0067ress"}"#).unwrap();
        assert_eq!(named.pick("event", &["progress"]), Pick::Is("progress"));
    }
}
