//! The decoder against tests/vectors/messages.jsonl, plus cases the vectors do not cover.
use coassemble_events::decode::parse_message;
use coassemble_events::json_text::NotRead;
use coassemble_events::{
    decode_builder, decode_player, BuilderEvent, JsonTape, Malformed, Message, PlayerEvent, Reject,
    ScreenRef,
};
use serde_json::{json, Value};

/// The decoded name and typed fields of a vector's message, read both as a `serde_json::Value` and
/// in place as JSON text ([`JsonText`], what the browser does): one decoder, two readers, the same
/// answer.
fn decoded(message: &Value, form: &str) -> Result<Value, Reject> {
    let text = match form {
        "string" => message
            .as_str()
            .expect("string form holds a string")
            .to_owned(),
        _ => message.to_string(),
    };
    let via_value = parse_message(&text).and_then(|msg| decoded_from(msg, |v| v));
    let mut tape = JsonTape::default();
    let via_text = match tape.read_with_number_parser(&text, rust_number) {
        Ok(msg) => decoded_from(msg, |m| serde_json::from_str(m.as_str()).unwrap()),
        Err(NotRead::NotJson) => Err(Reject::Foreign),
        Err(NotRead::NeedsParser) => via_value.clone(),
    };
    assert_eq!(via_text, via_value, "the readers disagree on {text}");
    via_value
}

/// The name and typed fields (the fields the JS event objects carry), trying the player decoder
/// first and the builder decoder for builder-only events; `to_value` turns message data to JSON.
fn decoded_from<M: Message>(msg: M, to_value: fn(M) -> Value) -> Result<Value, Reject> {
    let player = decode_player(msg.clone())?;
    let mut v = json!({ "name": player.name() });
    match player {
        PlayerEvent::CourseProgress { percent, .. } => v["progress"] = json!(percent),
        PlayerEvent::CourseFeedback { data } => v["data"] = json!(data.map(to_value)),
        PlayerEvent::Screen { info, .. } => {
            match info.screen {
                Some(ScreenRef::Number(n)) => v["screen"] = number(n),
                Some(ScreenRef::Id(id)) => v["screen"] = json!(id),
                None => {}
            }
            if let Some(correct) = info.correct {
                v["correct"] = json!(correct);
            }
            if let Some(score) = info.score {
                v["score"] = number(score);
            }
        }
        PlayerEvent::Unknown { .. } => return builder_fields(msg),
        _ => {}
    }
    Ok(v)
}

/// A number as the vectors (JSON) write it: `3`, not `3.0`.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

fn builder_fields<M: Message>(msg: M) -> Result<Value, Reject> {
    let builder = decode_builder(msg)?;
    let mut v = json!({ "name": builder.name() });
    let mut set = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            v[key] = json!(value);
        }
    };
    match builder {
        BuilderEvent::CourseCreated { course_id, title }
        | BuilderEvent::CourseUpdated { course_id, title } => {
            set("title", title);
            v["courseId"] = json!(course_id);
        }
        BuilderEvent::SessionError { message, code, .. } => {
            set("message", message);
            set("code", code);
        }
        BuilderEvent::Unknown { family, event, .. } => {
            set("type", Some(family));
            set("event", Some(event));
        }
        _ => {}
    }
    Ok(v)
}

fn reject_name(r: Reject) -> &'static str {
    match r {
        Reject::Foreign => "foreign",
        Reject::Malformed(_) => "malformed",
    }
}

#[test]
fn every_message_vector_decodes_as_expected() {
    let text = include_str!("vectors/messages.jsonl");
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let (note, expect) = (&case["note"], &case["expect"]);
        let got = decoded(&case["message"], case["form"].as_str().unwrap());
        match expect.get("reject") {
            Some(reason) => assert_eq!(
                got.map_err(reject_name),
                Err(reason.as_str().unwrap()),
                "{note}"
            ),
            None => assert_eq!(got.as_ref().ok(), Some(expect), "{note}: {got:?}"),
        }
        count += 1;
    }
    assert!(count >= 50, "only {count} vectors read");
}

