//! The import graph of each crate's top-level modules: module `a` imports
//! `b` when code in `a` names `crate::b` (or, one level down, `super::b`).
//! The modules of a crate should form layers, so `check` fails on a cycle.
//!
//! Code under `#[cfg(test)]` is left out: a test may reach across layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A crate's top-level modules and which of them each one imports.
#[derive(Debug, Default)]
pub struct Graph {
    /// `a → {b, …}`, with one file that makes each edge.
    pub edges: BTreeMap<String, BTreeMap<String, PathBuf>>,
}

/// Reads the graph of the crate whose sources are in `src`.
/// Fails, saying why, on a file it cannot read or parse.
pub fn graph(src: &Path) -> Result<Graph, String> {
    let mut files = Vec::new();
    collect(src, &mut files)?;
    let tops: BTreeSet<String> = files
        .iter()
        .filter_map(|f| module_path(src, f).first().cloned())
        .collect();
    let mut graph = Graph::default();
    for file in &files {
        let module = module_path(src, file);
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let ast =
            syn::parse_file(&text).map_err(|e| format!("{}: not Rust: {e}", file.display()))?;
        let mut names = Names {
            module: &module,
            found: BTreeSet::new(),
        };
        names.visit_file(&ast);
        let from = module.first().cloned().unwrap_or_default();
        for to in names.found {
            if to != from && tops.contains(&to) {
                graph
                    .edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| file.clone());
            }
        }
    }
    Ok(graph)
}

impl Graph {
    /// Every cycle, each as the modules on it in order, starting and ending
    /// with the same one. A graph without cycles gives none.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let mut cycles = Vec::new();
        for component in self.components() {
            if component.len() > 1 {
                cycles.push(self.cycle_through(&component));
            }
        }
        cycles
    }

    fn next(&self, node: &str) -> impl Iterator<Item = &String> {
        self.edges.get(node).into_iter().flat_map(|e| e.keys())
    }

    /// Strongly connected components (Tarjan).
    fn components(&self) -> Vec<Vec<String>> {
        struct State<'g> {
            graph: &'g Graph,
            index: BTreeMap<&'g str, usize>,
            low: BTreeMap<&'g str, usize>,
            stack: Vec<&'g str>,
            out: Vec<Vec<String>>,
        }
        fn visit<'g>(s: &mut State<'g>, node: &'g str) {
            let i = s.index.len();
            s.index.insert(node, i);
            s.low.insert(node, i);
            s.stack.push(node);
            for next in s.graph.next(node) {
                if !s.index.contains_key(next.as_str()) {
                    visit(s, next);
                    let low = s.low[next.as_str()].min(s.low[node]);
                    s.low.insert(node, low);
                } else if s.stack.contains(&next.as_str()) {
                    let low = s.index[next.as_str()].min(s.low[node]);
                    s.low.insert(node, low);
                }
            }
            if s.low[node] == s.index[node] {
                let mut component = Vec::new();
                while let Some(top) = s.stack.pop() {
                    component.push(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                component.sort();
                s.out.push(component);
            }
        }
        let mut state = State {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            out: Vec::new(),
        };
        for node in self.edges.keys() {
            if !state.index.contains_key(node.as_str()) {
                visit(&mut state, node);
            }
        }
        state.out
    }

    /// One cycle inside `component`, from its first module back to it
    /// (breadth first, so the shortest).
    fn cycle_through(&self, component: &[String]) -> Vec<String> {
        let start = &component[0];
        let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            for next in self.next(node).filter(|n| component.contains(n)) {
                if next == start {
                    let mut back = vec![node.clone()];
                    let mut at = node;
                    while let Some(parent) = came_from.get(at) {
                        back.push((*parent).clone());
                        at = parent;
                    }
                    // `back` ends at `start`: reversed, it runs from it.
                    back.reverse();
                    back.push(start.clone());
                    return back;
                }
                if !came_from.contains_key(next) && next != start {
                    came_from.insert(next, node);
                    queue.push_back(next);
                }
            }
        }
        component.to_vec()
    }

    /// The file that makes `from` import `to`.
    pub fn witness(&self, from: &str, to: &str) -> Option<&Path> {
        self.edges.get(from)?.get(to).map(PathBuf::as_path)
    }
}

/// The `.rs` files under `dir`, sorted.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The module a file holds: `src/a/b.rs` and `src/a/b/mod.rs` are `[a, b]`;
/// `lib.rs`, `main.rs` and `build.rs`-like roots are the crate root `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts
}

/// The top-level modules a file names.
struct Names<'m> {
    module: &'m [String],
    found: BTreeSet<String>,
}

impl Names<'_> {
    fn segments(&mut self, segments: &[String]) {
        match segments {
            [first, second, ..] if first == "crate" => {
                self.found.insert(second.clone());
            }
            // `super::x` from a top-level module's own file is the root's `x`.
            [first, second, ..] if first == "super" && self.module.len() == 1 => {
                self.found.insert(second.clone());
            }
            _ => {}
        }
    }

    fn tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.segments(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.segments(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => {
                prefix.push("*".into());
                self.segments(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.tree(prefix, item);
                }
            }
        }
    }
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.segments(&segments);
        syn::visit::visit_path(self, path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `files` (path, text) under a fresh `src/` and reads its graph.
    fn graph_of(files: &[(&str, &str)]) -> Graph {
        let dir = std::env::temp_dir().join(format!(
            "xtask-imports-{}-{}",
            std::process::id(),
            files.len() * 31 + files.iter().map(|f| f.1.len()).sum::<usize>()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let graph = graph(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        graph
    }

    #[test]
    fn layers_have_no_cycle() {
        let graph = graph_of(&[
            ("lib.rs", "mod a; mod b; mod c;"),
            ("a.rs", "use crate::b::B; fn f() -> crate::c::C { todo() }"),
            ("b/mod.rs", "use crate::c::C; pub struct B;"),
            ("b/inner.rs", "use super::B;"),
            ("c.rs", "pub struct C;"),
        ]);
        assert_eq!(graph.cycles(), Vec::<Vec<String>>::new());
        let a: Vec<&String> = graph.next("a").collect();
        assert_eq!(a, ["b", "c"]);
    }

    #[test]
    fn a_cycle_through_use_groups_paths_and_super_is_found() {
        let graph = graph_of(&[
            ("lib.rs", "mod a; mod b; mod c; mod d;"),
            ("a.rs", "use crate::{b::B, d};"),
            ("d.rs", "pub struct D;"),
            ("b.rs", "pub struct B; fn f() { super::c::g() }"),
            ("c/mod.rs", "pub fn g() { let _ = crate::a::A; }"),
        ]);
        assert_eq!(graph.cycles(), [["a", "b", "c", "a"]]);
        assert!(graph.witness("c", "a").unwrap().ends_with("c/mod.rs"));
    }

    #[test]
    fn test_only_code_and_comments_make_no_edge() {
        let graph = graph_of(&[
            ("lib.rs", "mod a; mod b;"),
            ("a.rs", "use crate::b::B;"),
            (
                "b.rs",
                "/// See [`crate::a`].\npub struct B;\n#[cfg(test)]\nmod tests { use crate::a; }",
            ),
        ]);
        assert_eq!(graph.cycles(), Vec::<Vec<String>>::new());
    }
}
