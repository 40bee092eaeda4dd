//! Property tests: the decoder never panics, reported progress never decreases, and the in-place
//! JSON text reader agrees with `serde_json` (what it accepts, and what the decoder reads from it).
use coassemble_events::decode::parse_message;
use coassemble_events::json_text::NotRead;
use coassemble_events::{
    decode_builder, decode_player, BuilderEvent, CourseState, JsonTape, Message, Player,
    PlayerEvent, Protocol,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("session".to_string()),
            Just("course".to_string()),
            Just("screen".to_string()),
            Just("back".to_string()),
            Just("progress".to_string()),
            Just("updated".to_string()),
            ".*".prop_map(|s: String| s)
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_string()),
                    Just("event".to_string()),
                    Just("data".to_string()),
                    Just("progress".to_string()),
                    Just("id".to_string()),
                    Just("payload".to_string()),
                    Just("status".to_string()),
                    "[a-z]{1,6}".prop_map(|s: String| s)
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What the decoders make of `msg`, leaving out the raw message data (its type differs by reader).
fn summary<M: Message>(msg: M) -> String {
    let player = match decode_player(msg.clone()) {
        Ok(PlayerEvent::CourseProgress { percent, .. }) => format!("progress {percent}"),
        Ok(PlayerEvent::Screen { action, info, .. }) => format!("screen {action:?} {info:?}"),
        Ok(event) => event.name().to_owned(),
        Err(reject) => format!("{reject:?}"),
    };
    let builder = match decode_builder(msg) {
        Ok(BuilderEvent::CourseCreated { course_id, title })
        | Ok(BuilderEvent::CourseUpdated { course_id, title }) => {
            format!("course {course_id} {title:?}")
        }
        Ok(BuilderEvent::SessionError { message, code, .. }) => {
            format!("error {message:?} {code:?}")
        }
        Ok(event) => event.name().to_owned(),
        Err(reject) => format!("{reject:?}"),
    };
    format!("{player} / {builder}")
}

/// A JSON text with one character inserted or removed: often not JSON any more, sometimes still.
fn arb_near_json() -> impl Strategy<Value = String> {
    (
        arb_json(),
        any::<prop::sample::Index>(),
        prop::option::of(prop_oneof![
            Just('"'),
            Just(','),
            Just(':'),
            Just('{'),
            Just('}'),
            Just('['),
            Just(']'),
            Just('\\'),
            Just('0'),
            Just('-'),
            Just('.'),
            Just('e'),
            Just(' '),
            Just('\u{1}'),
            Just('x'),
        ]),
    )
        .prop_map(|(value, index, insert)| {
            let mut chars: Vec<char> = value.to_string().chars().collect();
            let at = index.index(chars.len() + 1);
            match insert {
                Some(c) => chars.insert(at, c),
                None if at < chars.len() => {
                    chars.remove(at);
                }
                None => {}
            }
            chars.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_text_reader_decodes_as_serde_json_values(msg in arb_json(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&msg).unwrap() } else { msg.to_string() };
        match JsonTape::default().read_with_number_parser(&text, rust_number) {
            Ok(read) => prop_assert_eq!(summary(read), summary(msg), "{}", text),
            Err(why) => prop_assert_eq!(why, NotRead::NeedsParser, "{}", text),
        }
    }

    #[test]
    fn the_text_reader_accepts_exactly_json(text in arb_near_json()) {
        let parsed = serde_json::from_str::<Value>(&text);
        match JsonTape::default().read_with_number_parser(&text, rust_number) {
            // serde_json refuses a number beyond the doubles (`1e309`); JSON.parse reads it as
            // Infinity, and so does the text reader with JavaScript's `Number`.
            Ok(_) if parsed.as_ref().is_err_and(|e| e.to_string().starts_with("number out of range")) => {}
            Ok(read) => {
                let value = parsed.map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
                prop_assert_eq!(summary(read), summary(value));
            }
            Err(NotRead::NotJson) => prop_assert!(parsed.is_err(), "refused JSON: {}", text),
            Err(NotRead::NeedsParser) => prop_assert!(false, "a parser was given: {}", text),
        }
    }

    #[test]
    fn decoding_any_string_never_panics(text in ".*") {
        if let Ok(msg) = parse_message(&text) {
            let _ = decode_player(msg.clone());
            let _ = decode_builder(msg);
        }
    }

    #[test]
    fn decoding_any_json_never_panics(msg in arb_json()) {
        let _ = decode_player(msg.clone());
        let _ = decode_builder(msg);
    }

    #[test]
    fn reported_progress_never_decreases(values in prop::collection::vec(
        prop_oneof![any::<f64>().prop_map(|f| json!(f)), (-50i64..200).prop_map(|i| json!(i)),
                    "-?[0-9]{1,3}(\\.[0-9])?".prop_map(|s: String| json!(s)), Just(json!("completed"))], 0..40)) {
        let mut state = CourseState::<Value>::default();
        let mut last: Option<u8> = None;
        for v in values {
            let msg = if v == "completed" { json!({"type": "course", "event": "completed"}) }
                      else { json!({"type": "course", "event": "progress", "data": {"progress": v}}) };
            let decoded = Player::decode(msg);
            let before = state.progress.percent();
            if Player::accept(&mut state, &decoded) {
                if let Ok(PlayerEvent::CourseProgress { percent, .. }) = decoded {
                    prop_assert!(percent <= 100);
                    prop_assert!(last.map_or(true, |l| percent > l), "{percent} after {last:?}");
                    last = Some(percent);
                }
            }
            prop_assert!(state.progress.percent() >= before);
        }
    }
}

/// The browser glue passes JavaScript's `Number` for the numbers the text reader leaves to the host;
/// Rust's parser gives the same doubles.
fn rust_number(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}
