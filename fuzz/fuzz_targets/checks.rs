//! The checks the fuzz targets run on each input, shared with `tests/fuzz_corpus.rs`, which runs
//! them over the committed seed corpus on every `cargo test` (a smoke run of the fuzz targets).

use coassemble_events::webhook::{sign, verify};
use coassemble_events::{
    parse_message, Builder, BuilderState, CourseState, Player, PlayerEvent, Protocol,
};
use std::time::{Duration, UNIX_EPOCH};

/// Bytes → JSON → player and builder decoders → state, as the browser glue runs them.
///
/// The input is one or more messages, one per line, fed in order to one player state and one
/// builder state. Besides "never panics", it checks the progress rule: reported progress never
/// goes down, and a progress event is only let through when it advances.
pub fn decode(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut course = CourseState::<serde_json::Value>::default();
    let mut builder = BuilderState::default();
    for line in text.lines() {
        // Strings go through the same path as the glue's JSON.parse of a posted string.
        let Ok(msg) = parse_message(line) else {
            continue;
        };
        let before = course.progress.percent();
        let decoded = Player::decode(msg.clone());
        let mut implied = None;
        let reported =
            Player::accept_implying(&mut course, &decoded, |event| implied = Some(event));
        let after = course.progress.percent();
        // Completion means 100: a completion below 100 implies exactly one progress of 100,
        // reported before it; nothing else implies anything.
        let completed = decoded == Ok(PlayerEvent::CourseCompleted);
        assert_eq!(implied.is_some(), completed && before < 100);
        if let Some(event) = implied {
            assert!(reported);
            assert_eq!(
                event,
                PlayerEvent::CourseProgress {
                    percent: 100,
                    implied: true
                }
            );
        }
        if completed {
            assert_eq!(after, 100, "completed below 100");
        }
        if let Ok(PlayerEvent::CourseProgress { percent, .. }) = decoded {
            assert!(percent <= 100);
            if reported {
                assert_eq!(after, percent, "a reported progress is the new state");
            } else {
                assert!(
                    percent <= before,
                    "an advancing progress {percent} (from {before}) was dropped"
                );
            }
        }
        let decoded = Builder::decode(msg);
        Builder::accept(&mut builder, &decoded);
        // The rejection text is what the SDK shows: it must exist for every rejection.
        if let Err(reject) = decoded {
            assert!(!reject.message().is_empty());
        }
    }
}

const SECRET: &str = "whsec_fuzz";
const NOW: u64 = 1_763_900_000;

/// The webhook verifier on arbitrary deliveries.
///
/// Input: `<mode byte><timestamp text>\n<signature text>\n<body>`. Mode bit 0 set: the signature
/// header is the input's text (exercises header parsing and the constant-time compare); clear: the
/// body is signed correctly, so verification reaches the JSON payload decoder with arbitrary bytes.
/// Besides "never panics": a correctly signed, fresh delivery is never refused, whatever its body;
/// any other input is refused with exactly the code and status that the order of checks gives it.
pub fn webhook_verify(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let timestamp_text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let signature_text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();

    let signed = mode & 1 == 0;
    let (timestamp, signature) = if signed {
        // A fresh timestamp within the window, chosen by the input.
        let timestamp = NOW - u64::from(mode >> 1);
        (
            timestamp.to_string(),
            sign(SECRET.as_bytes(), timestamp, body),
        )
    } else {
        (timestamp_text.clone(), signature_text.clone())
    };
    let headers = [
        ("X-Coassemble-Event", "course.completed"),
        (
            "X-Coassemble-Delivery",
            "3f8a2c1e-1b7d-4c55-9a3e-0c2f6e7d8a90",
        ),
        ("X-Coassemble-Timestamp", timestamp.as_str()),
        ("X-Coassemble-Signature", signature.as_str()),
    ];
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    let result = verify(
        &headers[..],
        body,
        &["whsec_old", SECRET],
        Duration::from_secs(300),
        now,
    );
    if signed {
        let delivery = result.expect("a correctly signed, fresh delivery is never refused");
        assert_eq!(delivery.id, "3f8a2c1e-1b7d-4c55-9a3e-0c2f6e7d8a90");
    } else {
        // An independent statement of the order of checks: what each input must be refused with.
        let (timestamp_text, signature_text) = (timestamp_text.trim(), signature_text.trim());
        let timestamp = (timestamp_text.len() <= 19
            && timestamp_text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| timestamp_text.parse::<u64>().ok())
        .flatten();
        let expected = if timestamp_text.is_empty() || signature_text.is_empty() {
            ("missing_header", 400)
        } else if let Some(timestamp) = timestamp {
            if timestamp.abs_diff(NOW) > 300 {
                ("stale_timestamp", 401)
            } else {
                ("bad_signature", 401)
            }
        } else {
            ("bad_timestamp", 400)
        };
        let error = result.expect_err("an input-chosen signature never verifies");
        assert_eq!((error.code(), error.http_status()), expected, "{error}");
    }
}

