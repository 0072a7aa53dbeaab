//! The tool's modules import one way: no module reaches, directly or through others, back to
//! itself. A circle (`commands` → `apply` → `commands`) means a concept lives in the wrong file.
//! The library's own modules are checked the same way (`tests/modules.rs`).

#[path = "../../tests/support/modules.rs"]
mod modules;

#[test]
fn no_module_imports_itself_through_others() {
    let graph = modules::imports(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.get("commands").is_some_and(|named| named.contains("apply")), "{graph:?}");
    if let Some(circle) = modules::circle(&graph) {
        panic!("an import circle: {}", circle.join(" -> "));
    }
}
