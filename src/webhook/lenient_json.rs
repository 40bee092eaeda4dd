//! A JSON parser for bodies that are already trusted: any valid JSON (RFC 8259) is accepted, whatever
//! its depth or the size of its numbers, and never turned into "not JSON".
//!
//! serde_json's `from_slice::<Value>` refuses two kinds of valid JSON that a signed webhook body may
//! hold: nesting deeper than its recursion limit (128) and numbers outside f64's range (`1e400`). A
//! delivery Coassemble signed must still be stored and processed (issue 16), so the verifier's verdict
//! "JSON or not" comes from this parser instead:
//! - it is iterative (an explicit stack on the heap), so 500,000 levels inside the 1 MiB body limit
//!   cost no call stack;
//! - the `Value` it builds is the *typed view's* source and [`Delivery::json`](super::Delivery::json):
//!   containers nested deeper than [`MAX_VIEW_DEPTH`] are `Value::Null` there (a `Value` that deep would
//!   overflow the stack when serde_json drops or serialises it), and a number f64 cannot hold
//!   (`1e400`) is `Value::Null`; an integer beyond u64/i64 is an f64, as serde_json makes it (in the
//!   npm package's wasm every non-integer number is null there: see `float`). The body
//!   itself is always kept byte for byte (the inbox stores it; JS handlers get it as `raw`).

use serde_json::{Map, Value};

/// Containers deeper than this are `null` in the parsed view (the body keeps them).
pub const MAX_VIEW_DEPTH: usize = 128;

enum Frame {
    Array(Vec<Value>),
    Object(Map<String, Value>, Option<String>),
    /// A container nested deeper than [`MAX_VIEW_DEPTH`]: syntax-checked, not built (true: an array).
    Skipped(bool),
}

/// Parses `raw` (UTF-8 JSON text, one value, surrounding whitespace allowed). `Err` says why it is
/// not JSON.
pub fn parse(raw: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(raw).map_err(|e| format!("not UTF-8: {e}"))?;
    Parser {
        b: text.as_bytes(),
        text,
        i: 0,
    }
    .document()
}

struct Parser<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn document(mut self) -> Result<Value, String> {
        let mut stack: Vec<Frame> = Vec::new();
        let value = 'outer: loop {
            // Expect a value.
            self.space();
            let mut value = match self.peek() {
                Some(b'{') | Some(b'[') => {
                    let open = self.b[self.i];
                    self.i += 1;
                    let frame = if stack.len() >= MAX_VIEW_DEPTH {
                        Frame::Skipped(open == b'[')
                    } else if open == b'[' {
                        Frame::Array(Vec::new())
                    } else {
                        Frame::Object(Map::new(), None)
                    };
                    stack.push(frame);
                    self.space();
                    if open == b'[' {
                        if self.peek() == Some(b']') {
                            self.i += 1;
                            close(stack.pop().unwrap())
                        } else {
                            continue;
                        }
                    } else if self.peek() == Some(b'}') {
                        self.i += 1;
                        close(stack.pop().unwrap())
                    } else {
                        let key = self.key()?;
                        if let Some(Frame::Object(_, slot)) = stack.last_mut() {
                            *slot = Some(key);
                        }
                        continue;
                    }
                }
                Some(b'"') => Value::String(self.string()?),
                Some(b't') => self.word("true", Value::Bool(true))?,
                Some(b'f') => self.word("false", Value::Bool(false))?,
                Some(b'n') => self.word("null", Value::Null)?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(_) => return self.err("expected a value"),
                None => return self.err("unexpected end of input"),
            };
            // A value is complete: attach it to its container, then read `,` or the closing bracket.
            loop {
                let Some(frame) = stack.last_mut() else {
                    break 'outer value;
                };
                match frame {
                    Frame::Array(items) => items.push(value),
                    Frame::Object(map, slot) => {
                        map.insert(slot.take().unwrap_or_default(), value);
                    }
                    Frame::Skipped(_) => {}
                }
                let is_array = match frame {
                    Frame::Array(_) => true,
                    Frame::Object(..) => false,
                    Frame::Skipped(array) => *array,
                };
                self.space();
                match (self.peek(), is_array) {
                    (Some(b','), true) => {
                        self.i += 1;
                        continue 'outer;
                    }
                    (Some(b','), false) => {
                        self.i += 1;
                        self.space();
                        let key = self.key()?;
                        if let Some(Frame::Object(_, slot)) = stack.last_mut() {
                            *slot = Some(key);
                        }
                        continue 'outer;
                    }
                    (Some(b']'), true) | (Some(b'}'), false) => {
                        self.i += 1;
                        value = close(stack.pop().unwrap());
                    }
                    _ => return self.err("expected ',' or a closing bracket"),
                }
            }
        };
        self.space();
        if self.i != self.b.len() {
            return self.err("trailing characters");
        }
        Ok(value)
    }

    fn key(&mut self) -> Result<String, String> {
        if self.peek() != Some(b'"') {
            return self.err("expected a string key");
        }
        let key = self.string()?;
        self.space();
        if self.peek() != Some(b':') {
            return self.err("expected ':'");
        }
        self.i += 1;
        Ok(key)
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(value)
        } else {
            self.err("invalid literal")
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while let Some(b'0'..=b'9') = p.peek() {
                p.i += 1;
            }
            p.i - s
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return self.err("invalid number");
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.i += 1;
            integer = false;
            if digits(self) == 0 {
                return self.err("invalid number");
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            integer = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.err("invalid number");
            }
        }
        let text = &self.text[start..self.i];
        if integer {
            if let Ok(u) = text.parse::<u64>() {
                return Ok(Value::Number(u.into()));
            }
            // (-0 is the float -0.0, as serde_json reads it.)
            if let Ok(i @ (..=-1 | 1..)) = text.parse::<i64>() {
                return Ok(Value::Number(i.into()));
            }
        }
        Ok(float(text))
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // the opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&c) = self.b.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(&self.text[start..self.i]);
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let unit = self.hex4()?;
                            // A surrogate pair is one character; a lone surrogate is valid JSON
                            // (JSON.parse keeps it) and becomes U+FFFD in a Rust string.
                            let c = if (0xD800..0xDC00).contains(&unit)
                                && self.b[self.i..].starts_with(b"\\u")
                            {
                                let save = self.i;
                                self.i += 2;
                                let low = self.hex4()?;
                                if (0xDC00..0xE000).contains(&low) {
                                    char::from_u32(
                                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00),
                                    )
                                } else {
                                    self.i = save;
                                    None
                                }
                            } else {
                                char::from_u32(unit)
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                            continue;
                        }
                        _ => return self.err("invalid escape"),
                    };
                    self.i += 1;
                    out.push(c);
                }
                Some(_) => return self.err("control character in a string"),
                None => return self.err("unterminated string"),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let Some(digits) = self.b.get(self.i..self.i + 4) else {
            return self.err("invalid \\u escape");
        };
        let mut v = 0;
        for &d in digits {
            v = v * 16
                + match d {
                    b'0'..=b'9' => d - b'0',
                    b'a'..=b'f' => d - b'a' + 10,
                    b'A'..=b'F' => d - b'A' + 10,
                    _ => return self.err("invalid \\u escape"),
                } as u32;
        }
        self.i += 4;
        Ok(v)
    }
}

