//! The staged checker fixtures: every `good/` file checks cleanly; every `bad-at-<stage>/`
//! file fails at that stage, with the message its first line expects, at the position of
//! the token right after its `/*@*/` marker.

use std::path::{Path, PathBuf};

use cellulos_codegen::{load, Stage};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idl"))
        .collect();
    files.sort();
    files
}

fn shown(path: &Path) -> String {
    format!(
        "fixtures/{}",
        path.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")).unwrap_or(path).display()
    )
}

/// The expected message prefix and `LINE:COL` of a bad fixture.
fn expectation(path: &Path) -> (String, usize, usize) {
    let text = std::fs::read_to_string(path).expect("fixture");
    let first = text.lines().next().unwrap_or_default();
    let message =
        first.strip_prefix("// expect: ").unwrap_or_else(|| panic!("{}: no `// expect:` line", path.display()));
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(n, l)| l.find("/*@*/").map(|c| (n + 1, l[..c].chars().count() + 1 + "/*@*/".len())))
        .unwrap_or_else(|| panic!("{}: no /*@*/ marker", path.display()));
    (message.to_string(), line, col)
}

fn check_bad(stage_dir: &str, stage: Stage) -> usize {
    let files = fixtures(stage_dir);
    for path in &files {
        let (message, line, col) = expectation(path);
        let name = shown(path);
        let err = match load(path, &name) {
            Ok(_) => panic!("{name}: accepted, expected `{message}`"),
            Err(e) => e,
        };
        assert_eq!(err.stage, stage, "{name}: failed at the wrong stage:\n{err}");
        let first = &err.errors[0];
        let want = format!("{name}:{line}:{col}: {message}");
        assert!(first.headline().starts_with(&want), "{name}:\n  want: {want}\n  got:  {}", first.headline());
        // The full report shows the offending line with a caret.
        let report = first.to_string();
        assert!(report.lines().count() == 3 && report.ends_with('^'), "{report}");
    }
    files.len()
}

#[test]
fn good_fixtures_check_cleanly() {
    let files = fixtures("good");
    assert!(files.len() >= 3);
    for path in files {
        if let Err(e) = load(&path, &shown(&path)) {
            panic!("{}", e);
        }
    }
}

#[test]
fn bad_at_parse() {
    assert!(check_bad("bad-at-parse", Stage::Parse) >= 10);
}

#[test]
fn bad_at_resolve() {
    assert!(check_bad("bad-at-resolve", Stage::Resolve) >= 15);
}

#[test]
fn bad_at_model() {
    assert!(check_bad("bad-at-model", Stage::Model) >= 15);
}

#[test]
fn a_stage_reports_every_error_not_only_the_first() {
    let text = "space ADS;\nresource VMR in AD;\nstruct S { a: Foo, b: Bar }\n";
    let err = cellulos_codegen::load_str("many.idl", text).expect_err("three unknown names");
    let headlines: Vec<String> = err.errors.iter().map(|d| d.headline()).collect();
    assert_eq!(
        headlines,
        [
            "many.idl:2:17: unknown space type `AD`",
            "many.idl:3:15: unknown type `Foo`",
            "many.idl:3:23: unknown type `Bar`",
        ]
    );
}
