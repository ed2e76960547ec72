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
use super::keys::{modifier_bits, press};
use super::Running;
use crate::media::computer::{Action, ClickType, MouseButton};

/// Pixels scrolled per wheel unit of `delta_x` / `delta_y`.
const SCROLL_UNIT: i64 = 100;

/// Most clicks of one `click_mouse` sent to Chromium.
const MAX_CLICKS: i64 = 20;

/// Most intermediate moves per drag segment sent to Chromium.
const MAX_STEPS: i64 = 50;

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
    /// The browser.
    running: &'a Running,
    /// The modifier bits held.
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
#[cfg(test)]
mod tests {
    use super::clamp;

    #[test]
    fn points_stay_on_the_screen() {
        assert_eq!(clamp((800, 600), 5000, -3), (799, 0));
    }
}
