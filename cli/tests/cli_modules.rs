//! The tool's modules import one way: no module reaches, directly or through others, back to
//! itself. A circle (`commands` → `apply` → `commands`) means a concept lives in the wrong file.

use std::collections::{BTreeMap, BTreeSet};

/// Each module of `cli/src` and the modules of the crate it names (`crate::NAME`).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let Some(module) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else { continue };
        if module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut named = BTreeSet::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            // `crate::{a, b}` names several.
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group.split('}').next().unwrap().split(',').collect(),
                None => vec![rest],
            };
            for name in names {
                let name: String = name.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if src.join(format!("{name}.rs")).exists() && name != module {
                    named.insert(name);
                }
            }
        }
        graph.insert(module, named);
    }
    graph
}

#[test]
fn no_module_imports_itself_through_others() {
    let graph = imports();
    assert!(graph.contains_key("commands") && graph.contains_key("apply"), "{graph:?}");
    for start in graph.keys() {
        // Every path from `start`, depth first; a path back to `start` is a circle.
        let mut stack = vec![vec![start.clone()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let last = path.last().unwrap();
            for next in &graph[last] {
                let mut longer = path.clone();
                longer.push(next.clone());
                assert!(next != start, "an import circle: {}", longer.join(" -> "));
                if seen.insert(next.clone()) {
                    stack.push(longer);
                }
            }
        }
    }
}
