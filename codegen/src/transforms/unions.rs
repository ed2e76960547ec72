//! Tagged unions made open: unknown tags are kept as raw JSON.

use crate::walk::*;
use crate::{OpenUnion, Report};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The property whose single-value enum tags every variant of a `oneOf` of
/// `$ref`s, with the tag values in variant order ([`union_tag_by`] reading
/// each component's own `properties` and `required`).
pub(crate) fn union_tag(
    schemas: &Map<String, Value>,
    one_of: &[Value],
) -> Option<(String, Vec<String>)> {
    let variants: Vec<&Value> = one_of
        .iter()
        .map(|v| ref_name(v).and_then(|n| schemas.get(n)))
        .collect::<Option<_>>()?;
    let first = variants.first()?.get("properties")?.as_object()?;
    union_tag_by(&variants, first.keys().map(String::as_str), |v, prop| {
        let e = v.pointer(&format!("/properties/{prop}/enum"))?.as_array()?;
        let required = v["required"].as_array()?.iter().any(|r| r == prop);
        (e.len() == 1 && required).then(|| e[0].as_str().map(str::to_string))?
    })
}

/// The rule that decides a union's tag, for any reading of its variants:
/// the first of `candidates` (the first variant's property names, in order)
/// for which every variant has a tag value, the values all distinct.
/// Returns that property and the values in variant order.
///
/// `tag_value(variant, property)` is the one value the variant allows in
/// `property` when it requires it (a one-value enum), else `None`. Codegen
/// reads normalized components ([`open_unions`]); `xtask` reads raw and
/// partly transformed documents (`const`, `allOf` variants, inline
/// variants) with the same rule.
pub fn union_tag_by<'p, V>(
    variants: &[V],
    candidates: impl IntoIterator<Item = &'p str>,
    tag_value: impl Fn(&V, &str) -> Option<String>,
) -> Option<(String, Vec<String>)> {
    candidates.into_iter().find_map(|prop| {
        let tags: Vec<String> = variants
            .iter()
            .map(|v| tag_value(v, prop))
            .collect::<Option<_>>()?;
        let unique: BTreeSet<&String> = tags.iter().collect();
        (unique.len() == tags.len()).then(|| (prop.to_string(), tags))
    })
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
