//! Keys for `Input.dispatchKeyEvent`: xdotool key names (`Return`,
//! `BackSpace`, `ctrl`, `a`) and combinations (`Ctrl+Shift+t`) as DOM keys,
//! pressed with modifiers held.

use serde_json::{json, Value};

use super::cdp::CdpError;
use super::Running;

/// The `Input.dispatch*Event` modifier bit of Alt.
const ALT: i64 = 1;
/// The modifier bit of Control.
const CTRL: i64 = 2;
/// The modifier bit of Meta (Super, Command).
const META: i64 = 4;
/// The modifier bit of Shift.
const SHIFT: i64 = 8;

/// The modifier bits of held keys (names that are no modifier add none).
pub(super) fn modifier_bits(keys: &[String]) -> i64 {
    keys.iter()
        .filter_map(|k| key(k).modifier)
        .fold(0, |bits, bit| bits | bit)
}

/// Presses `combo` (`a`, `Return`, `Ctrl+Shift+t`) with `hold_keys` held:
/// modifiers down, the key down and up, modifiers up.
pub(super) async fn press(
    running: &Running,
    combo: &str,
    hold_keys: &[String],
) -> Result<(), CdpError> {
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
    /// The DOM `key`.
    key: String,
    /// The DOM `code` (empty when unknown).
    code: String,
    /// The Windows virtual key code (0 when unknown).
    code_number: i64,
    /// The text it types, if any.
    text: Option<String>,
    /// The modifier bit it is, if a modifier.
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
    use super::{key, modifier_bits, CTRL, SHIFT};

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
}
