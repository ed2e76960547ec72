//! The actions, one variant per operation, and what identifies them.

//! The actions, one variant per operation, and what identifies them.

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
pub(super) const BATCH_TYPES: [&str; 8] = [
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
pub(super) const MAX_BATCH: usize = 100;

impl Action {
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
