//! The module graph of a crate's sources, read from the text: which of its modules each one
//! names (`crate::NAME`, or an item the crate root re-exports from NAME), so a test can find
//! an import circle. Comments and unit tests are left out: a doc link up the graph is how a
//! module points at its users, and a module's tests may build on anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name to the crate's modules it names. `src/NAME.rs` and the files under
/// `src/NAME/` are module NAME; so is a file the root includes as `#[path = "FILE"] mod
/// NAME;`. The root (`lib.rs`, `main.rs`) is left out, but what it re-exports
/// (`pub use NAME::{A, B}`) counts as NAME.
pub fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let root = ["lib.rs", "main.rs"].iter().map(|f| src.join(f)).find(|p| p.exists()).unwrap();
    let root_text = std::fs::read_to_string(&root).unwrap();
    let mut files: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else { continue };
        if path == root {
            continue;
        }
        if path.is_dir() {
            files.entry(name).or_default().extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.entry(name).or_default().push(path);
        }
    }
    // `#[path = "../transports/ureq.rs"]` ... `mod ureq;`
    let mut lines = root_text.lines();
    while let Some(line) = lines.next() {
        let Some(file) = line.trim().strip_prefix("#[path = \"").and_then(|l| l.strip_suffix("\"]")) else { continue };
        let module = lines.find_map(|l| l.trim().trim_start_matches("pub ").strip_prefix("mod ")).unwrap();
        files.entry(module.trim_end_matches(';').to_owned()).or_default().push(src.join(file));
    }
    // `pub use NAME::{A, B};` and `pub use NAME::A;` at the root: `crate::A` is NAME.
    let mut items: BTreeMap<String, String> = BTreeMap::new();
    for statement in code(&root_text).split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else { continue };
        let Some((module, names)) = rest.split_once("::") else { continue };
        for name in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            let name = name.split("::").last().unwrap().trim();
            if !name.is_empty() && files.contains_key(module) {
                items.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    let mut graph = BTreeMap::new();
    for (module, paths) in &files {
        let mut named = BTreeSet::new();
        for path in paths {
            let text = code(&std::fs::read_to_string(path).unwrap());
            for (at, _) in text.match_indices("crate::") {
                for name in names(&text[at + "crate::".len()..]) {
                    let target = if files.contains_key(&name) { Some(name) } else { items.get(&name).cloned() };
                    if let Some(target) = target.filter(|t| t != module) {
                        named.insert(target);
                    }
                }
            }
        }
        graph.insert(module.clone(), named);
    }
    graph
}

/// A circle in `graph` (`a -> b -> a`), if there is one.
pub fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    for start in graph.keys() {
        // Every path from `start`, depth first; a path back to `start` is a circle.
        let mut stack = vec![vec![start.clone()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            for next in graph.get(path.last().unwrap()).into_iter().flatten() {
                let mut longer = path.clone();
                longer.push(next.clone());
                if next == start {
                    return Some(longer);
                }
                if seen.insert(next.clone()) {
                    stack.push(longer);
                }
            }
        }
    }
    None
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The text without its comment lines, up to its unit tests (`#[cfg(test)]`, at the end).
fn code(text: &str) -> String {
    let lines = text.lines().take_while(|l| l.trim() != "#[cfg(test)]");
    lines.filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The first names after `crate::`: one (`error::X`), or each of a group (`{error::X, id::Y}`).
fn names(rest: &str) -> Vec<String> {
    let first = |s: &str| s.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let Some(group) = rest.strip_prefix('{') else { return vec![first(rest)] };
    let (mut depth, mut out, mut start) = (0, Vec::new(), 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                out.push(first(&group[start..i]));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(first(&group[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.retain(|n| !n.is_empty());
    out
}
