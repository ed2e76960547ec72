//! Computer-control actions as DevTools input on the page a screen would
//! show: the mouse through `Input.dispatchMouseEvent`, keys through
//! `Input.dispatchKeyEvent` (xdotool key names mapped to DOM keys), typing
//! through `Input.insertText`, screenshots through `Page.captureScreenshot`.
//! Coordinates are clamped to the viewport like the fake's cursor. Delays
//! and durations are not waited for, as in the simulation; repeated clicks
//! and drag steps are capped so a large count cannot flood Chromium.

use base64::Engine;
use serde_json::{json, Value};

use super::cdp::CdpError;
use super::Running;
use crate::media::computer::{Action, ClickType, MouseButton};

/// Pixels scrolled per wheel unit of `delta_x` / `delta_y`.
const SCROLL_UNIT: i64 = 100;

/// Most clicks of one `click_mouse` sent to Chromium.
const MAX_CLICKS: i64 = 20;

/// Most intermediate moves per drag segment sent to Chromium.
const MAX_STEPS: i64 = 50;

/// Modifier bits of `Input.dispatch*Event`.
const ALT: i64 = 1;
const CTRL: i64 = 2;
const META: i64 = 4;
const SHIFT: i64 = 8;

/// Performs `action` (one that [`crate::media::computer::ComputerState`]
/// accepted) in `running`'s page; actions with no effect on a page
/// (cursor, clipboard, sleep, reads) do nothing.
pub(crate) async fn perform(running: &Running, action: &Action) -> Result<(), CdpError> {
    let point = |x: i64, y: i64| clamp(running.viewport, x, y);
    match action {
        Action::ClickMouse {
            x,
            y,
            button,
            click_type,
            hold_keys,
            num_clicks,
        } => {
            let (x, y) = point(*x, *y);
            let button = button.unwrap_or(MouseButton::Left);
            let modifiers = modifier_bits(hold_keys);
            let mouse = Mouse { running, modifiers };
            mouse.event("mouseMoved", x, y, None, 0).await?;
            let clicks = (*num_clicks).clamp(1, MAX_CLICKS);
            match click_type.unwrap_or(ClickType::Click) {
                ClickType::Down => mouse.event("mousePressed", x, y, Some(button), 1).await,
                ClickType::Up => mouse.event("mouseReleased", x, y, Some(button), 1).await,
                ClickType::Click => {
                    for count in 1..=clicks {
                        mouse
                            .event("mousePressed", x, y, Some(button), count)
                            .await?;
                        mouse
                            .event("mouseReleased", x, y, Some(button), count)
                            .await?;
                    }
                    Ok(())
                }
            }
        }
        Action::MoveMouse {
            x, y, hold_keys, ..
        } => {
            let (x, y) = point(*x, *y);
            let mouse = Mouse {
                running,
                modifiers: modifier_bits(hold_keys),
            };
            mouse.event("mouseMoved", x, y, None, 0).await
        }
        Action::Scroll {
            x,
            y,
            delta_x,
            delta_y,
            hold_keys,
        } => {
            let (x, y) = point(*x, *y);
            let params = json!({
                "type": "mouseWheel", "x": x, "y": y,
                "deltaX": delta_x.saturating_mul(SCROLL_UNIT),
                "deltaY": delta_y.saturating_mul(SCROLL_UNIT),
                "modifiers": modifier_bits(hold_keys),
            });
            running
                .page_call("Input.dispatchMouseEvent", params)
                .await
                .map(drop)
        }
        Action::DragMouse {
            path,
            button,
            steps_per_segment,
            hold_keys,
            ..
        } => {
            let button = button.unwrap_or(MouseButton::Left);
            let mouse = Mouse {
                running,
                modifiers: modifier_bits(hold_keys),
            };
            let points: Vec<(i64, i64)> = path.iter().map(|&(x, y)| point(x, y)).collect();
            let (Some(&first), Some(&last)) = (points.first(), points.last()) else {
                return Ok(());
            };
            mouse.event("mouseMoved", first.0, first.1, None, 0).await?;
            mouse
                .event("mousePressed", first.0, first.1, Some(button), 1)
                .await?;
            let steps = (*steps_per_segment).clamp(1, MAX_STEPS);
            for pair in points.windows(2) {
                let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
                for step in 1..=steps {
                    let x = x0 + (x1 - x0) * step / steps;
                    let y = y0 + (y1 - y0) * step / steps;
                    mouse.drag_to(x, y, button).await?;
                }
            }
            mouse
                .event("mouseReleased", last.0, last.1, Some(button), 1)
                .await
        }
        Action::TypeText { text, .. } => running
            .page_call("Input.insertText", json!({ "text": text }))
            .await
            .map(drop),
        Action::PressKey {
            keys, hold_keys, ..
        } => {
            for combo in keys {
                press(running, combo, hold_keys).await?;
            }
            Ok(())
        }
        Action::Batch(items) => {
            for item in items {
                Box::pin(perform(running, item)).await?;
            }
            Ok(())
        }
        Action::SetCursor { .. }
        | Action::Sleep { .. }
        | Action::WriteClipboard { .. }
        | Action::ReadClipboard
        | Action::GetMousePosition
        | Action::TakeScreenshot { .. } => Ok(()),
    }
}

