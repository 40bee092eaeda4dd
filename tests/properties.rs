//! Property tests: the decoder never panics, and reported progress never decreases.
use coassemble_events::decode::parse_message;
use coassemble_events::{
    decode_builder, decode_player, CourseState, Player, PlayerEvent, Protocol,
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

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
                if let Ok(PlayerEvent::CourseProgress { percent }) = decoded {
                    prop_assert!(percent <= 100);
                    prop_assert!(last.map_or(true, |l| percent > l), "{percent} after {last:?}");
                    last = Some(percent);
                }
            }
            prop_assert!(state.progress.percent() >= before);
        }
    }
}