#[test]
fn player_and_builder_events_are_kept_apart() {
    // A builder event reaching a player listener is surfaced as unknown, not misread.
    let created = json!({ "type": "course", "event": "created", "data": { "id": 1 } });
    assert!(matches!(
        decode_player(created),
        Ok(PlayerEvent::Unknown { .. })
    ));
    let progress = json!({ "type": "course", "event": "progress", "data": { "progress": 5 } });
    assert!(matches!(
        decode_builder(progress),
        Ok(BuilderEvent::Unknown { .. })
    ));
}

#[test]
fn variants_seen_in_the_wild() {
    let status = json!({ "type": "course", "payload": { "status": "completed" } });
    assert_eq!(decode_player(status), Ok(PlayerEvent::CourseCompleted));
    let legacy =
        json!({ "type": "module", "event": "progress", "data": { "id": 3, "progress": 80 } });
    assert_eq!(
        decode_player(legacy),
        Ok(PlayerEvent::CourseProgress {
            percent: 80,
            implied: false
        })
    );
    let nested_wins = json!({ "type": "course", "event": "progress", "progress": 10, "data": { "progress": 20 } });
    assert_eq!(
        decode_player(nested_wins),
        Ok(PlayerEvent::CourseProgress {
            percent: 20,
            implied: false
        })
    );
}

#[test]
fn malformed_reasons_are_specific() {
    let cases = [
        (json!({ "type": "course" }), Malformed::MissingEvent),
        (
            json!({ "type": "course", "event": "progress", "data": { "progress": null } }),
            Malformed::BadProgress,
        ),
        (
            json!({ "type": "course", "event": "progress", "data": { "progress": "1e400" } }),
            Malformed::BadProgress,
        ),
        (
            json!({ "type": "course", "event": "updated", "data": { "id": -1 } }),
            Malformed::BadCourseId,
        ),
        (
            json!({ "type": "course", "event": "updated", "data": { "id": 1.5 } }),
            Malformed::BadCourseId,
        ),
        (
            json!({ "type": "course", "event": "created" }),
            Malformed::BadCourseId,
        ),
    ];
    for (msg, why) in cases {
        let got = decode_builder(msg.clone())
            .err()
            .or_else(|| decode_player(msg.clone()).err());
        assert_eq!(got, Some(Reject::Malformed(why)), "{msg}");
    }
}

#[test]
fn screen_and_error_fields_are_typed_and_raw_data_kept() {
    let answer = json!({ "type": "screen", "event": "answer", "data": { "screen": "s-4", "correct": false, "score": "75" } });
    let Ok(PlayerEvent::Screen { info, data, .. }) = decode_player(answer.clone()) else {
        panic!()
    };
    assert_eq!(
        info.screen,
        Some(coassemble_events::ScreenRef::Id("s-4".into()))
    );
    assert_eq!((info.correct, info.score), (Some(false), Some(75.0)));
    assert_eq!(data, Some(answer["data"].clone()));

    let error =
        json!({ "type": "session", "event": "error", "data": { "message": "boom", "code": 503 } });
    let Ok(BuilderEvent::SessionError { message, code, .. }) = decode_builder(error) else {
        panic!()
    };
    assert_eq!(
        (message.as_deref(), code.as_deref()),
        (Some("boom"), Some("503"))
    );
}

#[test]
fn a_screen_named_by_id_is_the_last_screen() {
    use coassemble_events::{CourseState, Player, Protocol};
    let mut state = CourseState::default();
    for msg in [
        json!({ "type": "screen", "event": "start", "data": { "index": 2 } }),
        json!({ "type": "screen", "event": "start", "data": { "id": "s-3" } }),
        json!({ "type": "screen", "event": "end", "data": {} }),
    ] {
        let decoded = Player::decode(msg);
        assert!(Player::accept(&mut state, &decoded));
    }
    assert_eq!(state.last_screen, Some(ScreenRef::Id("s-3".into())));
}

/// The browser glue passes JavaScript's `Number` for the numbers the text reader leaves to the host;
/// Rust's parser gives the same doubles.
fn rust_number(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}
