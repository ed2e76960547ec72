//! Parsing of the request bodies into [`Action`]s: the spec's shapes,
//! required fields, types, enum values and `additionalProperties: false`.

use serde_json::{Map, Value};

use super::action::{Action, ClickType, MouseButton, Region, BATCH_TYPES, MAX_BATCH};
use super::{err, ActionError, Result};

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