/// A number beyond u64/i64, or with a fraction or exponent: an f64, or null when f64 cannot hold it
/// (1e400).
#[cfg(not(target_arch = "wasm32"))]
fn float(text: &str) -> Value {
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// In the npm package's wasm (the JS verifier and the Node inbox's decoder) such a number is null in
/// the Rust-side view: the typed records read only whole numbers (`as_u64`), and js/server/webhooks.js takes
/// every value of the body, and an unknown event's whole record, from `JSON.parse` of the body. Not
/// parsing floats here keeps core's exact float reader (~13 KB gzipped, mostly its table of powers of
/// five) out of the wasm (size-budget.json).
#[cfg(target_arch = "wasm32")]
fn float(_text: &str) -> Value {
    Value::Null
}

fn close(frame: Frame) -> Value {
    match frame {
        Frame::Array(items) => Value::Array(items),
        Frame::Object(map, _) => Value::Object(map),
        Frame::Skipped(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_serde_json_where_serde_json_accepts() {
        for text in [
            r#"{"a":[1,-2,3.5,1e3,-0,0.0,"x\u00e9\ud83d\ude00\n",true,false,null,{}],"b":{"c":[]}}"#,
            " [ 1 , 2 ] ",
            r#""\/\\\"\b\f\r\t""#,
            "18446744073709551615",
            "-9223372036854775808",
            r#"{"a":1,"a":2}"#,
        ] {
            assert_eq!(
                parse(text.as_bytes()),
                Ok(serde_json::from_str::<Value>(text).unwrap()),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_json() {
        for text in [
            "",
            "not json",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "\"\\x\"",
            "\"\u{1}\"",
            "nul",
            "[] []",
            "\"abc",
            "\u{feff}{}",
        ] {
            assert!(parse(text.as_bytes()).is_err(), "{text:?} accepted");
        }
        assert!(parse(b"\"\xff\"").is_err());
    }

    #[test]
    fn big_numbers_are_json() {
        let v = parse(br#"{"w":12345678901234567890,"x":98765432109876543210987654321,"y":-99999999999999999999,"z":1e400}"#).unwrap();
        assert_eq!(v["w"].as_u64(), Some(12345678901234567890));
        assert_eq!(v["x"].as_f64(), Some(98765432109876543210987654321.0));
        assert_eq!(v["y"].as_f64(), Some(-99999999999999999999.0));
        assert_eq!(v["z"], Value::Null);
    }

    #[test]
    fn any_depth_is_json_and_the_view_stops_at_its_limit() {
        for depth in [
            MAX_VIEW_DEPTH - 1,
            MAX_VIEW_DEPTH,
            MAX_VIEW_DEPTH + 1,
            10_000,
            500_000,
        ] {
            let text = format!("{{\"k\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
            let v = parse(text.as_bytes()).unwrap();
            let mut at = &v["k"];
            let mut seen = 0;
            while let Value::Array(items) = at {
                seen += 1;
                at = &items[0];
            }
            assert_eq!(seen, depth.min(MAX_VIEW_DEPTH - 1), "depth {depth}");
            // Objects too, and a lone surrogate is kept as U+FFFD.
            let text = format!(
                "{}\"\\ud800\"{}",
                "{\"a\":".repeat(depth),
                "}".repeat(depth)
            );
            assert!(parse(text.as_bytes()).is_ok());
        }
        assert!(parse(format!("{}1{}", "[".repeat(10_000), "]".repeat(9_999)).as_bytes()).is_err());
    }
}
