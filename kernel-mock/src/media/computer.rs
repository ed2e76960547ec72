//! What a fake browser's computer controls remember, and the actions of the
//! "Browser Computer Controls" operations (plus `getMousePosition` and
//! `batchComputerAction`) parsed from their JSON bodies.
//!
//! Parsing checks the shape the spec gives (required fields, types, enum
//! values, no unknown fields); [`ComputerState::apply`] checks the ranges, so
//! a batch runs its items in order and stops at the first bad one, leaving
//! the earlier ones applied, as the real service does.

use serde_json::{Map, Value};
use std::fmt;

use super::png::{screenshot_png, screenshot_png_region, Scene};

/// A 400-worthy problem with an action, as a message for the `Error` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionError(pub(crate) String);

impl fmt::Display for ActionError {
    /// Writes the message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ActionError {}

/// Shorthand for action results.
type Result<T, E = ActionError> = std::result::Result<T, E>;

/// Builds an [`ActionError`].
fn err<T>(message: impl Into<String>) -> Result<T> {
    Err(ActionError(message.into()))
}

/// A mouse button (`dragMouse` allows only left, middle and right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MouseButton {
    /// `left`
    Left,
    /// `right`
    Right,
    /// `middle`
    Middle,
    /// `back`
    Back,
    /// `forward`
    Forward,
}

impl MouseButton {
    /// The spec's name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Left => "left",
            Self::Right => "right",
            Self::Middle => "middle",
            Self::Back => "back",
            Self::Forward => "forward",
        }
    }
}

/// `click_type` of `clickMouse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClickType {
    /// Press the button only.
    Down,
    /// Release the button only.
    Up,
    /// Press and release.
    Click,
}

/// The spec's `ScreenshotRegion`, before clamping to the viewport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    /// Left edge.
    pub(crate) x: i64,
    /// Top edge.
    pub(crate) y: i64,
    /// Width in pixels.
    pub(crate) width: i64,
    /// Height in pixels.
    pub(crate) height: i64,
}

/// One computer-control action, mirroring its request body. Fields with a
/// spec default hold it when the body omits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// `clickMouse` (`ClickMouseRequest`).
    ClickMouse {
        /// Target x.
        x: i64,
        /// Target y.
        y: i64,
        /// Button; the service uses left when omitted.
        button: Option<MouseButton>,
        /// Kind of click; the service clicks when omitted.
        click_type: Option<ClickType>,
        /// Modifiers held during the click.
        hold_keys: Vec<String>,
        /// Repetitions (default 1; the service treats values below 1 as 1).
        num_clicks: i64,
    },
    /// `moveMouse` (`MoveMouseRequest`).
    MoveMouse {
        /// Target x.
        x: i64,
        /// Target y.
        y: i64,
        /// Modifiers held during the move.
        hold_keys: Vec<String>,
        /// Human-like path (default true).
        smooth: bool,
        /// Movement time, 50..=5000 ms.
        duration_ms: Option<i64>,
    },
    /// `typeText` (`TypeTextRequest`).
    TypeText {
        /// Text to type.
        text: String,
        /// Milliseconds between keystrokes (default 0, at least 0).
        delay: i64,
    },
    /// `pressKey` (`PressKeyRequest`).
    PressKey {
        /// xdotool key symbols or combinations such as `Ctrl+t`.
        keys: Vec<String>,
        /// Hold time in ms (default 0 = tap, at least 0).
        duration: i64,
        /// Modifiers held during the presses.
        hold_keys: Vec<String>,
    },
    /// `scroll` (`ScrollRequest`).
    Scroll {
        /// Position x.
        x: i64,
        /// Position y.
        y: i64,
        /// Horizontal wheel units (default 0).
        delta_x: i64,
        /// Vertical wheel units (default 0).
        delta_y: i64,
        /// Modifiers held during the scroll.
        hold_keys: Vec<String>,
    },
    /// `dragMouse` (`DragMouseRequest`).
    DragMouse {
        /// Points to drag through, at least 2.
        path: Vec<(i64, i64)>,
        /// Left, middle or right.
        button: Option<MouseButton>,
        /// Ms between button down and moving (default 0).
        delay: i64,
        /// Steps per segment (default 10, at least 1).
        steps_per_segment: i64,
        /// Ms between steps (default 50, at least 0).
        step_delay_ms: i64,
        /// Modifiers held during the drag.
        hold_keys: Vec<String>,
        /// Human-like curves (default true).
        smooth: bool,
        /// Whole drag time, 50..=10000 ms.
        duration_ms: Option<i64>,
    },
    /// `setCursor` (`SetCursorRequest`).
    SetCursor {
        /// Whether the cursor is hidden.
        hidden: bool,
    },
    /// The batch-only `sleep` action (`SleepAction`), 0..=30000 ms.
    Sleep {
        /// Pause length; the state records it without waiting.
        duration_ms: i64,
    },
    /// `writeClipboard` (`WriteClipboardRequest`).
    WriteClipboard {
        /// New clipboard text.
        text: String,
    },
    /// `readClipboard` (no body).
    ReadClipboard,
    /// `getMousePosition` (no body).
    GetMousePosition,
    /// `takeScreenshot` (`ScreenshotRequest`, body optional).
    TakeScreenshot {
        /// Part of the viewport to capture.
        region: Option<Region>,
    },
    /// `batchComputerAction`: 1..=100 batchable actions, run in order.
    Batch(Vec<Action>),
}