/// A PNG of the page at the viewport's size, or of `clip` (`x, y, width,
/// height`, already clamped to the viewport).
pub(crate) async fn screenshot(
    running: &Running,
    clip: Option<(u32, u32, u32, u32)>,
) -> Result<Vec<u8>, CdpError> {
    let mut params = json!({ "format": "png", "captureBeyondViewport": false });
    if let Some((x, y, width, height)) = clip {
        params["clip"] = json!({ "x": x, "y": y, "width": width, "height": height, "scale": 1 });
    }
    let shot = running.page_call("Page.captureScreenshot", params).await?;
    let data = shot
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| CdpError::Protocol("Page.captureScreenshot gave no data".into()))?;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| CdpError::Protocol(format!("screenshot data is not base64: {e}")))
}

/// `(x, y)` kept on a `viewport`-sized screen.
fn clamp(viewport: (u32, u32), x: i64, y: i64) -> (i64, i64) {
    let last = |side: u32| i64::from(side.saturating_sub(1));
    (x.clamp(0, last(viewport.0)), y.clamp(0, last(viewport.1)))
}

/// Mouse events with the modifiers held.
struct Mouse<'a> {
    running: &'a Running,
    modifiers: i64,
}

impl Mouse<'_> {
    /// One `Input.dispatchMouseEvent`.
    async fn event(
        &self,
        kind: &str,
        x: i64,
        y: i64,
        button: Option<MouseButton>,
        click_count: i64,
    ) -> Result<(), CdpError> {
        let mut params = json!({ "type": kind, "x": x, "y": y, "modifiers": self.modifiers });
        if let Some(button) = button {
            params["button"] = Value::from(button.as_str());
            params["clickCount"] = Value::from(click_count);
            if kind == "mousePressed" {
                params["buttons"] = Value::from(button_bit(button));
            }
        }
        self.running
            .page_call("Input.dispatchMouseEvent", params)
            .await
            .map(drop)
    }

    /// A move with `button` held.
    async fn drag_to(&self, x: i64, y: i64, button: MouseButton) -> Result<(), CdpError> {
        let params = json!({
            "type": "mouseMoved", "x": x, "y": y, "modifiers": self.modifiers,
            "button": button.as_str(), "buttons": button_bit(button),
        });
        self.running
            .page_call("Input.dispatchMouseEvent", params)
            .await
            .map(drop)
    }
}

/// The `buttons` bit of a held button.
fn button_bit(button: MouseButton) -> i64 {
    match button {
        MouseButton::Left => 1,
        MouseButton::Right => 2,
        MouseButton::Middle => 4,
        MouseButton::Back => 8,
        MouseButton::Forward => 16,
    }
}

/// The modifier bits of held keys (names that are no modifier add none).
fn modifier_bits(keys: &[String]) -> i64 {
    keys.iter()
        .filter_map(|k| key(k).modifier)
        .fold(0, |bits, bit| bits | bit)
}

/// Presses `combo` (`a`, `Return`, `Ctrl+Shift+t`) with `hold_keys` held:
/// modifiers down, the key down and up, modifiers up.
async fn press(running: &Running, combo: &str, hold_keys: &[String]) -> Result<(), CdpError> {
    let parts: Vec<&str> = combo.split('+').collect();
    let (names, last) = match parts.split_last() {
        Some((last, names)) if !last.is_empty() && names.iter().all(|n| !n.is_empty()) => {
            (names.to_vec(), *last)
        }
        _ => (Vec::new(), combo),
    };
    let held: Vec<Key> = hold_keys
        .iter()
        .map(String::as_str)
        .chain(names)
        .map(key)
        .collect();
    let mut modifiers = 0;
    for modifier in &held {
        modifiers |= modifier.modifier.unwrap_or(0);
        send_key(running, "rawKeyDown", modifier, modifiers, None).await?;
    }
    let target = key(last);
    // Shortcuts type nothing; Shift types the upper case.
    let text = match &target.text {
        Some(_) if modifiers & (CTRL | ALT | META) != 0 => None,
        Some(text) if modifiers & SHIFT != 0 => Some(text.to_uppercase()),
        other => other.clone(),
    };
    let down = if text.is_some() {
        "keyDown"
    } else {
        "rawKeyDown"
    };
    send_key(running, down, &target, modifiers, text.as_deref()).await?;
    send_key(running, "keyUp", &target, modifiers, None).await?;
    for modifier in held.iter().rev() {
        modifiers &= !modifier.modifier.unwrap_or(0);
        send_key(running, "keyUp", modifier, modifiers, None).await?;
    }
    Ok(())
}

