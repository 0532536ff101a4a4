//! Diagnostics: `idl/x.idl:LINE:COL: message`, the offending line, and a caret.

use std::fmt;

/// Where something is in an IDL source: file index (into the loaded files), 1-based line
/// and column (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Index of the file in the load's file list.
    pub file: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// One error in an IDL file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it (`idl/memory.idl`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// The source line, for context (empty when unknown).
    pub source_line: String,
}

impl Diagnostic {
    /// `file:LINE:COL: message`, the first line of the full report.
    pub fn headline(&self) -> String {
        format!("{}:{}:{}: {}", self.file, self.line, self.col, self.message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.headline())?;
        if !self.source_line.is_empty() {
            let caret: String = self
                .source_line
                .chars()
                .take(self.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n    {}\n    {caret}^", self.source_line)?;
        }
        Ok(())
    }
}

/// The checker stage that found an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading files and syntax.
    Parse,
    /// Names: declared, unique, of the right kind.
    Resolve,
    /// Types, model rules and seL4 limits.
    Model,
}

/// Every error of a failed stage, in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics {
    /// The stage that failed.
    pub stage: Stage,
    /// Its errors.
    pub errors: Vec<Diagnostic>,
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The files of one load, to turn positions into diagnostics.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// (name as shown, text) per file index.
    pub files: Vec<(String, String)>,
}

impl Sources {
    /// A diagnostic at `pos`.
    pub fn error(&self, pos: Pos, message: impl Into<String>) -> Diagnostic {
        let (file, text) = self.files.get(pos.file).cloned().unwrap_or_default();
        let source_line = text.lines().nth(pos.line.saturating_sub(1)).unwrap_or("").to_string();
        Diagnostic { file, line: pos.line, col: pos.col, message: message.into(), source_line }
    }
}