/// The action types a batch item may name, in the spec's order.
const BATCH_TYPES: [&str; 8] = [
    "click_mouse",
    "move_mouse",
    "type_text",
    "press_key",
    "scroll",
    "drag_mouse",
    "set_cursor",
    "sleep",
];

/// Most actions a batch may hold.
const MAX_BATCH: usize = 100;

impl Action {
    /// Parses the body of the operation `operation_id` (`Value::Null` for no
    /// body).
    pub(crate) fn from_operation(operation_id: &str, body: &Value) -> Result<Self> {
        match operation_id {
            "clickMouse" => parse_click(required_body(body)?, ""),
            "moveMouse" => parse_move(required_body(body)?, ""),
            "typeText" => parse_type(required_body(body)?, ""),
            "pressKey" => parse_press(required_body(body)?, ""),
            "scroll" => parse_scroll(required_body(body)?, ""),
            "dragMouse" => parse_drag(required_body(body)?, ""),
            "setCursor" => parse_set_cursor(required_body(body)?, ""),
            "writeClipboard" => {
                let o = Obj::new(required_body(body)?, "", &["text"])?;
                Ok(Self::WriteClipboard {
                    text: o.req_str("text")?,
                })
            }
            // No request body in the spec: whatever was sent is ignored.
            "readClipboard" => Ok(Self::ReadClipboard),
            "getMousePosition" => Ok(Self::GetMousePosition),
            "takeScreenshot" => parse_screenshot(body),
            "batchComputerAction" => parse_batch(required_body(body)?),
            other => err(format!("{other} is not a computer-control operation")),
        }
    }

    /// Parses one `ComputerAction` of a batch: `type` plus the matching field.
    pub(crate) fn from_batch_item(item: &Value) -> Result<Self> {
        if !item.is_object() {
            return err("each action must be a JSON object");
        }
        let mut allowed = vec!["type"];
        allowed.extend(BATCH_TYPES);
        let o = Obj::new(item, "", &allowed)?;
        let kind = o.req_str("type")?;
        if !BATCH_TYPES.contains(&kind.as_str()) {
            return err(format!("type must be one of {}", BATCH_TYPES.join(", ")));
        }
        if let Some(extra) = BATCH_TYPES
            .iter()
            .find(|t| **t != kind && o.map.contains_key(**t))
        {
            return err(format!(
                "{extra} field is not allowed when type is {kind}; give only the {kind} field"
            ));
        }
        let body = match o.map.get(&kind) {
            Some(body) if !body.is_null() => body,
            _ => return err(format!("{kind} field is required when type is {kind}")),
        };
        let prefix = format!("{kind}.");
        match kind.as_str() {
            "click_mouse" => parse_click(body, &prefix),
            "move_mouse" => parse_move(body, &prefix),
            "type_text" => parse_type(body, &prefix),
            "press_key" => parse_press(body, &prefix),
            "scroll" => parse_scroll(body, &prefix),
            "drag_mouse" => parse_drag(body, &prefix),
            "set_cursor" => parse_set_cursor(body, &prefix),
            _ => {
                let o = Obj::new(body, &prefix, &["duration_ms"])?;
                Ok(Self::Sleep {
                    duration_ms: o.req_int("duration_ms")?,
                })
            }
        }
    }