/// One `Input.dispatchKeyEvent`.
async fn send_key(
    running: &Running,
    kind: &str,
    key: &Key,
    modifiers: i64,
    text: Option<&str>,
) -> Result<(), CdpError> {
    let mut params = json!({
        "type": kind, "key": key.key, "code": key.code,
        "windowsVirtualKeyCode": key.code_number, "modifiers": modifiers,
    });
    if let Some(text) = text {
        params["text"] = Value::from(text);
        params["unmodifiedText"] = Value::from(text);
    }
    running
        .page_call("Input.dispatchKeyEvent", params)
        .await
        .map(drop)
}

/// A DOM key: `key`, `code`, Windows key code, the text it types and the
/// modifier bit it is.
#[derive(Debug, PartialEq, Eq)]
struct Key {
    key: String,
    code: String,
    code_number: i64,
    text: Option<String>,
    modifier: Option<i64>,
}

/// The DOM key of an xdotool key name (`Return`, `BackSpace`, `ctrl`, `a`);
/// an unknown name is sent as its own `key`.
fn key(name: &str) -> Key {
    let named = |key: &str, code: &str, number: i64, text: Option<&str>, modifier| Key {
        key: key.into(),
        code: code.into(),
        code_number: number,
        text: text.map(str::to_owned),
        modifier,
    };
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "return" | "enter" | "kp_enter" => named("Enter", "Enter", 13, Some("\r"), None),
        "tab" => named("Tab", "Tab", 9, None, None),
        "backspace" => named("Backspace", "Backspace", 8, None, None),
        "escape" | "esc" => named("Escape", "Escape", 27, None, None),
        "delete" => named("Delete", "Delete", 46, None, None),
        "insert" => named("Insert", "Insert", 45, None, None),
        "space" => named(" ", "Space", 32, Some(" "), None),
        "home" => named("Home", "Home", 36, None, None),
        "end" => named("End", "End", 35, None, None),
        "page_up" | "prior" | "pageup" => named("PageUp", "PageUp", 33, None, None),
        "page_down" | "next" | "pagedown" => named("PageDown", "PageDown", 34, None, None),
        "left" => named("ArrowLeft", "ArrowLeft", 37, None, None),
        "up" => named("ArrowUp", "ArrowUp", 38, None, None),
        "right" => named("ArrowRight", "ArrowRight", 39, None, None),
        "down" => named("ArrowDown", "ArrowDown", 40, None, None),
        "ctrl" | "control" | "control_l" | "control_r" => {
            named("Control", "ControlLeft", 17, None, Some(CTRL))
        }
        "shift" | "shift_l" | "shift_r" => named("Shift", "ShiftLeft", 16, None, Some(SHIFT)),
        "alt" | "alt_l" | "alt_r" => named("Alt", "AltLeft", 18, None, Some(ALT)),
        "super" | "super_l" | "super_r" | "meta" | "meta_l" | "meta_r" | "cmd" | "win" => {
            named("Meta", "MetaLeft", 91, None, Some(META))
        }
        _ => {
            if let Some(n) = lower
                .strip_prefix('f')
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| (1..=12).contains(n))
            {
                let f = format!("F{n}");
                return named(&f, &f, 111 + n, None, None);
            }
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => char_key(c),
                _ => named(name, "", 0, None, None),
            }
        }
    }
}

/// The key typing character `c`.
fn char_key(c: char) -> Key {
    let text = Some(c.to_string());
    let (code, number) = if c.is_ascii_alphabetic() {
        let upper = c.to_ascii_uppercase();
        (format!("Key{upper}"), i64::from(u32::from(upper)))
    } else if c.is_ascii_digit() {
        (format!("Digit{c}"), i64::from(u32::from(c)))
    } else {
        (String::new(), 0)
    };
    Key {
        key: c.to_string(),
        code,
        code_number: number,
        text,
        modifier: None,
    }
}

#[cfg(test)]
mod tests {
    use super::{clamp, key, modifier_bits, CTRL, SHIFT};

    #[test]
    fn xdotool_names_map_to_dom_keys() {
        assert_eq!(key("Return").key, "Enter");
        assert_eq!(key("Return").text.as_deref(), Some("\r"));
        assert_eq!(key("BackSpace").code_number, 8);
        assert_eq!(key("a").code, "KeyA");
        assert_eq!(key("7").code, "Digit7");
        assert_eq!(key("F5").code_number, 116);
        assert_eq!(key("XF86AudioMute").key, "XF86AudioMute");
        assert_eq!(
            modifier_bits(&["Ctrl".into(), "shift".into(), "x".into()]),
            CTRL | SHIFT
        );
    }

    #[test]
    fn points_stay_on_the_screen() {
        assert_eq!(clamp((800, 600), 5000, -3), (799, 0));
    }
}
