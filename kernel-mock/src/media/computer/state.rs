//! [`ComputerState`]: the mouse, cursor, clipboard and viewport of one
//! browser, and how actions change them.

use super::action::{Action, ClickType, MouseButton, MAX_BATCH};
use super::{err, ActionError, Result};
use crate::media::png::{Scene, Window};

/// What an applied action answers, beyond success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ActionOutput {
    /// Nothing (`200` with no body, or `OkResponse` for `setCursor`).
    None,
    /// `MousePositionResponse`.
    MousePosition {
        /// Cursor x.
        x: i32,
        /// Cursor y.
        y: i32,
    },
    /// `ClipboardContent.text`.
    Clipboard(String),
    /// A screenshot, checked but not yet encoded.
    Screenshot(Capture),
}

/// A screenshot `apply` checked and recorded; [`Capture::png`] encodes it,
/// which a caller does after releasing its locks (a full-HD PNG of stored
/// deflate blocks is about 6 MB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Capture {
    /// The part of the viewport captured.
    window: Window,
    /// What the viewport shows.
    scene: Scene,
}

impl Capture {
    /// The PNG image.
    pub(crate) fn png(&self) -> Vec<u8> {
        self.window.png(&self.scene)
    }

    /// The part of the viewport captured, when not all of it.
    pub(crate) fn clip(&self) -> Option<(u32, u32, u32, u32)> {
        self.window.clip()
    }
}

/// One applied action, as the browser's logs show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordedAction {
    /// Operation ID (`sleep` for the batch-only action).
    pub(crate) operation: &'static str,
    /// Short human-readable description.
    pub(crate) summary: String,
}

/// The state of one browser's computer controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComputerState {
    /// Cursor position.
    pub(crate) mouse: (i32, i32),
    /// Whether `setCursor` hid the cursor (screenshots then omit it).
    pub(crate) cursor_hidden: bool,
    /// Clipboard text.
    pub(crate) clipboard: String,
    /// Applied actions in order (a batch records its items) until the owner
    /// takes them.
    pub(crate) actions: Vec<RecordedAction>,
    /// Width and height in pixels, the size of screenshots.
    pub(crate) viewport: (u32, u32),
    /// Varies screenshot colours between browsers.
    pub(crate) seed: u64,
}

impl Default for ComputerState {
    /// The spec's default viewport, 1920x1080.
    fn default() -> Self {
        Self::new((1920, 1080), 0)
    }
}

impl ComputerState {
    /// Fresh state with the cursor in the middle of `viewport`.
    pub(crate) fn new(viewport: (u32, u32), seed: u64) -> Self {
        let half = |side: u32| i32::try_from(side / 2).unwrap_or(i32::MAX);
        Self {
            mouse: (half(viewport.0), half(viewport.1)),
            cursor_hidden: false,
            clipboard: String::new(),
            actions: Vec::new(),
            viewport,
            seed,
        }
    }

    /// Applies `action`, or changes nothing and explains why not. A batch
    /// applies its items in order and stops at the first failing one, whose
    /// index the error names; the items before it stay applied.
    pub(crate) fn apply(&mut self, action: Action) -> Result<ActionOutput> {
        let Action::Batch(items) = action else {
            return self.apply_one(action);
        };
        if items.is_empty() || items.len() > MAX_BATCH {
            return err(format!(
                "actions must hold 1 to {MAX_BATCH} actions (got {})",
                items.len()
            ));
        }
        for (i, item) in items.into_iter().enumerate() {
            let Some(kind) = item.batch_type() else {
                return err(format!(
                    "actions[{i}]: {} cannot be part of a batch",
                    item.operation()
                ));
            };
            self.apply_one(item)
                .map_err(|e| ActionError(format!("actions[{i}] ({kind}): {}", e.0)))?;
        }
        Ok(ActionOutput::None)
    }

