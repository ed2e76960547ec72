//! Every URL the spec shows carrying a `jwt=` token decodes into a type whose `Debug` hides the token.
//!
//! The properties are found by walking the raw spec: every schema property
//! whose `example`, `examples` or `description` shows a `jwt=` parameter,
//! found here independently of the codegen transform that retypes them. Each
//! is checked through the generated type of its component, decoded from that
//! component's synthesized example (which uses the spec's own example URL):
//! `{:?}` of the whole struct must show the URL with the token redacted, and
//! the value must serialize back to the full URL.

use crate::components::{COMPONENTS, DEBUGGED};
use kernel_sys::secret::JwtUrl;
use kernel_testkit::examples::example_of;
use kernel_testkit::spec::spec;
use serde_json::Value;

/// A schema property that shows a `jwt=` parameter.
#[derive(Debug)]
struct JwtProperty {
    /// JSON pointer of the property schema in the raw spec.
    pointer: String,
    /// The component schema it is declared in, if any.
    component: Option<String>,
    /// Where its value sits in an instance of the component, e.g.
    /// `["cdp_ws_url"]`; `None` when the pointer cannot be followed there.
    path: Option<Vec<PathStep>>,
    /// The spec's example, when it is a string.
    example: Option<String>,
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn shows_jwt(v: &Value) -> bool {
    match v {
        Value::String(s) => s.to_ascii_lowercase().contains("jwt="),
        Value::Array(items) => items.iter().any(shows_jwt),
        Value::Object(map) => map.values().any(shows_jwt),
        _ => false,
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Every schema property of the raw spec that shows `jwt=`, in spec order.
fn jwt_properties() -> Vec<JwtProperty> {
    fn walk(v: &Value, pointer: &str, out: &mut Vec<JwtProperty>) {
        let Value::Object(map) = v else {
            if let Value::Array(items) = v {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{pointer}/{i}"), out);
                }
            }
            return;
        };
        for (key, child) in map {
            let here = format!("{pointer}/{}", escape(key));
            match (key.as_str(), child) {
                ("properties", Value::Object(props)) => {
                    for (name, prop) in props {
                        let at = format!("{here}/{}", escape(name));
                        let shown = ["example", "examples", "description"]
                            .iter()
                            .filter_map(|k| prop.get(*k))
                            .any(shows_jwt);
                        if shown {
                            out.push(located(&at, prop));
                        }
                        walk(prop, &at, out);
                    }
                }
                // Example values are data, not schemas.
                ("example" | "examples", _) => {}
                _ => walk(child, &here, out),
            }
        }
    }
    let mut out = Vec::new();
    walk(spec(), "", &mut out);
    out
}

fn located(pointer: &str, prop: &Value) -> JwtProperty {
    let example = prop
        .get("example")
        .or_else(|| prop.get("examples").and_then(|e| e.get(0)))
        .and_then(Value::as_str)
        .map(str::to_string);
    let rest = pointer.strip_prefix("/components/schemas/");
    let mut segments = rest.into_iter().flat_map(|r| r.split('/'));
    let component = segments
        .next()
        .map(|c| c.replace("~1", "/").replace("~0", "~"));
    // Schema keywords down to the property, as steps into an instance.
    let mut path = Some(Vec::new());
    let segments: Vec<String> = segments
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut i = 0;
    while i < segments.len() {
        match (segments[i].as_str(), segments.get(i + 1)) {
            ("properties", Some(name)) => {
                if let Some(p) = &mut path {
                    p.push(PathStep::Key(name.clone()));
                }
                i += 2;
            }
            ("allOf" | "oneOf" | "anyOf", Some(_)) => i += 2,
            ("items", _) => {
                if let Some(p) = &mut path {
                    p.push(PathStep::Index(0));
                }
                i += 1;
            }
            _ => {
                path = None;
                break;
            }
        }
    }
    JwtProperty {
        pointer: pointer.to_string(),
        component,
        path,
        example,
    }
}

fn value_at<'a>(mut v: &'a Value, path: &[PathStep]) -> Option<&'a Value> {
    for step in path {
        v = match step {
            PathStep::Key(k) => v.get(k)?,
            PathStep::Index(i) => v.get(*i)?,
        };
    }
    Some(v)
}

