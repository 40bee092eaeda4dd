//! Bytes → JSON → player and builder decoders → state, as the browser glue runs them.
//!
//! The input is one or more messages, one per line, fed in order to one player state and one
//! builder state. Besides "never panics", it checks the progress rule: reported progress never
//! goes down, and a progress event is only let through when it advances.
#![no_main]

use coassemble_events::{parse_message, Builder, BuilderState, CourseState, Player, PlayerEvent, Protocol};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut course = CourseState::<serde_json::Value>::default();
    let mut builder = BuilderState::default();
    for line in text.lines() {
        // Strings go through the same path as the glue's JSON.parse of a posted string.
        let Ok(msg) = parse_message(line) else { continue };
        let before = course.progress.percent();
        let decoded = Player::decode(msg.clone());
        let reported = Player::accept(&mut course, &decoded);
        let after = course.progress.percent();
        assert!(after >= before, "progress went back from {before} to {after}");
        if let Ok(PlayerEvent::CourseProgress { percent }) = decoded {
            assert!(percent <= 100);
            if reported {
                assert_eq!(after, percent, "a reported progress is the new state");
            } else {
                assert!(percent <= before, "an advancing progress {percent} (from {before}) was dropped");
            }
        }
        let decoded = Builder::decode(msg);
        Builder::accept(&mut builder, &decoded);
        // The rejection text is what the SDK shows: it must exist for every rejection.
        if let Err(reject) = decoded {
            assert!(!reject.message().is_empty());
        }
    }
});
