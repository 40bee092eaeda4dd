//! The progress rules: progress only ever moves forward, and completion means 100.
//!
//! Learners navigate back, players re-send, and legacy links send duplicates: a progress bar driven
//! straight from the wire jumps backwards. [`ProgressRule`] lets a value through only when it is
//! strictly higher than the last one, and counts what it drops.

/// The outcome of offering a progress value to a [`ProgressRule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUpdate {
    /// Progress moved forward to this whole percent: report it.
    Advanced(u8),
    /// Lower than or equal to the current progress (or the course is complete): not reported.
    Dropped,
}

/// Monotonic progress: whole percents 0..=100 that only increase.
///
/// ```
/// use coassemble_events::{ProgressRule, ProgressUpdate};
/// let mut rule = ProgressRule::default();
/// assert_eq!(rule.offer(30), ProgressUpdate::Advanced(30));
/// assert_eq!(rule.offer(20), ProgressUpdate::Dropped); // the learner went back a screen
/// assert!(rule.complete()); // 30 -> 100: reported as a progress of 100 implied by completion
/// assert_eq!((rule.percent(), rule.dropped()), (100, 1));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressRule {
    /// The last reported percent; `None` until the first one, so that a first 0 is reported.
    last: Option<u8>,
    dropped: u32,
}

impl ProgressRule {
    /// A rule that resumes at `percent` (clamped to 100): a learner who reloads mid-course keeps
    /// their bar, and only progress beyond it is reported.
    ///
    /// ```
    /// use coassemble_events::{ProgressRule, ProgressUpdate};
    /// let mut rule = ProgressRule::resumed_at(40);
    /// assert_eq!(rule.offer(40), ProgressUpdate::Dropped); // the reloaded player re-sends it
    /// assert_eq!(rule.offer(55), ProgressUpdate::Advanced(55));
    /// ```
    pub fn resumed_at(percent: u8) -> Self {
        ProgressRule {
            last: Some(percent.min(100)),
            dropped: 0,
        }
    }

    /// Offers a decoded percent (already clamped to 0..=100 by the decoder).
    pub fn offer(&mut self, percent: u8) -> ProgressUpdate {
        match self.last {
            Some(last) if percent <= last => {
                self.dropped = self.dropped.saturating_add(1);
                ProgressUpdate::Dropped
            }
            _ => {
                self.last = Some(percent);
                ProgressUpdate::Advanced(percent)
            }
        }
    }

    /// Counts a progress message whose value was unusable (garbage, NaN, missing).
    pub fn drop_unusable(&mut self) {
        self.dropped = self.dropped.saturating_add(1);
    }

    /// The course was completed: progress is 100 from now on, and no later value is reported.
    /// Returns `true` when this moved progress to 100 (it was below, or never reported): completion
    /// means 100 %, so the host must hear a `course:progress` of 100 before `course:completed`
    /// (issue 18: a bar wired only to `course:progress` stays right). Not a drop: never counted.
    ///
    /// ```
    /// use coassemble_events::ProgressRule;
    /// let mut rule = ProgressRule::default();
    /// rule.offer(40);
    /// assert!(rule.complete()); // 40 -> 100: an implied progress of 100
    /// assert!(!rule.complete()); // already 100
    /// assert_eq!(rule.dropped(), 0);
    /// ```
    pub fn complete(&mut self) -> bool {
        self.last.replace(100) != Some(100)
    }

    /// The current progress, 0 before any report.
    pub fn percent(&self) -> u8 {
        self.last.unwrap_or(0)
    }

    /// How many progress messages were dropped (not higher, or unusable).
    pub fn dropped(&self) -> u32 {
        self.dropped
    }
}