    /// The operation ID this action belongs to (`sleep` for the batch-only action).
    pub(crate) fn operation(&self) -> &'static str {
        match self {
            Self::ClickMouse { .. } => "clickMouse",
            Self::MoveMouse { .. } => "moveMouse",
            Self::TypeText { .. } => "typeText",
            Self::PressKey { .. } => "pressKey",
            Self::Scroll { .. } => "scroll",
            Self::DragMouse { .. } => "dragMouse",
            Self::SetCursor { .. } => "setCursor",
            Self::Sleep { .. } => "sleep",
            Self::WriteClipboard { .. } => "writeClipboard",
            Self::ReadClipboard => "readClipboard",
            Self::GetMousePosition => "getMousePosition",
            Self::TakeScreenshot { .. } => "takeScreenshot",
            Self::Batch(_) => "batchComputerAction",
        }
    }

    /// The batch `type` naming this action, if a batch may hold it.
    pub(crate) fn batch_type(&self) -> Option<&'static str> {
        Some(match self {
            Self::ClickMouse { .. } => "click_mouse",
            Self::MoveMouse { .. } => "move_mouse",
            Self::TypeText { .. } => "type_text",
            Self::PressKey { .. } => "press_key",
            Self::Scroll { .. } => "scroll",
            Self::DragMouse { .. } => "drag_mouse",
            Self::SetCursor { .. } => "set_cursor",
            Self::Sleep { .. } => "sleep",
            _ => return None,
        })
    }
}

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
    /// A PNG image.
    Screenshot(Vec<u8>),
}

/// One applied action, for inspection by tests.
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
    /// Every key (or combination) pressed by `pressKey`, in order.
    pub(crate) pressed_keys: Vec<String>,
    /// Everything typed by `typeText`, concatenated.
    pub(crate) typed_text: String,
    /// Applied actions in order; a batch records its items.
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
            pressed_keys: Vec::new(),
            typed_text: String::new(),
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
                ..
            } => {
                let to = point("x", x, "y", y)?;
                self.mouse = to;
                let button = button.unwrap_or(MouseButton::Left).as_str();
                let what = match click_type.unwrap_or(ClickType::Click) {
                    ClickType::Down => format!("{button} down"),
                    ClickType::Up => format!("{button} up"),
                    ClickType::Click => format!("{button} click x{}", num_clicks.max(1)),
                };
                (format!("{what} at {to:?}"), ActionOutput::None)
            }
            Action::MoveMouse {
                x, y, duration_ms, ..
            } => {
                let to = point("x", x, "y", y)?;
                in_range("duration_ms", duration_ms, 50, 5000)?;
                self.mouse = to;
                (format!("move to {to:?}"), ActionOutput::None)
            }
            Action::TypeText { text, delay } => {
                at_least("delay", delay, 0)?;
                let summary = format!("type {} chars", text.chars().count());
                self.typed_text.push_str(&text);
                (summary, ActionOutput::None)
            }
            Action::PressKey { keys, duration, .. } => {
                at_least("duration", duration, 0)?;
                let summary = format!("press {}", keys.join(", "));
                self.pressed_keys.extend(keys);
                (summary, ActionOutput::None)
            }
            Action::Scroll {
                x,
                y,
                delta_x,
                delta_y,
                ..
            } => {
                let at = point("x", x, "y", y)?;
                self.mouse = at;
                (
                    format!("scroll ({delta_x}, {delta_y}) at {at:?}"),
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
                ..
            } => {
                if path.len() < 2 {
                    return err(format!(
                        "path must contain at least 2 points (got {})",
                        path.len()
                    ));
                }
                let mut last = self.mouse;
                for (i, &(x, y)) in path.iter().enumerate() {
                    last = point(&format!("path[{i}][0]"), x, &format!("path[{i}][1]"), y)?;
                }
                at_least("delay", delay, 0)?;
                at_least("steps_per_segment", steps_per_segment, 1)?;
                at_least("step_delay_ms", step_delay_ms, 0)?;
                in_range("duration_ms", duration_ms, 50, 10_000)?;
                self.mouse = last;
                let button = button.unwrap_or(MouseButton::Left).as_str();
                (
                    format!("{button} drag through {} points to {last:?}", path.len()),
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
                match region {
                    None => (
                        format!("screenshot {w}x{h}"),
                        ActionOutput::Screenshot(screenshot_png(w, h, &scene)),
                    ),
                    Some(r) => {
                        let png = screenshot_png_region(w, h, r.x, r.y, r.width, r.height, &scene)
                            .map_err(|e| ActionError(e.0))?;
                        (
                            format!("screenshot {}x{} at ({}, {})", r.width, r.height, r.x, r.y),
                            ActionOutput::Screenshot(png),
                        )
                    }
                }
            }
            Action::Batch(_) => return err("a batch cannot contain a batch"),
        };
        self.actions.push(RecordedAction { operation, summary });
        Ok(output)
    }
}

