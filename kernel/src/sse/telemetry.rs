//! The browser telemetry stream: events exactly once and in `seq` order
//! across reconnects, with the server's gaps and the VM's restarts said as
//! such.

use super::engine::{decode, Engine};
use super::stream::EventStream;
use crate::error::Result;

/// An item of the browser telemetry stream.
// Not boxed: matched directly by every consumer; moved once per event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Telemetry {
    /// The next event, exactly once and in `seq` order across reconnects
    /// (within one numbering: see [`Reset`](Self::Reset)).
    Event(crate::types::BrowserTelemetryEventEnvelope),
    /// Sequence numbers the server itself skipped (it dropped events).
    Gap {
        /// First missing `seq`.
        from: u64,
        /// Last missing `seq`.
        to: u64,
    },
    /// The numbering started again: `seq` is process-monotonic per browser
    /// VM, so a VM that restarted numbers its events from 1 again. The event
    /// numbered `seq` comes next (as an [`Event`](Self::Event), or as an
    /// error item if it could not be decoded), after a [`Gap`](Self::Gap)
    /// from 1 if `seq` is above 1. From there on everything follows the new
    /// numbering: replays are dropped, gaps are reported and reconnects
    /// resume (`Last-Event-ID`) in it.
    ///
    /// How a reset is told from a replay: an event whose `seq` is not above
    /// the last one delivered is either a replay (a server resending what
    /// was already delivered, as one that ignores `Last-Event-ID` does on
    /// reconnect) or the first of a new numbering. A replay resends the
    /// same event, a new numbering brings other events (their `ts` differ,
    /// at least) under old numbers. So the stream remembers a fingerprint of
    /// the `data` of the events delivered among the last 1024 `seq`s: an
    /// event with the `seq` and the `data` of one of them is a replay and is
    /// dropped; any other event with a `seq` at or below the last delivered
    /// one is a reset. Since `seq` only grows within a numbering, the same rule holds
    /// on a fresh connection and in the middle of one.
    ///
    /// Limits: a replay reaching back more than 1024 `seq`s, or resending
    /// an event with different bytes, is taken for a reset (those events
    /// come again after it); an event of a new numbering byte for byte
    /// equal to the old event of the same `seq` is taken for a replay; and
    /// a reset is only seen through an event numbered at or below
    /// `previous` (a restarted server that honours `Last-Event-ID` and
    /// sends only higher numbers hides it).
    Reset {
        /// The last `seq` delivered before the reset, in the old numbering.
        previous: u64,
        /// The first `seq` received in the new numbering.
        seq: u64,
    },
}

/// How many `seq`s back the telemetry stream remembers the events it
/// delivered, to tell a replay from a reset.
const REPLAY_WINDOW: usize = 1024;

/// A `seq` of the window with no event delivered (a gap, an unreadable
/// event); fingerprints are never this (their lowest bit is set).
const NOT_DELIVERED: u64 = 0;

/// What a telemetry event is to the stream.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// Delivered already: dropped.
    Replay,
    /// New: delivered, after the gap `missed` (first, last) if any.
    Next { missed: Option<(u64, u64)> },
    /// The first of a new numbering, after `previous` of the old one; the
    /// new numbering's seqs before it are `missed`.
    Reset {
        previous: u64,
        missed: Option<(u64, u64)>,
    },
}

/// The telemetry numbering as delivered so far.
struct Numbering {
    /// The last `seq` delivered, in the current numbering.
    last: Option<u64>,
    /// Fingerprints of the `data` of the events of the current numbering,
    /// by `seq`: the last is `last`'s, each one before it the `seq` before
    /// (8 bytes a `seq`, where a `(seq, fingerprint)` list took 16 an
    /// event).
    recent: std::collections::VecDeque<u64>,
    /// Keys of the fingerprints: random, so a server cannot make a new
    /// event pass for a replay on purpose.
    keys: std::collections::hash_map::RandomState,
}