/// `JsonTape` against `serde_json` on arbitrary text: the same accept/reject, and the same values.
///
/// What is comparable, and how: `JSON.parse` is the reference `JsonTape` claims to match; serde_json
/// (with `float_roundtrip`: correctly rounded, as JavaScript's `Number`) stands in for it, except
/// where the two are known to differ by design, which are skipped, not compared: a lone UTF-16
/// surrogate escape (`JSON.parse` takes it, serde_json refuses it), nesting deeper than serde_json's
/// 128 levels (`JSON.parse` takes it), and a number beyond f64 (`JSON.parse` gives Infinity, serde_json
/// refuses it). The tape reads whole numbers of up to 15 digits itself and hands every other number
/// to the host's parser (the browser's `Number`); here that parser is Rust's `str::parse::<f64>`,
/// also correctly rounded, so every number is compared exactly. Values: each scalar's `field()`,
/// each object member through `member()` (the last duplicate wins, `null` reads as absent, as in
/// the decoder), and each array by its text, which serde_json must read back as the same value.
pub fn json_differential(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    let mut tape = coassemble_events::JsonTape::default();
    let ours = tape.read_with_number_parser(text, |n| n.parse().unwrap_or(f64::NAN));
    match (&theirs, ours) {
        (Ok(value), Ok(read)) => same_value(value, &read),
        (Err(_), Err(_)) => {}
        (Err(error), Ok(_)) => {
            let why = error.to_string();
            // serde_json names a lone surrogate "lone leading/trailing surrogate" or, when a high
            // one is not followed by `\u`, "unexpected end of hex escape".
            let lone_surrogate = (why.contains("surrogate") || why.contains("hex escape"))
                && text.to_ascii_lowercase().contains("\\ud");
            let by_design = lone_surrogate
                || why.contains("recursion limit")
                || why.contains("number out of range");
            assert!(
                by_design,
                "JsonTape took {text:?}, serde_json refused it: {why}"
            );
        }
        (Ok(_), Err(why)) => panic!("JsonTape refused {text:?} ({why:?}), serde_json took it"),
    }
}

fn same_value(theirs: &serde_json::Value, ours: &coassemble_events::JsonText<'_>) {
    use coassemble_events::{Field, Message};
    use serde_json::Value;
    match (theirs, ours.field()) {
        (Value::Null, Field::Null) => {}
        (Value::Bool(a), Field::Bool(b)) => assert_eq!(*a, b),
        (Value::String(a), Field::Text(b)) => assert_eq!(a, &b),
        (Value::Number(a), Field::Number(b)) => {
            let a = a.as_f64().unwrap();
            assert!(
                a == b,
                "number {}: serde_json {a}, JsonTape {b}",
                ours.as_str()
            );
        }
        (Value::Object(members), Field::Structured) => {
            for (key, value) in members {
                match ours.member(key) {
                    Some(member) => same_value(value, &member),
                    None => assert!(value.is_null(), "member {key:?} lost"),
                }
            }
            // And no member the tape finds that serde_json does not have.
            assert!(ours.member("\u{0}not a key\u{0}").is_none());
        }
        (Value::Array(_), Field::Structured) => {
            let again: Value = serde_json::from_str(ours.as_str()).expect("the array's own text");
            assert_eq!(&again, theirs, "the array's text is another value");
        }
        (theirs, field) => panic!("serde_json read {theirs:?}, JsonTape {field:?}"),
    }
}