/// Checks a coordinate pair: non-negative and within `i32`.
fn point(x_name: &str, x: i64, y_name: &str, y: i64) -> Result<(i32, i32)> {
    Ok((coordinate(x_name, x)?, coordinate(y_name, y)?))
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

/// The body of an operation whose spec marks it required.
fn required_body(body: &Value) -> Result<&Value> {
    if body.is_null() {
        return err("request body is required");
    }
    Ok(body)
}

/// Parses a `ClickMouseRequest`.
fn parse_click(body: &Value, prefix: &str) -> Result<Action> {
    let o = Obj::new(
        body,
        prefix,
        &["button", "click_type", "x", "y", "hold_keys", "num_clicks"],
    )?;
    Ok(Action::ClickMouse {
        x: o.req_int("x")?,
        y: o.req_int("y")?,
        button: o.opt_enum("button", ALL_BUTTONS)?,
        click_type: o.opt_enum(
            "click_type",
            &[
                ("down", ClickType::Down),
                ("up", ClickType::Up),
                ("click", ClickType::Click),
            ],
        )?,
        hold_keys: o.strings("hold_keys")?,
        num_clicks: o.opt_int("num_clicks")?.unwrap_or(1),
    })
}

/// Every mouse button with its spec name.
const ALL_BUTTONS: &[(&str, MouseButton)] = &[
    ("left", MouseButton::Left),
    ("right", MouseButton::Right),
    ("middle", MouseButton::Middle),
    ("back", MouseButton::Back),
    ("forward", MouseButton::Forward),
];

/// Parses a `MoveMouseRequest`.
fn parse_move(body: &Value, prefix: &str) -> Result<Action> {
    let o = Obj::new(
        body,
        prefix,
        &["x", "y", "hold_keys", "smooth", "duration_ms"],
    )?;
    Ok(Action::MoveMouse {
        x: o.req_int("x")?,
        y: o.req_int("y")?,
        hold_keys: o.strings("hold_keys")?,
        smooth: o.opt_bool("smooth")?.unwrap_or(true),
        duration_ms: o.opt_int("duration_ms")?,
    })
}

/// Parses a `TypeTextRequest`.
fn parse_type(body: &Value, prefix: &str) -> Result<Action> {
    let o = Obj::new(body, prefix, &["text", "delay"])?;
    Ok(Action::TypeText {
        text: o.req_str("text")?,
        delay: o.opt_int("delay")?.unwrap_or(0),
    })
}

/// Parses a `PressKeyRequest`.
fn parse_press(body: &Value, prefix: &str) -> Result<Action> {
    let o = Obj::new(body, prefix, &["keys", "duration", "hold_keys"])?;
    if o.get("keys").is_none() {
        return err(format!("{} is required", o.name("keys")));
    }
    Ok(Action::PressKey {
        keys: o.strings("keys")?,
        duration: o.opt_int("duration")?.unwrap_or(0),
        hold_keys: o.strings("hold_keys")?,
    })
}

/// Parses a `ScrollRequest`.
fn parse_scroll(body: &Value, prefix: &str) -> Result<Action> {
    let o = Obj::new(body, prefix, &["x", "y", "delta_x", "delta_y", "hold_keys"])?;
    Ok(Action::Scroll {
        x: o.req_int("x")?,
        y: o.req_int("y")?,
        delta_x: o.opt_int("delta_x")?.unwrap_or(0),
        delta_y: o.opt_int("delta_y")?.unwrap_or(0),
        hold_keys: o.strings("hold_keys")?,
    })
}

/// Parses a `DragMouseRequest`.
fn parse_drag(body: &Value, prefix: &str) -> Result<Action> {
    let o = Obj::new(
        body,
        prefix,
        &[
            "path",
            "button",
            "delay",
            "steps_per_segment",
            "step_delay_ms",
            "hold_keys",
            "smooth",
            "duration_ms",
        ],
    )?;
    let points = match o.map.get("path") {
        None | Some(Value::Null) => return err(format!("{} is required", o.name("path"))),
        Some(Value::Array(points)) => points,
        Some(_) => {
            return err(format!(
                "{} must be an array of [x, y] pairs",
                o.name("path")
            ))
        }
    };
    let mut path = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        match p.as_array().map(Vec::as_slice) {
            Some([x, y]) => path.push((
                integer(x, &format!("{prefix}path[{i}][0]"))?,
                integer(y, &format!("{prefix}path[{i}][1]"))?,
            )),
            _ => {
                return err(format!(
                    "{prefix}path[{i}] must be an [x, y] pair of integers"
                ))
            }
        }
    }
    Ok(Action::DragMouse {
        path,
        button: o.opt_enum("button", &ALL_BUTTONS[..3])?,
        delay: o.opt_int("delay")?.unwrap_or(0),
        steps_per_segment: o.opt_int("steps_per_segment")?.unwrap_or(10),
        step_delay_ms: o.opt_int("step_delay_ms")?.unwrap_or(50),
        hold_keys: o.strings("hold_keys")?,
        smooth: o.opt_bool("smooth")?.unwrap_or(true),
        duration_ms: o.opt_int("duration_ms")?,
    })
}

