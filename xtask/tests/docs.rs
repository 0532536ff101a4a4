//! The documentation says what the tree has: the in-system test catalogue lists the root's
//! registry, in its order; the README stays a first screen; code cites `docs/`, not a file
//! outside the repository.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The ids of the root's `TESTS` registry, in order: its `("ID", function)` entries.
fn registry() -> Vec<String> {
    let text = read("components/root/src/tests/mod.rs");
    let start = text.find("const TESTS").expect("the TESTS registry");
    let end = start + text[start..].find("];").expect("its end");
    text[start..end].lines().filter_map(|l| l.trim().strip_prefix("(\"")?.split('"').next().map(String::from)).collect()
}

/// The ids of the catalogue's table rows (`| ID | ... |`), in order.
fn catalogue() -> Vec<String> {
    read("docs/tests.md")
        .lines()
        .filter_map(|l| {
            let id = l.strip_prefix("| ")?.split(" |").next()?;
            let digits = id.len() >= 4 && id[id.len() - 4..].bytes().all(|b| b.is_ascii_digit());
            (digits && id[..id.len() - 4].bytes().all(|b| b.is_ascii_uppercase())).then(|| id.to_string())
        })
        .collect()
}

#[test]
fn the_test_catalogue_lists_the_registry_in_order() {
    let (registry, catalogue) = (registry(), catalogue());
    assert!(registry.len() >= 29, "registry: {registry:?}");
    let missing: Vec<&String> = registry.iter().filter(|id| !catalogue.contains(id)).collect();
    let extra: Vec<&String> = catalogue.iter().filter(|id| !registry.contains(id)).collect();
    assert!(missing.is_empty(), "docs/tests.md lacks {missing:?}");
    assert!(extra.is_empty(), "docs/tests.md lists tests the registry has not: {extra:?}");
    assert_eq!(registry, catalogue, "docs/tests.md is not in the registry's order");
}

#[test]
fn the_readme_is_a_first_screen() {
    let lines = read("README.md").lines().count();
    assert!(lines <= 150, "README.md has {lines} lines: the rest belongs in docs/");
}

/// Every text file under `dir` (no build output), by path from the root.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| ["rs", "toml", "md", "idl"].iter().any(|x| e == *x)) {
            out.push(path);
        }
    }
}

#[test]
fn nothing_cites_a_design_brief_outside_the_repository() {
    let mut all = Vec::new();
    files(&root(), &mut all);
    assert!(all.len() > 100, "{} files", all.len());
    let needle = ["DESIGN", ".md"].concat();
    let citing: Vec<String> = all
        .iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(&needle)))
        .map(|p| p.strip_prefix(root()).unwrap_or(p).display().to_string())
        .collect();
    assert!(citing.is_empty(), "cite docs/ instead: {citing:?}");
}
