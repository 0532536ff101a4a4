//! Reading and writing models: our JSON, the CellulOS CSV, Neo4j import files, a Cypher
//! script, Graphviz DOT and an SVG picture. Every writer works from the one in-memory
//! [`Model`]; the two readable formats (JSON and CSV) round-trip it exactly, attributes
//! included (see [`extra`] for how the CSV's EXTRA column carries them).

pub mod cellulos_csv;
pub mod cypher;
pub mod dot;
mod error;
pub mod extra;
pub mod json;
mod json_pos;
pub mod neo4j;
mod props;
pub mod svg;

pub use error::FormatError;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::model::Model;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Our JSON schema ([`json`]).
    Json,
    /// The CellulOS 7-column CSV ([`cellulos_csv`]).
    Csv,
    /// `neo4j-admin database import` CSV files, in a directory ([`neo4j`]).
    Neo4j,
    /// A Cypher script ([`cypher`]).
    Cypher,
    /// Graphviz DOT ([`dot`]).
    Dot,
    /// An SVG picture ([`svg`]).
    Svg,
}

impl Format {
    /// Every format with its name.
    pub const ALL: [(&'static str, Format); 6] = [
        ("json", Format::Json),
        ("csv", Format::Csv),
        ("neo4j", Format::Neo4j),
        ("cypher", Format::Cypher),
        ("dot", Format::Dot),
        ("svg", Format::Svg),
    ];
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Format::ALL.iter().find(|(_, x)| x == self).map_or("?", |(n, _)| n);
        f.write_str(name)
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, f)| *f)
            .ok_or_else(|| format!("unknown format {s:?} (expected json, csv, neo4j, cypher, dot or svg)"))
    }
}

/// Reads a model from bytes, telling JSON from CellulOS CSV by the first non-blank byte.
/// `name` is the file name used in error messages.
pub fn read_model(name: &str, bytes: &[u8]) -> Result<Model, FormatError> {
    let start = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match start.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => json::read(name, bytes),
        _ => cellulos_csv::read(name, bytes),
    }
}

/// Reads a model from a file (JSON or CellulOS CSV).
pub fn read_path(path: &Path) -> Result<Model, FormatError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| FormatError::io(&name, &e))?;
    read_model(&name, &bytes)
}

/// Writes a model in `format` to `path` (a directory for [`Format::Neo4j`]).
pub fn write_path(model: &Model, format: Format, path: &Path) -> Result<(), FormatError> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| FormatError::io(&name, &e);
    if format == Format::Neo4j {
        return neo4j::write_dir(model, path).map_err(io);
    }
    let file = std::fs::File::create(path).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    write(model, format, &mut out).map_err(io)?;
    std::io::Write::flush(&mut out).map_err(io)
}

/// Writes a model in a single-file `format` (not [`Format::Neo4j`], which is a directory).
pub fn write(model: &Model, format: Format, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(model, out),
        Format::Csv => cellulos_csv::write(model, out),
        Format::Cypher => cypher::write(model, out),
        Format::Dot => dot::write(model, out),
        Format::Svg => svg::write(model, out),
        Format::Neo4j => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the neo4j format is a directory of CSV files: give a directory path",
        )),
    }
}
