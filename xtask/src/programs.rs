//! The programs a manifest may name: every binary of the seL4 workspace's member packages
//! (`components/Cargo.toml` lists them by glob), as cargo itself resolves them. A program
//! lives wherever its role puts it (`servers/`, `examples/`, `tests/<suite>/`, `bench/`);
//! a manifest names it by its binary, never by its folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::error::Error;

/// The root task's package: it is no component.
const ROOT_PACKAGE: &str = "cellulos-root";

/// One program: the package that builds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The package (`cargo build -p`).
    pub package: String,
    /// Its manifest.
    pub manifest: PathBuf,
}

/// Every program of the seL4 workspace, by binary name.
#[derive(Debug, Default)]
pub struct Programs(BTreeMap<String, Program>);

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

impl Programs {
    /// Asks cargo for the seL4 workspace's members (no dependencies are resolved, nothing is
    /// built or fetched).
    pub fn find(root: &Path) -> Result<Programs, Error> {
        let manifest = root.join("components/Cargo.toml");
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
            .arg(&manifest)
            .output()
            .map_err(|e| Error::Command { what: "cargo metadata".into(), log: None, tail: e.to_string() })?;
        if !out.status.success() {
            return Err(Error::Command {
                what: format!("cargo metadata --manifest-path {}", manifest.display()),
                log: None,
                tail: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        Programs::from_metadata(&out.stdout)
    }

    /// The programs in `cargo metadata`'s answer; two packages with a binary of one name
    /// are an error (a manifest could not say which it means).
    fn from_metadata(json: &[u8]) -> Result<Programs, Error> {
        let meta: Metadata =
            serde_json::from_slice(json).map_err(|e| Error::Tree(format!("reading cargo metadata: {e}")))?;
        let mut programs = BTreeMap::new();
        for package in meta.packages.into_iter().filter(|p| p.name != ROOT_PACKAGE) {
            for target in package.targets.iter().filter(|t| t.kind.iter().any(|k| k == "bin")) {
                let program = Program { package: package.name.clone(), manifest: package.manifest_path.clone() };
                if let Some(other) = programs.insert(target.name.clone(), program) {
                    return Err(Error::Tree(format!(
                        "two components build a program `{}`: {} and {}",
                        target.name,
                        other.manifest.display(),
                        package.manifest_path.display()
                    )));
                }
            }
        }
        Ok(Programs(programs))
    }

    /// The program named `name`, if the workspace has it.
    pub fn get(&self, name: &str) -> Option<&Program> {
        self.0.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_wherever_their_role_puts_them() {
        let programs = Programs::find(&crate::root()).expect("cargo metadata");
        for (name, folder) in [
            ("counter", "examples/counter"),
            ("probe", "tests/system/probe"),
            ("block-double", "tests/cleanup/block-double"),
            ("stubbench", "bench/stubbench"),
        ] {
            let p = programs.get(name).unwrap_or_else(|| panic!("{name}"));
            assert!(p.manifest.ends_with(Path::new(folder).join("Cargo.toml")), "{name}: {:?}", p.manifest);
        }
        assert!(programs.get("cellulos-root").is_none() && programs.get("root").is_none());
    }

    #[test]
    fn two_packages_with_one_binary_name_are_refused() {
        let json = br#"{"packages": [
            {"name": "a", "manifest_path": "/x/a/Cargo.toml", "targets": [{"name": "same", "kind": ["bin"]}]},
            {"name": "b", "manifest_path": "/x/b/Cargo.toml", "targets": [{"name": "same", "kind": ["bin"]}]}
        ]}"#;
        let err = Programs::from_metadata(json).expect_err("duplicate");
        assert!(err.to_string().contains("two components build a program `same`"), "{err}");
        let lib =
            br#"{"packages": [{"name": "l", "manifest_path": "/l", "targets": [{"name": "l", "kind": ["lib"]}]}]}"#;
        assert!(Programs::from_metadata(lib).expect("lib").get("l").is_none());
    }
}
