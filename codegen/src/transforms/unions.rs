//! Tagged unions made open: unknown tags are kept as raw JSON.

use crate::walk::*;
use crate::{OpenUnion, Report};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The property whose single-value enum tags every variant of a `oneOf` of
/// `$ref`s, with the tag values in variant order.
pub(crate) fn union_tag(
    schemas: &Map<String, Value>,
    one_of: &[Value],
) -> Option<(String, Vec<String>)> {
    let mut found: Option<(String, Vec<String>)> = None;
    let variants: Vec<&Value> = one_of
        .iter()
        .map(|v| ref_name(v).and_then(|n| schemas.get(n)))
        .collect::<Option<_>>()?;
    let first = variants.first()?.get("properties")?.as_object()?;
    for (prop, _) in first {
        let tags: Option<Vec<String>> = variants
            .iter()
            .map(|v| {
                let e = v.pointer(&format!("/properties/{prop}/enum"))?.as_array()?;
                let required = v["required"].as_array()?.iter().any(|r| r == prop);
                (e.len() == 1 && required).then(|| e[0].as_str().map(str::to_string))?
            })
            .collect();
        if let Some(tags) = tags {
            let unique: BTreeSet<&String> = tags.iter().collect();
            if unique.len() == tags.len() {
                found = Some((prop.clone(), tags));
                break;
            }
        }
    }
    found
}

/// Component `oneOf`s of `$ref`s whose variants are tagged by a single-value
/// enum property are renamed `<Name>Known`; `<Name>` becomes an open union.
pub fn open_unions(doc: &mut Value, report: &mut Report) {
    let schemas = schemas_mut(doc);
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(one_of) = schemas[&name].get("oneOf").and_then(Value::as_array) else {
            continue;
        };
        let Some((tag, tags)) = union_tag(schemas, one_of) else {
            continue;
        };
        let variants: Vec<String> = one_of
            .iter()
            .filter_map(ref_name)
            .map(str::to_string)
            .collect();
        let known = fresh_name(schemas, &format!("{name}Known"));
        let mut closed = schemas[&name].clone();
        // typify infers the tag from the variants; an OpenAPI discriminator
        // adds nothing it uses.
        closed
            .as_object_mut()
            .expect("schema")
            .remove("discriminator");
        schemas.insert(known.clone(), closed);
        let description = schemas[&name].get("description").cloned();
        let mut open = json!({ "type": "object", "x-kernel-open-union": known });
        if let Some(d) = description {
            open["description"] = d;
        }
        schemas.insert(name.clone(), open);
        report.open_unions.push(OpenUnion {
            name,
            known,
            tag,
            tags,
            variants,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::transforms::testing::*;
    use crate::*;

    #[test]
    fn tagged_union_becomes_open() {
        let (doc, report) = run(open_unions, union_doc());
        assert_eq!(
            report.open_unions,
            vec![OpenUnion {
                name: "Ev".into(),
                known: "EvKnown".into(),
                tag: "event".into(),
                tags: vec!["a".into(), "b".into()],
                variants: vec!["A".into(), "B".into()],
            }]
        );
        let s = &doc["components"]["schemas"];
        assert_eq!(s["Ev"]["x-kernel-open-union"], "EvKnown");
        assert!(s["EvKnown"]["oneOf"].is_array());
        assert!(s["EvKnown"].get("discriminator").is_none());
        // A union without a common tag is left alone.
        assert!(s["Loose"]["oneOf"].is_array());
    }
}
