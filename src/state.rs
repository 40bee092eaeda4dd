//! What an embed has reported so far, and which decoded events reach the host.
//!
//! [`Protocol`] ties a decoder to its state so that the browser glue runs one straight path for
//! either kind of embed: decode, then [`Protocol::accept`] (which applies the progress rule), then
//! dispatch.

use crate::decode::{self, BuilderEvent, Malformed, PlayerEvent, Reject, ScreenRef};
use crate::json_text::{JsonTape, JsonText};
use crate::message::Message;
use crate::progress::{ProgressRule, ProgressUpdate};
use alloc::string::String;

/// One kind of embed: how its messages decode and how its state follows them.
pub trait Protocol {
    /// The decoded event type.
    type Event<M>;
    /// The state snapshot type.
    type State<M>: Default;
    /// Decodes one message.
    fn decode<M: Message>(msg: M) -> Result<Self::Event<M>, Reject>;
    /// The event with its message data turned into `N` (see [`PlayerEvent::map_data`]).
    fn map_data<M, N>(event: Self::Event<M>, f: impl FnMut(M) -> N) -> Self::Event<N>;
    /// Updates `state` with a decode result; `true` when the host should hear about it.
    /// Monotonic progress lives here: a progress value that does not advance returns `false`.
    /// Before that, `implied` hears each event the rules imply and the host must hear first: a
    /// player's `course:completed` below 100 implies `course:progress` 100 (`implied: true`).
    fn accept_implying<M: Clone>(
        state: &mut Self::State<M>,
        decoded: &Result<Self::Event<M>, Reject>,
        implied: impl FnMut(Self::Event<M>),
    ) -> bool;

    /// [`Protocol::accept_implying`] for a caller that only needs the state (the implied events
    /// are applied to it all the same, and not reported).
    fn accept<M: Clone>(
        state: &mut Self::State<M>,
        decoded: &Result<Self::Event<M>, Reject>,
    ) -> bool {
        Self::accept_implying(state, decoded, |_| {})
    }

    /// Decodes a message posted as JSON text, read in place on `tape` (reused from message to
    /// message), with `parse_number` for the numbers the tape leaves to the host. Text that is not
    /// JSON is another script's: [`Reject::Foreign`]. The data an event carries goes through `data`
    /// (kept as text, or parsed into the host's objects), for that event only.
    fn decode_text<N>(
        tape: &mut JsonTape,
        text: &str,
        parse_number: fn(&str) -> f64,
        data: impl FnMut(JsonText<'_>) -> N,
    ) -> Result<Self::Event<N>, Reject> {
        let msg = tape
            .read_with_number_parser(text, parse_number)
            .map_err(|_| Reject::Foreign)?;
        Self::decode(msg).map(|event| Self::map_data(event, data))
    }
}

/// The course player protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Player;

/// The course builder protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Builder;

/// What a course player has reported so far.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseState<M> {
    /// `session:ready` was received.
    pub ready: bool,
    /// `course:start` was received.
    pub started: bool,
    /// The monotonic progress (100 once completed).
    pub progress: ProgressRule,
    /// `course:completed` was received.
    pub completed: bool,
    /// The latest `course:feedback` data (the learner may change their choice: the latest wins).
    pub feedback: Option<M>,
    /// The screen of the latest `screen:*` event that named one.
    pub last_screen: Option<ScreenRef>,
}

impl<M> Default for CourseState<M> {
    fn default() -> Self {
        CourseState {
            ready: false,
            started: false,
            progress: ProgressRule::default(),
            completed: false,
            feedback: None,
            last_screen: None,
        }
    }
}

/// What a course builder has reported so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuilderState {
    /// `session:ready` was received.
    pub ready: bool,
    /// `session:expired` was received: the embed URL must be minted again.
    pub expired: bool,
    /// The id of the latest created or updated course.
    pub course_id: Option<u64>,
    /// The latest title sent for that course.
    pub title: Option<String>,
}

impl Protocol for Player {
    type Event<M> = PlayerEvent<M>;
    type State<M> = CourseState<M>;

    fn decode<M: Message>(msg: M) -> Result<PlayerEvent<M>, Reject> {
        decode::decode_player(msg)
    }

    fn map_data<M, N>(event: PlayerEvent<M>, f: impl FnMut(M) -> N) -> PlayerEvent<N> {
        event.map_data(f)
    }

    fn accept_implying<M: Clone>(
        state: &mut CourseState<M>,
        decoded: &Result<PlayerEvent<M>, Reject>,
        mut implied: impl FnMut(PlayerEvent<M>),
    ) -> bool {
        let event = match decoded {
            Ok(event) => event,
            Err(Reject::Malformed(Malformed::BadProgress)) => {
                state.progress.drop_unusable();
                return true; // reported once as an SDK error
            }
            Err(Reject::Malformed(_)) => return true,
            Err(Reject::Foreign) => return false,
        };
        match event {
            PlayerEvent::SessionReady => state.ready = true,
            PlayerEvent::SessionExpired => {}
            PlayerEvent::CourseStart => state.started = true,
            PlayerEvent::CourseProgress { percent, .. } => {
                return state.progress.offer(*percent) != ProgressUpdate::Dropped;
            }
            PlayerEvent::CourseFeedback { data } => state.feedback = data.clone(),
            PlayerEvent::CourseCompleted => {
                state.completed = true;
                // Completion means 100 %: a bar that only listens to progress must show it.
                if state.progress.complete() {
                    implied(PlayerEvent::CourseProgress {
                        percent: 100,
                        implied: true,
                    });
                }
            }
            PlayerEvent::Screen { info, .. } => {
                if let Some(screen) = &info.screen {
                    state.last_screen = Some(screen.clone());
                }
            }
            PlayerEvent::Unknown { .. } => {}
        }
        true
    }
}

impl Protocol for Builder {
    type Event<M> = BuilderEvent<M>;
    type State<M> = BuilderState;

    fn decode<M: Message>(msg: M) -> Result<BuilderEvent<M>, Reject> {
        decode::decode_builder(msg)
    }

    fn map_data<M, N>(event: BuilderEvent<M>, f: impl FnMut(M) -> N) -> BuilderEvent<N> {
        event.map_data(f)
    }

    fn accept_implying<M: Clone>(
        state: &mut BuilderState,
        decoded: &Result<BuilderEvent<M>, Reject>,
        _implied: impl FnMut(BuilderEvent<M>),
    ) -> bool {
        match decoded {
            Ok(BuilderEvent::SessionReady) => state.ready = true,
            Ok(BuilderEvent::SessionExpired) => state.expired = true,
            Ok(
                BuilderEvent::CourseCreated { course_id, title }
                | BuilderEvent::CourseUpdated { course_id, title },
            ) => {
                if state.course_id != Some(*course_id) {
                    state.title = None;
                }
                state.course_id = Some(*course_id);
                if title.is_some() {
                    state.title = title.clone();
                }
            }
            Ok(_) | Err(Reject::Malformed(_)) => {}
            Err(Reject::Foreign) => return false,
        }
        true
    }
}
