//! Tests of parsing and applying actions.

use std::fmt;

use serde_json::{json, Value};

use super::{Action, ActionOutput, ComputerState, Result};
use crate::media::png::tests::decode;

/// Parses and applies one operation body.
fn op(state: &mut ComputerState, id: &str, body: Value) -> Result<ActionOutput> {
    state.apply(Action::from_operation(id, &body)?)
}

/// Takes a screenshot with `body` and encodes it.
fn screenshot(state: &mut ComputerState, body: Value) -> Vec<u8> {
    match op(state, "takeScreenshot", body) {
        Ok(ActionOutput::Screenshot(capture)) => capture.png(),
        other => panic!("expected a screenshot, got {other:?}"),
    }
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
    op(
        &mut s,
        "pressKey",
        json!({"keys": ["Ctrl+t", "Return"], "hold_keys": ["Shift"]}),
    )
    .unwrap();
    assert_eq!(s.actions[3].summary, "type 2 chars");
    assert_eq!(s.actions[4].summary, "press Ctrl+t, Return holding Shift");
    op(&mut s, "setCursor", json!({"hidden": true})).unwrap();
    assert!(s.cursor_hidden);
    op(
        &mut s,
        "moveMouse",
        json!({"x": 7, "y": 8, "smooth": false, "hold_keys": ["Ctrl", "Alt"]}),
    )
    .unwrap();
    assert_eq!(
        s.actions[6].summary,
        "move to (7, 8) instantly holding Ctrl+Alt"
    );
}

#[test]
fn positions_are_clamped_to_the_viewport() {
    let mut s = ComputerState::new((800, 600), 0);
    op(&mut s, "moveMouse", json!({"x": 5000, "y": 599})).unwrap();
    assert_eq!(s.mouse, (799, 599));
    op(&mut s, "dragMouse", json!({"path": [[0, 0], [900, 900]]})).unwrap();
    assert_eq!(s.mouse, (799, 599));
    op(&mut s, "clickMouse", json!({"x": 0, "y": 600})).unwrap();
    assert_eq!(s.mouse, (0, 599));
    assert_eq!(s.actions[0].summary, "move to (799, 599)");
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
    let summaries: Vec<_> = s.actions.iter().map(|a| a.summary.as_str()).collect();
    assert_eq!(summaries, ["move to (5, 5)", "type 1 chars"]);

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
}

#[test]
fn screenshot_has_viewport_size_and_honours_region() {
    let mut s = ComputerState::new((800, 600), 9);
    op(&mut s, "moveMouse", json!({"x": 100, "y": 100})).unwrap();
    let full = decode(&screenshot(&mut s, Value::Null));
    assert_eq!((full.width, full.height), (800, 600));
    assert_eq!(full.rgb(101, 101), [0x18, 0x18, 0x18]);

    let body = json!({"region": {"x": 790, "y": 10, "width": 20, "height": 30}});
    let part = decode(&screenshot(&mut s, body));
    assert_eq!((part.width, part.height), (10, 30));
    assert_eq!(s.actions[2].summary, "screenshot 20x30 at (790, 10)");

    let body = json!({"region": {"x": 900, "y": 0, "width": 5, "height": 5}});
    assert!(message(op(&mut s, "takeScreenshot", body)).contains("outside"));
    let body = json!({"region": {"x": 0, "y": 0, "width": 0, "height": 5}});
    assert!(message(op(&mut s, "takeScreenshot", body)).contains("positive"));

    op(&mut s, "setCursor", json!({"hidden": true})).unwrap();
    let hidden = decode(&screenshot(&mut s, json!({})));
    assert_ne!(hidden.rgb(101, 101), [0x18, 0x18, 0x18]);
}