impl Numbering {
    fn new() -> Self {
        Self {
            last: None,
            recent: std::collections::VecDeque::new(),
            keys: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Places event `seq`, whose `data` is as received, and remembers it
    /// unless it is a replay. The rule is on [`Telemetry::Reset`].
    fn place(&mut self, seq: u64, data: &str) -> Place {
        use std::hash::BuildHasher;
        let print = self.keys.hash_one(data) | 1;
        let place = match self.last {
            Some(last) if seq <= last => {
                let back = usize::try_from(last - seq).unwrap_or(usize::MAX);
                let known = back
                    .checked_add(1)
                    .and_then(|back| self.recent.len().checked_sub(back))
                    .and_then(|i| self.recent.get(i));
                if known == Some(&print) {
                    return Place::Replay;
                }
                self.recent.clear();
                self.last = None;
                Place::Reset {
                    previous: last,
                    missed: missed(0, seq),
                }
            }
            last => Place::Next {
                missed: last.and_then(|last| missed(last, seq)),
            },
        };
        self.advance(seq, print);
        place
    }

    /// An event known only by its `seq` (its bytes could not be decoded).
    /// Past the last one, the numbering moves to it, and the result is the
    /// gap before it, if any; otherwise (a replay, or a reset that the next
    /// readable event will show) nothing changes and the result is `None`.
    fn skip(&mut self, seq: u64) -> Option<Option<(u64, u64)>> {
        let missed = match self.last {
            Some(last) if seq <= last => return None,
            last => last.and_then(|last| missed(last, seq)),
        };
        self.advance(seq, NOT_DELIVERED);
        Some(missed)
    }

    /// Moves the numbering to `seq`, above the last one, with `print` as
    /// its fingerprint.
    fn advance(&mut self, seq: u64, print: u64) {
        if let Some(last) = self.last {
            let between = seq - last - 1;
            if between >= REPLAY_WINDOW as u64 {
                self.recent.clear();
            } else {
                for _ in 0..between {
                    self.remember(NOT_DELIVERED);
                }
            }
        }
        self.remember(print);
        self.last = Some(seq);
    }

    fn remember(&mut self, print: u64) {
        if self.recent.len() == REPLAY_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(print);
    }
}

/// The seqs strictly between `last` and `seq`, if any.
fn missed(last: u64, seq: u64) -> Option<(u64, u64)> {
    (seq > last.saturating_add(1)).then(|| (last + 1, seq - 1))
}

/// The telemetry stream: resumes with `Last-Event-ID` = the last delivered
/// `seq`, drops replays of events already delivered, and reports gaps and
/// resets.
pub(crate) fn telemetry(engine: Engine) -> EventStream<Telemetry> {
    struct State {
        engine: Engine,
        numbering: Numbering,
        /// Items to yield before reading on: an event and what precedes it.
        pending: std::collections::VecDeque<Result<Telemetry>>,
    }
    let state = State {
        engine,
        numbering: Numbering::new(),
        pending: std::collections::VecDeque::new(),
    };
    let gap = |(from, to)| {
        tracing::warn!(from, to, "telemetry sequence gap");
        Ok(Telemetry::Gap { from, to })
    };
    Box::pin(futures::stream::unfold(
        state,
        move |mut state| async move {
            if let Some(item) = state.pending.pop_front() {
                return Some((item, state));
            }
            loop {
                let (seq, data, item) = match state.engine.next_raw().await? {
                    Ok(raw) => {
                        match decode::<crate::types::BrowserTelemetryEventEnvelope>(&raw.data) {
                            Ok(envelope) => {
                                (envelope.seq.get(), raw.data, Ok(Telemetry::Event(envelope)))
                            }
                            // The event is lost to us, not skipped by the server:
                            // placed like the others, so it is neither reported as
                            // a gap nor fetched again after a reconnect.
                            Err(e) => match seq_of(&raw.data) {
                                Some(seq) => (seq, raw.data, Err(e)),
                                None => return Some((Err(e), state)),
                            },
                        }
                    }
                    Err(e) => {
                        // Bytes the SSE decoder rejected: the event's seq is its
                        // `id:` (the API sends it before `data:`), if any.
                        let seq = state.engine.error_id().and_then(|id| id.parse().ok());
                        if let Some(missed) = seq.and_then(|seq| state.numbering.skip(seq)) {
                            state.engine.resume_from = seq;
                            if let Some(missed) = missed {
                                state.pending.push_back(gap(missed));
                            }
                        }
                        state.pending.push_back(Err(e));
                        let item = state.pending.pop_front()?;
                        return Some((item, state));
                    }
                };
                match state.numbering.place(seq, &data) {
                    Place::Replay => continue,
                    Place::Next { missed } => state.pending.extend(missed.map(gap)),
                    Place::Reset { previous, missed } => {
                        tracing::warn!(previous, seq, "telemetry sequence reset");
                        state
                            .pending
                            .push_back(Ok(Telemetry::Reset { previous, seq }));
                        state.pending.extend(missed.map(gap));
                    }
                }
                state.engine.resume_from = Some(seq);
                if item.is_ok() {
                    state.engine.progressed();
                    state.engine.advanced();
                }
                state.pending.push_back(item);
                let item = state.pending.pop_front()?;
                return Some((item, state));
            }
        },
    ))
}

/// The `seq` of telemetry `data` that does not decode as an envelope.
fn seq_of(data: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    serde_json::from_str::<Seq>(data)
        .ok()
        .map(|Seq { seq }| seq)
}

#[cfg(test)]
mod tests {
    use super::{missed, Numbering, Place, REPLAY_WINDOW};

    fn next(missed: Option<(u64, u64)>) -> Place {
        Place::Next { missed }
    }

    #[test]
    fn new_seqs_are_next_with_their_gaps() {
        let mut n = Numbering::new();
        // The first event is never a gap, whatever its seq.
        assert_eq!(n.place(7, "a"), next(None));
        assert_eq!(n.place(8, "b"), next(None));
        assert_eq!(n.place(11, "c"), next(Some((9, 10))));
    }

    #[test]
    fn same_seq_and_data_is_a_replay_anything_else_lower_a_reset() {
        let mut n = Numbering::new();
        for seq in 1..=5 {
            assert_eq!(n.place(seq, &format!("old {seq}")), next(None));
        }
        assert_eq!(n.place(2, "old 2"), Place::Replay);
        assert_eq!(n.place(5, "old 5"), Place::Replay);
        assert_eq!(n.last, Some(5), "a replay does not move the numbering");
        // Same seq, other data: a new numbering.
        assert_eq!(
            n.place(3, "new 3"),
            Place::Reset {
                previous: 5,
                missed: Some((1, 2))
            }
        );
        // The old events are forgotten: their seqs now belong to the new run.
        assert_eq!(n.place(4, "old 4"), next(None));
        assert_eq!(n.place(4, "old 4"), Place::Replay);
        assert_eq!(
            n.place(1, "newer 1"),
            Place::Reset {
                previous: 4,
                missed: None
            }
        );
    }

    #[test]
    fn a_replay_older_than_the_window_is_a_reset() {
        let mut n = Numbering::new();
        let total = REPLAY_WINDOW as u64 + 10;
        for seq in 1..=total {
            n.place(seq, &seq.to_string());
        }
        assert_eq!(n.recent.len(), REPLAY_WINDOW);
        assert_eq!(n.place(11, "11"), Place::Replay, "the oldest remembered");
        assert!(matches!(n.place(10, "10"), Place::Reset { .. }));
    }

    #[test]
    fn replays_are_found_by_seq_across_gaps_and_unreadable_events() {
        let mut n = Numbering::new();
        assert_eq!(n.place(1, "a"), next(None));
        assert_eq!(n.place(2, "b"), next(None));
        assert_eq!(n.skip(3), Some(None));
        assert_eq!(n.place(5, "c"), next(Some((4, 4))));
        assert_eq!(n.place(2, "b"), Place::Replay);
        assert_eq!(n.place(5, "c"), Place::Replay);
        assert_eq!(n.place(1, "a"), Place::Replay);
        // A seq never delivered is no replay, whatever its data.
        assert!(matches!(n.place(4, "c"), Place::Reset { previous: 5, .. }));
        let mut n = Numbering::new();
        n.place(1, "a");
        assert_eq!(n.skip(2), Some(None));
        assert!(matches!(n.place(2, ""), Place::Reset { .. }));
        // A gap wider than the window forgets what came before it.
        let mut n = Numbering::new();
        let far = 1 + 3 * REPLAY_WINDOW as u64;
        n.place(1, "a");
        assert_eq!(n.place(far, "b"), next(Some((2, far - 1))));
        assert_eq!(n.recent.len(), 1);
        assert_eq!(n.place(far, "b"), Place::Replay);
        assert!(matches!(n.place(1, "a"), Place::Reset { .. }));
    }

    #[test]
    fn an_unreadable_event_moves_the_numbering_only_forward() {
        let mut n = Numbering::new();
        assert_eq!(n.skip(3), Some(None));
        assert_eq!(n.skip(6), Some(Some((4, 5))));
        assert_eq!(n.skip(6), None);
        assert_eq!(n.skip(2), None);
        assert_eq!(n.last, Some(6));
        assert_eq!(n.place(7, "a"), next(None));
    }

    #[test]
    fn missed_is_empty_for_consecutive_and_safe_at_the_ends() {
        assert_eq!(missed(4, 5), None);
        assert_eq!(missed(4, 4), None);
        assert_eq!(missed(0, 1), None);
        assert_eq!(missed(0, 3), Some((1, 2)));
        assert_eq!(missed(u64::MAX, 0), None);
        assert_eq!(
            missed(u64::MAX - 2, u64::MAX),
            Some((u64::MAX - 1, u64::MAX - 1))
        );
    }
}
