//! The progress rules against tests/vectors/progress.json, through the real decode + accept path.
use coassemble_events::{CourseState, Player, PlayerEvent, Protocol};
use serde_json::{json, Value};

/// Feeds a vector's `in` sequence as messages; returns (emitted progress values, final progress).
/// An emitted progress is its percent, or `"implied 100"` for the one a completion implies (it must
/// come just before the `course:completed` that implied it).
fn run(inputs: &[Value]) -> (Vec<Value>, u8) {
    let mut state = CourseState::<Value>::default();
    let mut emitted = Vec::new();
    for input in inputs {
        let msg = if input == "completed" {
            json!({ "type": "course", "event": "completed" })
        } else {
            json!({ "type": "course", "event": "progress", "data": { "progress": input } })
        };
        let decoded = Player::decode(msg);
        let before = emitted.len();
        let reported = Player::accept_implying(&mut state, &decoded, |event| match event {
            PlayerEvent::CourseProgress {
                percent,
                implied: true,
            } => emitted.push(json!(format!("implied {percent}"))),
            other => panic!("unexpected implied event {other:?}"),
        });
        if emitted.len() > before {
            assert!(
                reported && decoded == Ok(PlayerEvent::CourseCompleted),
                "only a reported completion implies progress"
            );
        }
        if reported {
            if let Ok(PlayerEvent::CourseProgress { percent, implied }) = decoded {
                assert!(!implied, "the wire never says implied");
                emitted.push(json!(percent));
            }
        }
    }
    (emitted, state.progress.percent())
}

#[test]
fn every_progress_vector() {
    let vectors: Value = serde_json::from_str(include_str!("vectors/progress.json")).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let (emitted, last) = run(case["in"].as_array().unwrap());
        let want = case["emitted"].as_array().unwrap();
        assert_eq!(&emitted, want, "{}", case["note"]);
        assert_eq!(Value::from(last), case["final"], "{}", case["note"]);
    }
}

#[test]
fn drops_are_counted_and_completion_is_final() {
    let mut state = CourseState::<Value>::default();
    for v in [json!(10), json!(5), json!("x"), json!(10)] {
        let msg = json!({ "type": "course", "event": "progress", "data": { "progress": v } });
        Player::accept(&mut state, &Player::decode(msg));
    }
    assert_eq!(
        (state.progress.percent(), state.progress.dropped()),
        (10, 3)
    );
    Player::accept(
        &mut state,
        &Player::decode(json!({ "type": "course", "event": "completed" })),
    );
    assert!(state.completed);
    let late = Player::decode(
        json!({ "type": "course", "event": "progress", "data": { "progress": 100 } }),
    );
    assert!(
        !Player::accept(&mut state, &late),
        "nothing is reported after completion"
    );
}
