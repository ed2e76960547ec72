//! The telemetry log of a browser session: a bounded log of `{seq, event}`
//! envelopes and the channel live streams subscribe to.

use std::collections::VecDeque;

use serde_json::{json, Value};
use tokio::sync::broadcast;

/// Envelopes kept per browser for resuming.
const RETAINED: usize = 5_000;

/// Which categories a session captures (`monitor_*` events always flow).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Categories {
    pub console: bool,
    pub page: bool,
    pub interaction: bool,
    pub network: bool,
}

impl Categories {
    pub fn from_config(config: &kernel_sys::types::BrowserTelemetryConfig) -> Self {
        let on = |c: &Option<kernel_sys::types::BrowserTelemetryCategoryConfig>| {
            c.as_ref().and_then(|c| c.enabled).unwrap_or(true)
        };
        match &config.browser {
            None => Categories {
                console: true,
                page: true,
                interaction: true,
                network: true,
            },
            Some(b) => Categories {
                console: on(&b.console),
                page: on(&b.page),
                interaction: on(&b.interaction),
                network: on(&b.network),
            },
        }
    }

    pub(crate) fn allows(&self, event_type: &str) -> bool {
        match event_type.split('_').next() {
            Some("console") => self.console,
            Some("page") => self.page,
            Some("interaction") => self.interaction,
            Some("network") => self.network,
            _ => true,
        }
    }
}

/// The telemetry of one browser session.
pub(crate) struct TelemetryLog {
    pub categories: Option<Categories>,
    pub(crate) events: VecDeque<(u64, Value)>,
    pub(crate) next_seq: u64,
    pub(crate) cursor: u64,
    pub(crate) sender: Option<broadcast::Sender<(u64, Value)>>,
}

impl TelemetryLog {
    /// A log; `categories` is `None` when telemetry is off (the stream opens
    /// but carries no events).
    pub fn new(categories: Option<Categories>) -> Self {
        let (sender, _) = broadcast::channel(1024);
        TelemetryLog {
            categories,
            events: VecDeque::new(),
            next_seq: 1,
            cursor: 0,
            sender: Some(sender),
        }
    }

    /// Ends every stream of this session.
    pub fn close(&mut self) {
        self.sender = None;
    }

    pub(crate) fn push(&mut self, event: Value) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let envelope = json!({ "seq": seq, "event": event });
        if self.events.len() >= RETAINED {
            self.events.pop_front();
        }
        self.events.push_back((seq, envelope.clone()));
        if let Some(sender) = &self.sender {
            let _ = sender.send((seq, envelope));
        }
    }

    pub(crate) fn after(&self, seq: u64) -> Vec<(u64, Value)> {
        self.events
            .iter()
            .filter(|(s, _)| *s > seq)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_filter_by_prefix() {
        let c = Categories {
            console: false,
            page: true,
            interaction: true,
            network: false,
        };
        assert!(!c.allows("console_log"));
        assert!(!c.allows("network_idle"));
        assert!(c.allows("page_load"));
        assert!(c.allows("monitor_screenshot"));
    }

    #[test]
    fn log_numbers_from_one_and_resumes() {
        let mut log = TelemetryLog::new(None);
        log.push(json!({"type": "a"}));
        log.push(json!({"type": "b"}));
        let all = log.after(0);
        assert_eq!(all.iter().map(|(s, _)| *s).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(log.after(1).len(), 1);
        assert_eq!(all[0].1["seq"], 1);
    }
}