/// Parses a `SetCursorRequest`.
fn parse_set_cursor(body: &Value, prefix: &str) -> Result<Action> {
    let o = Obj::new(body, prefix, &["hidden"])?;
    match o.opt_bool("hidden")? {
        Some(hidden) => Ok(Action::SetCursor { hidden }),
        None => err(format!("{} is required", o.name("hidden"))),
    }
}

/// Parses an optional `ScreenshotRequest`.
fn parse_screenshot(body: &Value) -> Result<Action> {
    if body.is_null() {
        return Ok(Action::TakeScreenshot { region: None });
    }
    let o = Obj::new(body, "", &["region"])?;
    let region = match o.map.get("region") {
        None | Some(Value::Null) => None,
        Some(r) => {
            let r = Obj::new(r, "region.", &["x", "y", "width", "height"])?;
            Some(Region {
                x: r.req_int("x")?,
                y: r.req_int("y")?,
                width: r.req_int("width")?,
                height: r.req_int("height")?,
            })
        }
    };
    Ok(Action::TakeScreenshot { region })
}

/// Parses a `BatchComputerActionRequest`.
fn parse_batch(body: &Value) -> Result<Action> {
    let o = Obj::new(body, "", &["actions"])?;
    let items = match o.map.get("actions") {
        None | Some(Value::Null) => return err("actions is required"),
        Some(Value::Array(items)) => items,
        Some(_) => return err("actions must be an array"),
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return err(format!(
            "actions must hold 1 to {MAX_BATCH} actions (got {})",
            items.len()
        ));
    }
    let mut actions = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let action = Action::from_batch_item(item).map_err(|e| {
            match item.get("type").and_then(Value::as_str) {
                Some(kind) if BATCH_TYPES.contains(&kind) => {
                    ActionError(format!("actions[{i}] ({kind}): {}", e.0))
                }
                _ => ActionError(format!("actions[{i}]: {}", e.0)),
            }
        })?;
        actions.push(action);
    }
    Ok(Action::Batch(actions))
}

/// A JSON object checked against its schema's properties, with a prefix for
/// field names in messages (`region.` for nested objects).
struct Obj<'a> {
    /// The object's fields.
    map: &'a Map<String, Value>,
    /// Put before field names in messages.
    prefix: &'a str,
}

impl<'a> Obj<'a> {
    /// Checks that `value` is an object with only `allowed` fields (the spec's
    /// `additionalProperties: false`).
    fn new(value: &'a Value, prefix: &'a str, allowed: &[&str]) -> Result<Self> {
        let Some(map) = value.as_object() else {
            let what = prefix.strip_suffix('.').unwrap_or("request body");
            return err(format!("{what} must be a JSON object"));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return err(format!("unknown field {prefix}{unknown}"));
        }
        Ok(Self { map, prefix })
    }

    /// The field's name as messages show it.
    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// A field, treating `null` as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A required integer.
    fn req_int(&self, key: &str) -> Result<i64> {
        match self.get(key) {
            Some(v) => integer(v, &self.name(key)),
            None => err(format!("{} is required", self.name(key))),
        }
    }

    /// An optional integer.
    fn opt_int(&self, key: &str) -> Result<Option<i64>> {
        self.get(key)
            .map(|v| integer(v, &self.name(key)))
            .transpose()
    }

    /// A required string.
    fn req_str(&self, key: &str) -> Result<String> {
        match self.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => err(format!("{} must be a string", self.name(key))),
            None => err(format!("{} is required", self.name(key))),
        }
    }

    /// An optional boolean.
    fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => err(format!("{} must be a boolean", self.name(key))),
        }
    }

    /// An optional array of strings (absent is empty).
    fn strings(&self, key: &str) -> Result<Vec<String>> {
        let Some(value) = self.get(key) else {
            return Ok(Vec::new());
        };
        let bad = || ActionError(format!("{} must be an array of strings", self.name(key)));
        let items = value.as_array().ok_or_else(bad)?;
        items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect()
    }

    /// An optional string enum.
    fn opt_enum<T: Copy>(&self, key: &str, values: &[(&str, T)]) -> Result<Option<T>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let found = value
            .as_str()
            .and_then(|s| values.iter().find(|(name, _)| *name == s));
        match found {
            Some((_, v)) => Ok(Some(*v)),
            None => {
                let names: Vec<_> = values.iter().map(|(name, _)| *name).collect();
                err(format!(
                    "{} must be one of {} (got {value})",
                    self.name(key),
                    names.join(", ")
                ))
            }
        }
    }
}