    /// Applies one non-batch action.
    fn apply_one(&mut self, action: Action) -> Result<ActionOutput> {
        let operation = action.operation();
        let (summary, output) = match action {
            Action::ClickMouse {
                x,
                y,
                button,
                click_type,
                num_clicks,
                hold_keys,
            } => {
                let to = self.point("x", x, "y", y)?;
                self.mouse = to;
                let button = button.unwrap_or(MouseButton::Left).as_str();
                let what = match click_type.unwrap_or(ClickType::Click) {
                    ClickType::Down => format!("{button} down"),
                    ClickType::Up => format!("{button} up"),
                    ClickType::Click => format!("{button} click x{}", num_clicks.max(1)),
                };
                (
                    format!("{what} at {to:?}{}", holding(&hold_keys)),
                    ActionOutput::None,
                )
            }
            Action::MoveMouse {
                x,
                y,
                duration_ms,
                hold_keys,
                smooth,
            } => {
                let to = self.point("x", x, "y", y)?;
                in_range("duration_ms", duration_ms, 50, 5000)?;
                self.mouse = to;
                let how = if smooth { "" } else { " instantly" };
                (
                    format!("move to {to:?}{how}{}", holding(&hold_keys)),
                    ActionOutput::None,
                )
            }
            Action::TypeText { text, delay } => {
                at_least("delay", delay, 0)?;
                // The count only: typed text is often a password.
                let summary = format!("type {} chars", text.chars().count());
                (summary, ActionOutput::None)
            }
            Action::PressKey {
                keys,
                duration,
                hold_keys,
            } => {
                at_least("duration", duration, 0)?;
                let summary = format!("press {}{}", keys.join(", "), holding(&hold_keys));
                (summary, ActionOutput::None)
            }
            Action::Scroll {
                x,
                y,
                delta_x,
                delta_y,
                hold_keys,
            } => {
                let at = self.point("x", x, "y", y)?;
                self.mouse = at;
                (
                    format!(
                        "scroll ({delta_x}, {delta_y}) at {at:?}{}",
                        holding(&hold_keys)
                    ),
                    ActionOutput::None,
                )
            }
            Action::DragMouse {
                path,
                button,
                delay,
                steps_per_segment,
                step_delay_ms,
                duration_ms,
                hold_keys,
                smooth,
            } => {
                if path.len() < 2 {
                    return err(format!(
                        "path must contain at least 2 points (got {})",
                        path.len()
                    ));
                }
                let mut last = self.mouse;
                for (i, &(x, y)) in path.iter().enumerate() {
                    last = self.point(&format!("path[{i}][0]"), x, &format!("path[{i}][1]"), y)?;
                }
                at_least("delay", delay, 0)?;
                at_least("steps_per_segment", steps_per_segment, 1)?;
                at_least("step_delay_ms", step_delay_ms, 0)?;
                in_range("duration_ms", duration_ms, 50, 10_000)?;
                self.mouse = last;
                let button = button.unwrap_or(MouseButton::Left).as_str();
                let how = if smooth { "" } else { " in straight lines" };
                (
                    format!(
                        "{button} drag through {} points to {last:?}{how}{}",
                        path.len(),
                        holding(&hold_keys)
                    ),
                    ActionOutput::None,
                )
            }
            Action::SetCursor { hidden } => {
                self.cursor_hidden = hidden;
                let what = if hidden { "hide" } else { "show" };
                (format!("{what} cursor"), ActionOutput::None)
            }
            Action::Sleep { duration_ms } => {
                in_range("duration_ms", Some(duration_ms), 0, 30_000)?;
                (format!("sleep {duration_ms} ms"), ActionOutput::None)
            }
            Action::WriteClipboard { text } => {
                let summary = format!("write {} chars", text.chars().count());
                self.clipboard = text;
                (summary, ActionOutput::None)
            }
            Action::ReadClipboard => (
                format!("read {} chars", self.clipboard.chars().count()),
                ActionOutput::Clipboard(self.clipboard.clone()),
            ),
            Action::GetMousePosition => {
                let (x, y) = self.mouse;
                (
                    format!("at {:?}", self.mouse),
                    ActionOutput::MousePosition { x, y },
                )
            }
            Action::TakeScreenshot { region } => {
                // A hidden cursor is drawn nowhere: it is placed off-screen.
                let mouse = if self.cursor_hidden {
                    (i32::MIN, i32::MIN)
                } else {
                    self.mouse
                };
                let scene = Scene {
                    mouse,
                    seed: self.seed,
                };
                let (w, h) = self.viewport;
                let (summary, window) = match region {
                    None => (format!("screenshot {w}x{h}"), Window::full(w, h)),
                    Some(r) => (
                        format!("screenshot {}x{} at ({}, {})", r.width, r.height, r.x, r.y),
                        Window::region(w, h, r.x, r.y, r.width, r.height)
                            .map_err(|e| ActionError(e.0))?,
                    ),
                };
                (summary, ActionOutput::Screenshot(Capture { window, scene }))
            }
            Action::Batch(_) => return err("a batch cannot contain a batch"),
        };
        self.actions.push(RecordedAction { operation, summary });
        Ok(output)
    }

    /// Checks a coordinate pair (non-negative, within `i32`) and clamps it
    /// to the viewport, as the X server keeps the pointer on the screen.
    fn point(&self, x_name: &str, x: i64, y_name: &str, y: i64) -> Result<(i32, i32)> {
        let last = |side: u32| i32::try_from(side.saturating_sub(1)).unwrap_or(i32::MAX);
        let (x, y) = (coordinate(x_name, x)?, coordinate(y_name, y)?);
        Ok((x.min(last(self.viewport.0)), y.min(last(self.viewport.1))))
    }
}

/// ` holding Shift+Ctrl` for modifiers held during an action, else nothing.
fn holding(keys: &[String]) -> String {
    if keys.is_empty() {
        String::new()
    } else {
        format!(" holding {}", keys.join("+"))
    }
}

/// Checks one coordinate (the spec sets no bound; negative ones make no sense).
fn coordinate(name: &str, value: i64) -> Result<i32> {
    if value < 0 {
        return err(format!("{name} must be non-negative (got {value})"));
    }
    i32::try_from(value).or_else(|_| err(format!("{name} must be at most {}", i32::MAX)))
}

/// Checks a spec `minimum`.
fn at_least(name: &str, value: i64, min: i64) -> Result<()> {
    if value < min {
        return err(format!("{name} must be at least {min} (got {value})"));
    }
    Ok(())
}

/// Checks an optional value against a spec `minimum` and `maximum`.
fn in_range(name: &str, value: Option<i64>, min: i64, max: i64) -> Result<()> {
    match value {
        Some(v) if !(min..=max).contains(&v) => {
            err(format!("{name} must be between {min} and {max} (got {v})"))
        }
        _ => Ok(()),
    }
}