fn value_at_mut<'a>(mut v: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    for step in path {
        v = match step {
            PathStep::Key(k) => v.get_mut(k)?,
            PathStep::Index(i) => v.get_mut(*i)?,
        };
    }
    Some(v)
}

/// The `jwt=` value of `url`, as [`JwtUrl`] delimits it.
fn token_of(url: &str) -> &str {
    let at = url
        .to_ascii_lowercase()
        .find("jwt=")
        .expect("a jwt= parameter")
        + 4;
    let rest = &url[at..];
    &rest[..rest.find(['&', '#']).unwrap_or(rest.len())]
}

#[test]
fn the_spec_shows_jwt_urls_on_the_browser_and_the_replay() {
    let found: Vec<String> = jwt_properties().into_iter().map(|p| p.pointer).collect();
    eprintln!("properties showing jwt=: {found:#?}");
    // A floor, so a scan that finds nothing cannot pass the test below.
    for known in [
        "/components/schemas/Browser/properties/cdp_ws_url",
        "/components/schemas/Browser/properties/webdriver_ws_url",
    ] {
        assert!(
            found.iter().any(|p| p == known),
            "{known} not found in {found:#?}"
        );
    }
}

#[test]
fn every_jwt_url_of_the_spec_is_redacted_in_debug_and_kept_in_full() {
    let properties = jwt_properties();
    assert!(!properties.is_empty(), "the spec scan found nothing");
    let mut failures = Vec::new();
    for prop in &properties {
        let at = &prop.pointer;
        let (Some(component), Some(path)) = (&prop.component, &prop.path) else {
            failures.push(format!(
                "{at}: not a property of a component schema this test can follow; \
                 extend it to reach the generated type"
            ));
            continue;
        };
        let Some((_, debugged)) = DEBUGGED.iter().find(|(n, _)| n == component) else {
            failures.push(format!("{at}: {component} is not in the components table"));
            continue;
        };
        let (_, round_trip) = COMPONENTS
            .iter()
            .find(|(n, _)| n == component)
            .expect("both tables list the same components");
        // The spec's example where it has one (it carries the token);
        // otherwise a URL shaped like it.
        let url = prop
            .example
            .clone()
            .filter(|e| e.to_ascii_lowercase().contains("jwt="))
            .unwrap_or_else(|| "wss://proxy.example.invalid/browser/cdp?jwt=SPECJWT".into());
        let token = token_of(&url);
        let mut input = example_of(component);
        match value_at_mut(&mut input, path) {
            Some(slot) => *slot = Value::String(url.clone()),
            None => {
                failures.push(format!(
                    "{at}: the synthesized {component} has no value there"
                ));
                continue;
            }
        }

        let shown = match debugged(input.clone()) {
            Ok(shown) => shown,
            Err(e) => {
                failures.push(format!("{at}: {component} does not decode: {e}"));
                continue;
            }
        };
        if shown.contains(token) {
            failures.push(format!(
                "{at}: {{:?}} of {component} shows the token {token:?}"
            ));
        }
        // The rest of the URL stays visible, in the form the type shows.
        let redacted = format!("{:?}", JwtUrl::from(url.as_str()));
        if !shown.contains(&redacted) {
            failures.push(format!(
                "{at}: {{:?}} of {component} lacks {redacted}:\n  {shown}"
            ));
        }

        // Nothing is lost: the full URL goes back out, and `expose` gives it.
        let output = round_trip(input).expect("decoded above");
        if value_at(&output, path).and_then(Value::as_str) != Some(url.as_str()) {
            failures.push(format!(
                "{at}: {component} does not serialize the full URL back"
            ));
        }
        let decoded: JwtUrl = serde_json::from_value(Value::String(url.clone())).unwrap();
        assert_eq!(decoded.expose(), url);
    }
    assert!(
        failures.is_empty(),
        "{} of {} jwt URLs leak or lose data:\n{}",
        failures.len(),
        properties.len(),
        failures.join("\n")
    );
}
