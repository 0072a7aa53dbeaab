//! The library's modules import one way: no module reaches, directly or through others, back
//! to itself, so the graph reads top-down (`error` and `wait` below `pacing`, `budget` and
//! `duration` below them). A circle means a concept lives in the wrong file. It reads the
//! source from disk, so it runs on the host only (a WASM test binary has no file system).
#![cfg(not(target_family = "wasm"))]

#[path = "support/modules.rs"]
mod modules;

#[test]
fn no_library_module_imports_itself_through_others() {
    let graph = modules::imports(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    // The reader sees what it should: a module in a folder, one from `transports/`, and one
    // named through a re-export at the root (`crate::Pacing`).
    for (from, to) in [("fake", "model"), ("ureq", "transport_common"), ("fetch", "pacing")] {
        assert!(graph.get(from).is_some_and(|named| named.contains(to)), "{from} -> {to} not seen: {graph:?}");
    }
    if let Some(circle) = modules::circle(&graph) {
        panic!("an import circle: {}", circle.join(" -> "));
    }
}