/// An integer, also accepting a whole float such as `10.0`.
fn integer(value: &Value, name: &str) -> Result<i64> {
    if let Some(i) = value.as_i64() {
        return Ok(i);
    }
    match value.as_f64() {
        // i64::MAX as f64 rounds up to 2^63, so the upper bound is exclusive.
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => Ok(f as i64),
        _ => err(format!("{name} must be an integer (got {value})")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::png::tests::decode;
    use super::*;
    use serde_json::json;

    /// Parses and applies one operation body.
    fn op(state: &mut ComputerState, id: &str, body: Value) -> Result<ActionOutput> {
        state.apply(Action::from_operation(id, &body)?)
    }

    /// The message of an expected error.
    fn message(result: Result<impl fmt::Debug>) -> String {
        result.expect_err("expected an error").0
    }

    #[test]
    fn move_then_get_position() {
        let mut s = ComputerState::new((1024, 768), 1);
        assert_eq!(
            op(&mut s, "getMousePosition", Value::Null).unwrap(),
            ActionOutput::MousePosition { x: 512, y: 384 }
        );
        op(&mut s, "moveMouse", json!({"x": 10, "y": 20.0})).unwrap();
        assert_eq!(
            op(&mut s, "getMousePosition", Value::Null).unwrap(),
            ActionOutput::MousePosition { x: 10, y: 20 }
        );
        let ops: Vec<_> = s.actions.iter().map(|a| a.operation).collect();
        assert_eq!(ops, ["getMousePosition", "moveMouse", "getMousePosition"]);
        assert_eq!(s.actions[1].summary, "move to (10, 20)");
    }

    #[test]
    fn clicks_scrolls_and_drags_move_the_mouse() {
        let mut s = ComputerState::default();
        op(
            &mut s,
            "clickMouse",
            json!({"x": 5, "y": 6, "button": "right", "num_clicks": 2}),
        )
        .unwrap();
        assert_eq!(s.mouse, (5, 6));
        assert_eq!(s.actions[0].summary, "right click x2 at (5, 6)");
        op(&mut s, "scroll", json!({"x": 300, "y": 400, "delta_y": -3})).unwrap();
        assert_eq!(s.mouse, (300, 400));
        op(
            &mut s,
            "dragMouse",
            json!({"path": [[1, 2], [3, 4], [50, 60]]}),
        )
        .unwrap();
        assert_eq!(s.mouse, (50, 60));
        assert_eq!(
            s.actions[2].summary,
            "left drag through 3 points to (50, 60)"
        );
        op(&mut s, "typeText", json!({"text": "hi"})).unwrap();
        op(&mut s, "pressKey", json!({"keys": ["Ctrl+t", "Return"]})).unwrap();
        assert_eq!(s.typed_text, "hi");
        assert_eq!(s.pressed_keys, ["Ctrl+t", "Return"]);
        op(&mut s, "setCursor", json!({"hidden": true})).unwrap();
        assert!(s.cursor_hidden);
    }

    #[test]
    fn clipboard_round_trip() {
        let mut s = ComputerState::default();
        assert_eq!(
            op(&mut s, "readClipboard", Value::Null).unwrap(),
            ActionOutput::Clipboard(String::new())
        );
        op(&mut s, "writeClipboard", json!({"text": "héllo\nworld"})).unwrap();
        assert_eq!(
            op(&mut s, "readClipboard", json!({})).unwrap(),
            ActionOutput::Clipboard("héllo\nworld".into())
        );
        assert_eq!(s.actions[1].summary, "write 11 chars");
    }

    #[test]
    fn batch_applies_in_order() {
        let mut s = ComputerState::default();
        let body = json!({"actions": [
            {"type": "click_mouse", "click_mouse": {"x": 10, "y": 10}},
            {"type": "type_text", "type_text": {"text": "ab"}},
            {"type": "sleep", "sleep": {"duration_ms": 0}},
            {"type": "move_mouse", "move_mouse": {"x": 30, "y": 40}},
            {"type": "type_text", "type_text": {"text": "c"}},
        ]});
        assert_eq!(
            op(&mut s, "batchComputerAction", body).unwrap(),
            ActionOutput::None
        );
        assert_eq!(s.mouse, (30, 40));
        assert_eq!(s.typed_text, "abc");
        let ops: Vec<_> = s.actions.iter().map(|a| a.operation).collect();
        assert_eq!(
            ops,
            ["clickMouse", "typeText", "sleep", "moveMouse", "typeText"]
        );
    }

    #[test]
    fn batch_stops_at_the_first_bad_item() {
        let mut s = ComputerState::default();
        let body = json!({"actions": [
            {"type": "move_mouse", "move_mouse": {"x": 5, "y": 5}},
            {"type": "type_text", "type_text": {"text": "a"}},
            {"type": "move_mouse", "move_mouse": {"x": -1, "y": 3}},
            {"type": "type_text", "type_text": {"text": "never"}},
        ]});
        let m = message(op(&mut s, "batchComputerAction", body));
        assert_eq!(
            m,
            "actions[2] (move_mouse): x must be non-negative (got -1)"
        );
        assert_eq!(s.mouse, (5, 5));
        assert_eq!(s.typed_text, "a");
        assert_eq!(s.actions.len(), 2);

        // Malformed items are rejected while parsing, before anything runs.
        let bad_shape = json!({"actions": [
            {"type": "type_text", "type_text": {"text": "a"}},
            {"type": "click_mouse"},
        ]});
        let m = message(Action::from_operation("batchComputerAction", &bad_shape));
        assert_eq!(
            m,
            "actions[1] (click_mouse): click_mouse field is required when type is click_mouse"
        );
        let m = message(Action::from_batch_item(
            &json!({"type": "sleep", "sleep": {}}),
        ));
        assert_eq!(m, "sleep.duration_ms is required");
        let m = message(Action::from_batch_item(&json!({"type": "jump"})));
        assert!(m.starts_with("type must be one of click_mouse"), "{m}");
        let m = message(Action::from_batch_item(&json!({
            "type": "scroll", "scroll": {"x": 1, "y": 1}, "set_cursor": {"hidden": true}
        })));
        assert!(m.starts_with("set_cursor field is not allowed"), "{m}");
    }

    #[test]
    fn batch_size_and_contents_are_checked() {
        let mut s = ComputerState::default();
        let m = message(Action::from_operation(
            "batchComputerAction",
            &json!({"actions": []}),
        ));
        assert_eq!(m, "actions must hold 1 to 100 actions (got 0)");
        let item = json!({"type": "set_cursor", "set_cursor": {"hidden": false}});
        let many = json!({ "actions": vec![item; 101] });
        let m = message(Action::from_operation("batchComputerAction", &many));
        assert_eq!(m, "actions must hold 1 to 100 actions (got 101)");
        let m = message(s.apply(Action::Batch(vec![Action::ReadClipboard])));
        assert_eq!(m, "actions[0]: readClipboard cannot be part of a batch");
        assert!(message(s.apply(Action::Batch(Vec::new()))).contains("got 0"));
        assert!(s.actions.is_empty());
    }

    #[test]
    fn missing_required_fields_are_errors() {
        let cases = [
            ("clickMouse", json!({"y": 1}), "x is required"),
            ("moveMouse", json!({"x": 1}), "y is required"),
            ("scroll", json!({"x": 1, "y": null}), "y is required"),
            ("typeText", json!({}), "text is required"),
            ("pressKey", json!({"duration": 5}), "keys is required"),
            ("dragMouse", json!({"button": "left"}), "path is required"),
            ("setCursor", json!({}), "hidden is required"),
            ("writeClipboard", json!({}), "text is required"),
            ("batchComputerAction", json!({}), "actions is required"),
            ("clickMouse", Value::Null, "request body is required"),
            (
                "takeScreenshot",
                json!({"region": {"x": 0, "y": 0, "width": 5}}),
                "region.height is required",
            ),
        ];
        for (id, body, expected) in cases {
            assert_eq!(message(Action::from_operation(id, &body)), expected, "{id}");
        }
    }

    #[test]
    fn types_enums_and_unknown_fields_are_checked() {
        let cases = [
            (
                "clickMouse",
                json!({"x": 1.5, "y": 1}),
                "x must be an integer (got 1.5)",
            ),
            (
                "clickMouse",
                json!({"x": "1", "y": 1}),
                "x must be an integer (got \"1\")",
            ),
            (
                "clickMouse",
                json!({"x": 1, "y": 1, "button": "thumb"}),
                "button must be one of left, right, middle, back, forward (got \"thumb\")",
            ),
            (
                "dragMouse",
                json!({"path": [[0, 0], [1, 1]], "button": "back"}),
                "button must be one of left, right, middle (got \"back\")",
            ),
            (
                "dragMouse",
                json!({"path": [[0, 0], [1]]}),
                "path[1] must be an [x, y] pair of integers",
            ),
            (
                "moveMouse",
                json!({"x": 1, "y": 1, "speed": 3}),
                "unknown field speed",
            ),
            (
                "pressKey",
                json!({"keys": ["a", 1]}),
                "keys must be an array of strings",
            ),
            (
                "setCursor",
                json!({"hidden": "yes"}),
                "hidden must be a boolean",
            ),
            ("typeText", json!([1]), "request body must be a JSON object"),
            (
                "takeScreenshot",
                json!({"region": 3}),
                "region must be a JSON object",
            ),
            (
                "launchRocket",
                json!({}),
                "launchRocket is not a computer-control operation",
            ),
        ];
        for (id, body, expected) in cases {
            assert_eq!(message(Action::from_operation(id, &body)), expected, "{id}");
        }
    }

    #[test]
    fn ranges_are_checked_on_apply() {
        let mut s = ComputerState::default();
        let cases = [
            ("moveMouse", json!({"x": 1, "y": 1, "duration_ms": 49})),
            ("moveMouse", json!({"x": 1, "y": 1, "duration_ms": 5001})),
            ("clickMouse", json!({"x": 1, "y": 3_000_000_000u64})),
            ("typeText", json!({"text": "a", "delay": -1})),
            ("pressKey", json!({"keys": ["a"], "duration": -5})),
            ("dragMouse", json!({"path": [[1, 1]]})),
            ("dragMouse", json!({"path": [[1, 1], [2, -2]]})),
            (
                "dragMouse",
                json!({"path": [[1, 1], [2, 2]], "steps_per_segment": 0}),
            ),
            (
                "dragMouse",
                json!({"path": [[1, 1], [2, 2]], "duration_ms": 10_001}),
            ),
            ("scroll", json!({"x": -1, "y": 0})),
        ];
        for (id, body) in cases {
            let m = message(op(&mut s, id, body.clone()));
            assert!(m.contains("must"), "{id} {body}: {m}");
        }
        let sleep = Action::Batch(vec![Action::Sleep {
            duration_ms: 30_001,
        }]);
        let m = message(s.apply(sleep));
        assert_eq!(
            m,
            "actions[0] (sleep): duration_ms must be between 0 and 30000 (got 30001)"
        );
        let m = message(op(&mut s, "dragMouse", json!({"path": [[1, 1]]})));
        assert_eq!(m, "path must contain at least 2 points (got 1)");
        assert!(s.actions.is_empty());
        assert_eq!(s.mouse, (960, 540));
        assert!(s.typed_text.is_empty() && s.pressed_keys.is_empty());
    }

    #[test]
    fn screenshot_has_viewport_size_and_honours_region() {
        let mut s = ComputerState::new((800, 600), 9);
        op(&mut s, "moveMouse", json!({"x": 100, "y": 100})).unwrap();
        let ActionOutput::Screenshot(png) = op(&mut s, "takeScreenshot", Value::Null).unwrap()
        else {
            panic!("expected a screenshot");
        };
        let full = decode(&png);
        assert_eq!((full.width, full.height), (800, 600));
        assert_eq!(full.rgb(101, 101), [0x18, 0x18, 0x18]);

        let body = json!({"region": {"x": 790, "y": 10, "width": 20, "height": 30}});
        let ActionOutput::Screenshot(png) = op(&mut s, "takeScreenshot", body).unwrap() else {
            panic!("expected a screenshot");
        };
        let part = decode(&png);
        assert_eq!((part.width, part.height), (10, 30));
        assert_eq!(s.actions[2].summary, "screenshot 20x30 at (790, 10)");

        let body = json!({"region": {"x": 900, "y": 0, "width": 5, "height": 5}});
        assert!(message(op(&mut s, "takeScreenshot", body)).contains("outside"));
        let body = json!({"region": {"x": 0, "y": 0, "width": 0, "height": 5}});
        assert!(message(op(&mut s, "takeScreenshot", body)).contains("positive"));

        op(&mut s, "setCursor", json!({"hidden": true})).unwrap();
        let ActionOutput::Screenshot(png) = op(&mut s, "takeScreenshot", json!({})).unwrap() else {
            panic!("expected a screenshot");
        };
        assert_ne!(decode(&png).rgb(101, 101), [0x18, 0x18, 0x18]);
    }
}
