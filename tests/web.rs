//! The Rust API in a real browser (wasm-bindgen-test in Chromium, Firefox and WebKit): `PlayerEmbed` hears its
//! own iframe only, keeps progress monotonic, and stops hearing anything once dropped.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]

use coassemble_events::web::{AttachError, BuilderEmbed, PlayerEmbed};
use coassemble_events::{BuilderEvent, PlayerEvent};
use js_sys::{Array, Function, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::HtmlIFrameElement;

wasm_bindgen_test_configure!(run_in_browser);

fn page_origin() -> String {
    web_sys::window().unwrap().location().origin().unwrap()
}

/// A same-origin iframe (srcdoc), loaded.
async fn frame() -> HtmlIFrameElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let iframe: HtmlIFrameElement = document
        .create_element("iframe")
        .unwrap()
        .dyn_into()
        .unwrap();
    let loaded = Promise::new(&mut |resolve, _| iframe.set_onload(Some(&resolve)));
    iframe.set_srcdoc("<!doctype html><title>embed</title>");
    document.body().unwrap().append_child(&iframe).unwrap();
    JsFuture::from(loaded).await.unwrap();
    iframe
}

/// Posts `json` to the parent from inside `iframe` (a function of the iframe's realm, so that
/// `event.source` is the iframe's window).
fn post_from(iframe: &HtmlIFrameElement, json: &str) {
    let window = iframe.content_window().unwrap();
    let ctor: Function = Reflect::get(&window, &"Function".into())
        .unwrap()
        .unchecked_into();
    let args = Array::of2(
        &"m".into(),
        &"parent.postMessage(JSON.parse(m), parent.location.origin)".into(),
    );
    let post: Function = Reflect::construct(&ctor, &args).unwrap().unchecked_into();
    post.call1(&JsValue::NULL, &json.into()).unwrap();
}

/// Waits (letting message tasks run) until `done()` holds; panics after 5 s.
async fn until(what: &str, done: impl Fn() -> bool) {
    let start = js_sys::Date::now();
    while !done() {
        assert!(
            js_sys::Date::now() - start < 5000.0,
            "still waiting after 5 s for {what}"
        );
        let tick = Promise::new(&mut |resolve, _| {
            web_sys::window()
                .unwrap()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 5)
                .unwrap();
        });
        JsFuture::from(tick).await.unwrap();
    }
}

/// Waits until `seen` ends with `last`: every message posted before it has been delivered.
async fn until_last(seen: &Rc<RefCell<Vec<String>>>, last: &str) {
    until(last, || {
        seen.borrow().last().map(String::as_str) == Some(last)
    })
    .await;
}

fn recorder() -> (
    Rc<RefCell<Vec<String>>>,
    impl FnMut(Result<PlayerEvent<JsValue>, coassemble_events::Reject>),
) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    (seen, move |event: Result<PlayerEvent<JsValue>, _>| {
        sink.borrow_mut().push(match event {
            Ok(PlayerEvent::CourseProgress { percent, implied }) => {
                format!(
                    "progress:{percent}{}",
                    if implied { " implied" } else { "" }
                )
            }
            Ok(other) => other.name().to_owned(),
            Err(reject) => format!("error:{}", reject.message()),
        })
    })
}

