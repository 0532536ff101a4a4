//! Loading: read a file and its imports, parse each, then resolve and check them together.

use std::path::{Path, PathBuf};

use crate::ast::{File, Item};
use crate::check::{self, Idl};
use crate::diag::{Diagnostic, Diagnostics, Pos, Sources, Stage};
use crate::parse::parse_file;

/// Loads `path` and every file it imports (transitively), then checks them. `shown`
/// is how `path` appears in messages (`idl/memory.idl`); imports are shown relative to it.
pub fn load(path: &Path, shown: &str) -> Result<Idl, Diagnostics> {
    let mut sources = Sources::default();
    let mut files: Vec<(PathBuf, File)> = Vec::new();
    let mut errors = Vec::new();
    // (path on disk, name shown, where it was imported from)
    let mut todo: Vec<(PathBuf, String, Option<Pos>)> = vec![(path.to_path_buf(), shown.to_string(), None)];
    while let Some((disk, name, from)) = todo.pop() {
        let canonical = disk.canonicalize().unwrap_or_else(|_| disk.clone());
        if files.iter().any(|(p, _)| *p == canonical) {
            continue;
        }
        let text = match std::fs::read_to_string(&disk) {
            Ok(text) => text,
            Err(e) => {
                let message = format!("cannot read IDL file {name}: {e}");
                errors.push(match from {
                    Some(pos) => sources.error(pos, message),
                    None => Diagnostic { file: name, line: 1, col: 1, message, source_line: String::new() },
                });
                continue;
            }
        };
        let index = sources.files.len();
        sources.files.push((name.clone(), text));
        match parse_file(index, &sources.files[index].1) {
            Ok(file) => {
                for item in &file.items {
                    if let Item::Import { path: import, pos } = item {
                        let dir = disk.parent().unwrap_or(Path::new("."));
                        let shown_dir = Path::new(&name).parent().unwrap_or(Path::new(""));
                        todo.push((dir.join(import), shown_dir.join(import).display().to_string(), Some(*pos)));
                    }
                }
                files.push((canonical, file));
            }
            Err((pos, message)) => {
                errors.push(sources.error(pos, message));
                files.push((canonical, File::default()));
            }
        }
    }
    if !errors.is_empty() {
        return Err(Diagnostics { stage: Stage::Parse, errors });
    }
    check::check(sources, files.into_iter().map(|(_, f)| f).collect())
}

/// Checks IDL text given directly (no imports allowed), shown as `name` in messages.
pub fn load_str(name: &str, text: &str) -> Result<Idl, Diagnostics> {
    let sources = Sources { files: vec![(name.to_string(), text.to_string())] };
    match parse_file(0, text) {
        Ok(file) => {
            if let Some(Item::Import { pos, .. }) = file.items.iter().find(|i| matches!(i, Item::Import { .. })) {
                let errors = vec![sources.error(*pos, "imports need a file on disk (use `load`)")];
                return Err(Diagnostics { stage: Stage::Parse, errors });
            }
            check::check(sources, vec![file])
        }
        Err((pos, message)) => Err(Diagnostics { stage: Stage::Parse, errors: vec![sources.error(pos, message)] }),
    }
}