#[wasm_bindgen_test]
async fn hears_its_own_iframe_with_monotonic_progress() {
    let iframe = frame().await;
    let (seen, on_event) = recorder();
    let embed = PlayerEmbed::attach(&iframe, Some(&page_origin()), on_event).unwrap();
    for progress in ["10", "30", "20", "\"40\"", "\"abc\""] {
        post_from(
            &iframe,
            &format!(r#"{{"type":"course","event":"progress","data":{{"progress":{progress}}}}}"#),
        );
    }
    post_from(&iframe, r#"{"type":"course","event":"completed"}"#);
    until_last(&seen, "course:completed").await;
    assert_eq!(
        *seen.borrow(),
        [
            "progress:10",
            "progress:30",
            "progress:40",
            "error:course:progress without a numeric progress value",
            // A completion below 100 implies 100, heard first (the naive bar is right).
            "progress:100 implied",
            "course:completed"
        ]
    );
    let state = embed.state();
    assert_eq!(
        (
            state.progress.percent(),
            state.progress.dropped(),
            state.completed
        ),
        (100, 2, true)
    );
}

#[wasm_bindgen_test]
async fn ignores_other_frames_and_the_page_itself() {
    let (mine, other) = (frame().await, frame().await);
    let (seen, on_event) = recorder();
    let _embed = PlayerEmbed::attach(&mine, Some(&page_origin()), on_event).unwrap();
    // Same origin as the trusted one, but another window: not ours.
    post_from(
        &other,
        r#"{"type":"course","event":"progress","data":{"progress":50}}"#,
    );
    let window = web_sys::window().unwrap();
    let envelope = js_sys::JSON::parse(r#"{"type":"course","event":"completed"}"#).unwrap();
    window.post_message(&envelope, &page_origin()).unwrap();
    post_from(&mine, r#"{"type":"session","event":"ready"}"#);
    until_last(&seen, "session:ready").await;
    assert_eq!(*seen.borrow(), ["session:ready"]);
}

#[wasm_bindgen_test]
async fn dropping_the_embed_removes_the_listener() {
    let iframe = frame().await;
    let (dropped_seen, on_event) = recorder();
    let dropped = PlayerEmbed::attach(&iframe, Some(&page_origin()), on_event).unwrap();
    let (witness_seen, on_event) = recorder();
    let _witness = PlayerEmbed::attach(&iframe, Some(&page_origin()), on_event).unwrap();
    drop(dropped);
    post_from(&iframe, r#"{"type":"session","event":"ready"}"#);
    until_last(&witness_seen, "session:ready").await;
    assert_eq!(
        *witness_seen.borrow(),
        ["session:ready"],
        "the message did arrive"
    );
    assert!(
        dropped_seen.borrow().is_empty(),
        "but not to the dropped embed"
    );
}

#[wasm_bindgen_test]
async fn builder_events_are_typed() {
    let iframe = frame().await;
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    let _embed = BuilderEmbed::attach(&iframe, Some(&page_origin()), move |event| {
        if let Ok(BuilderEvent::CourseUpdated { course_id, title }) = event {
            sink.borrow_mut().push((course_id, title));
        }
    })
    .unwrap();
    post_from(
        &iframe,
        r#"{"type":"course","event":"updated","data":{"id":"981","title":"Onboarding"}}"#,
    );
    until("the update", || !seen.borrow().is_empty()).await;
    assert_eq!(*seen.borrow(), [(981, Some("Onboarding".to_owned()))]);
}

#[wasm_bindgen_test]
async fn a_state_snapshot_held_across_an_await_drops_no_event() {
    let iframe = frame().await;
    let (seen, on_event) = recorder();
    let embed = PlayerEmbed::attach(&iframe, Some(&page_origin()), on_event).unwrap();
    let before = embed.state(); // held while messages arrive and are delivered
    post_from(
        &iframe,
        r#"{"type":"course","event":"progress","data":{"progress":10}}"#,
    );
    post_from(&iframe, r#"{"type":"course","event":"completed"}"#);
    until_last(&seen, "course:completed").await;
    assert_eq!(
        *seen.borrow(),
        ["progress:10", "progress:100 implied", "course:completed"]
    );
    assert_eq!((before.progress.percent(), before.completed), (0, false));
    let after = embed.state();
    assert_eq!((after.progress.percent(), after.completed), (100, true));
}

#[wasm_bindgen_test]
async fn a_message_dispatched_from_a_callback_is_delivered_after_it() {
    let iframe = frame().await;
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    let source = iframe.content_window().unwrap();
    let origin = page_origin();
    let _embed = PlayerEmbed::attach(&iframe, Some(&page_origin()), move |event| {
        let Ok(PlayerEvent::CourseProgress { percent, .. }) = event else {
            return;
        };
        sink.borrow_mut().push(percent);
        if percent == 10 {
            // A synchronous, nested `message` event from the trusted frame.
            let init = web_sys::MessageEventInit::new();
            init.set_data(
                &js_sys::JSON::parse(
                    r#"{"type":"course","event":"progress","data":{"progress":20}}"#,
                )
                .unwrap(),
            );
            init.set_origin(&origin);
            init.set_source(Some(&source));
            let nested = web_sys::MessageEvent::new_with_event_init_dict("message", &init).unwrap();
            web_sys::window().unwrap().dispatch_event(&nested).unwrap();
            sink.borrow_mut().push(11); // the nested event has not run yet
        }
    })
    .unwrap();
    post_from(
        &iframe,
        r#"{"type":"course","event":"progress","data":{"progress":10}}"#,
    );
    until("the nested event", || seen.borrow().len() == 3).await;
    assert_eq!(*seen.borrow(), [10, 11, 20]);
}

#[wasm_bindgen_test]
async fn attach_errors_name_the_problem() {
    let iframe = frame().await; // srcdoc: no src, so no origin to derive
    let none = |_: Result<PlayerEvent<JsValue>, _>| {};
    assert_eq!(
        PlayerEmbed::attach(&iframe, None, none).unwrap_err(),
        AttachError::MissingOrigin
    );
    for bad in [
        "*",
        "null",
        "https://coassemble.com/path",
        "ftp://coassemble.com",
    ] {
        let error = PlayerEmbed::attach(&iframe, Some(bad), none).unwrap_err();
        assert_eq!(error.code(), "invalid_origin", "{bad}");
    }
}
