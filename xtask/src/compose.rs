//! `composition.toml` -> the system description, checked against the IDL.
//!
//! ```toml
//! [system]
//! cleanup = "recursive-pd"            # a preset or "PD/SPACE" depths (inf allowed)
//!
//! [[instance]]
//! name = "counter"                    # unique
//! program = "counter"                 # a binary of a components/ package
//! priority = 100                      # 1..=254 (the root runs at 255)
//! memory = "1 MiB"                    # what it may allocate from the root's memory server
//! cpu = 0                             # optional; the kernel is built single-core
//! provides = "counter"                # an interface of idl/*.idl
//! uses = { c = "counter" }            # connection name -> interface
//!
//! [[connection]]
//! from = "alice.c"                    # instance.use
//! to = "counter"                      # the serving instance, or "root" for the
//!                                     # root task's own servers (memory)
//! ```
//!
//! Connections may not form a cycle (calls are synchronous: a cycle can deadlock).
//! Every error is `composition.toml:LINE:COL: message`, all of them at once (sorted), and
//! nothing is written when there is one. Warnings (a connection whose ends have different
//! priorities misses the kernel's IPC fast path) do not stop compose.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use cellulos_system::{
    Instance, Provided, System, Used, FIRST_USE_SLOT, MAX_CLIENTS, MAX_NAME, MAX_USES, ROOT_INTERFACES, ROOT_SERVER,
    VERSION,
};
use serde::Deserialize;
use toml::Spanned;

/// Stack pages of every component (256 KiB: generated dispatch keeps bounded buffers, up to
/// the largest `Bytes<N>`, on the stack).
const STACK_PAGES: u32 = 64;
/// Default memory budget.
const DEFAULT_MEMORY_PAGES: u32 = 256;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    system: Option<SystemDef>,
    #[serde(default, rename = "instance")]
    instances: Vec<Spanned<InstanceDef>>,
    #[serde(default, rename = "connection")]
    connections: Vec<Spanned<ConnectionDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemDef {
    cleanup: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceDef {
    name: Spanned<String>,
    program: Spanned<String>,
    priority: Spanned<i64>,
    memory: Option<Spanned<String>>,
    cpu: Option<Spanned<i64>>,
    provides: Option<Spanned<String>>,
    #[serde(default)]
    uses: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectionDef {
    from: Spanned<String>,
    to: Spanned<String>,
}

/// An error or warning at a place in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diag {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

/// What compose knows of an interface.
#[derive(Clone, Debug)]
pub struct InterfaceInfo {
    /// Its id.
    pub id: u64,
    /// The file declaring it (as shown in messages).
    pub file: String,
    /// The resource types it serves, each with its space type.
    pub serves: Vec<(String, String)>,
}

/// What the IDL offers: interface name -> what compose knows of it.
pub type Interfaces = BTreeMap<String, InterfaceInfo>;

/// Line and column of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Diags<'a> {
    text: &'a str,
    errors: Vec<Diag>,
}

impl Diags<'_> {
    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, col) = position(self.text, span.start);
        self.errors.push(Diag { line, col, message: message.into() });
    }
}

/// Parses a memory budget: `"512 KiB"`, `"4 MiB"`, in whole pages.
fn pages(text: &str) -> Option<u32> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num.parse().ok()?;
    let bytes = match unit.trim() {
        "KiB" => n.checked_mul(1 << 10)?,
        "MiB" => n.checked_mul(1 << 20)?,
        _ => return None,
    };
    (bytes % 4096 == 0 && bytes > 0).then(|| u32::try_from(bytes / 4096).ok()).flatten()
}

fn policy_ok(p: &str) -> bool {
    if matches!(p, "direct-space" | "recursive-space" | "direct-pd" | "recursive-pd") {
        return true;
    }
    let depth = |d: &str| d == "inf" || d == "-1" || d.parse::<u32>().is_ok();
    p.split_once('/').is_some_and(|(a, b)| depth(a) && depth(b))
}

/// The first cycle of `edges` (client -> server), as instance indexes from its start back to
/// it, with the span of the edge that closes it.
fn find_cycle(n: usize, edges: &[(usize, usize, Range<usize>)]) -> Option<(Vec<usize>, Range<usize>)> {
    // 0 unvisited, 1 on the current path, 2 done.
    fn visit(
        v: usize,
        edges: &[(usize, usize, Range<usize>)],
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<(Vec<usize>, Range<usize>)> {
        state[v] = 1;
        path.push(v);
        for (a, b, span) in edges.iter().filter(|(a, _, _)| *a == v) {
            let _ = a;
            if state[*b] == 1 {
                let start = path.iter().position(|p| p == b).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(*b);
                return Some((cycle, span.clone()));
            }
            if state[*b] == 0 {
                if let Some(found) = visit(*b, edges, state, path) {
                    return Some(found);
                }
            }
        }
        path.pop();
        state[v] = 2;
        None
    }
    let mut state = vec![0u8; n];
    (0..n).find_map(|v| if state[v] == 0 { visit(v, edges, &mut state, &mut Vec::new()) } else { None })
}

/// Checks `text` (the manifest named `file`) against the IDL and the programs that exist;
/// returns the system and its warnings, or every error.
pub fn compose(
    text: &str,
    interfaces: &Interfaces,
    program_exists: &dyn Fn(&str) -> bool,
) -> Result<(System, Vec<Diag>), Vec<Diag>> {
    let mut d = Diags { text, errors: Vec::new() };
    let manifest: Manifest = match toml::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            d.at(span, e.message().trim().to_string());
            return Err(d.errors);
        }
    };
    let mut warnings = Vec::new();

    // System settings.
    let mut cleanup = "recursive-pd".to_string();
    if let Some(sys) = &manifest.system {
        if let Some(c) = &sys.cleanup {
            if policy_ok(c.get_ref()) {
                cleanup = c.get_ref().clone();
            } else {
                d.at(
                    c.span(),
                    format!(
                        "unknown cleanup policy `{}` (direct-space, recursive-space, direct-pd, recursive-pd, or PD/SPACE depths)",
                        c.get_ref()
                    ),
                );
            }
        }
    }
    if manifest.instances.is_empty() {
        d.at(0..0, "no [[instance]]: a system needs at least one component");
    }

    // Instances.
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut instances: Vec<Instance> = Vec::new();
    for inst in &manifest.instances {
        let def = inst.get_ref();
        let name = def.name.get_ref();
        if !cellulos_system::instance_name_ok(name) {
            d.at(
                def.name.span(),
                format!("instance name `{name}` must be 1 to {MAX_NAME} letters, digits, `_` or `-`"),
            );
        }
        if name == "root" {
            d.at(def.name.span(), "`root` is the root task's name: connections `to = \"root\"` reach it");
        }
        if index.insert(name.clone(), instances.len()).is_some() {
            d.at(def.name.span(), format!("duplicate instance `{name}`"));
        }
        let program = def.program.get_ref();
        if !program_exists(program) {
            d.at(
                def.program.span(),
                format!("unknown program `{program}` (no package of the seL4 workspace, components/, builds it)"),
            );
        }
        let priority = *def.priority.get_ref();
        if !(1..=254).contains(&priority) {
            d.at(
                def.priority.span(),
                format!("priority {priority} is out of range 1..=254 (the root task runs at 255)"),
            );
        }
        if let Some(cpu) = &def.cpu {
            if *cpu.get_ref() != 0 {
                d.at(
                    cpu.span(),
                    format!(
                        "cpu {} does not exist: the kernel is built single-core (CONFIG_MAX_NUM_NODES 1 in sel4/config/autoconf.h)",
                        cpu.get_ref()
                    ),
                );
            }
        }
        let memory_pages = match &def.memory {
            None => DEFAULT_MEMORY_PAGES,
            Some(m) => pages(m.get_ref()).unwrap_or_else(|| {
                d.at(m.span(), format!("memory `{}` is not a budget like \"512 KiB\" or \"4 MiB\"", m.get_ref()));
                0
            }),
        };
        let provides = def.provides.as_ref().and_then(|p| match interfaces.get(p.get_ref()) {
            Some(info) => Some(Provided {
                interface: p.get_ref().clone(),
                interface_id: info.id,
                root_badge: 0,
                serves: info.serves.clone(),
            }),
            None => {
                d.at(p.span(), format!("unknown interface `{}` (not declared in idl/*.idl)", p.get_ref()));
                None
            }
        });
        if def.uses.len() > MAX_USES {
            d.at(inst.span(), format!("{} connections used; at most {MAX_USES}", def.uses.len()));
        }
        let mut uses = Vec::new();
        for (use_name, iface) in &def.uses {
            match interfaces.get(iface.get_ref()) {
                Some(InterfaceInfo { id, .. }) => uses.push(Used {
                    name: use_name.clone(),
                    interface: iface.get_ref().clone(),
                    interface_id: *id,
                    server: u32::MAX,
                    badge: 0,
                    slot: 0,
                }),
                None => {
                    d.at(iface.span(), format!("unknown interface `{}` (not declared in idl/*.idl)", iface.get_ref()))
                }
            }
        }
        instances.push(Instance {
            name: name.clone(),
            program: program.clone(),
            priority: u8::try_from(priority).unwrap_or(0),
            memory_pages,
            stack_pages: STACK_PAGES,
            provides,
            uses,
        });
    }

    // Connections.
    let mut next_badge: BTreeMap<usize, u32> = BTreeMap::new();
    let mut next_root_badge = 1;
    let mut connected: BTreeSet<(usize, String)> = BTreeSet::new();
    for conn in &manifest.connections {
        let c = conn.get_ref();
        let Some((client_name, use_name)) = c.from.get_ref().split_once('.') else {
            d.at(c.from.span(), format!("`from = \"{}\"` must be `instance.use`", c.from.get_ref()));
            continue;
        };
        let Some(&ci) = index.get(client_name) else {
            d.at(c.from.span(), format!("unknown instance `{client_name}`"));
            continue;
        };
        let Some(ui) = instances[ci].uses.iter().position(|u| u.name == use_name) else {
            d.at(c.from.span(), format!("instance `{client_name}` has no use named `{use_name}`"));
            continue;
        };
        if c.to.get_ref() == "root" {
            // The root task serves its interfaces on its own endpoint, to any instance.
            let used = &instances[ci].uses[ui];
            if !ROOT_INTERFACES.contains(&used.interface.as_str()) {
                d.at(
                    c.to.span(),
                    format!(
                        "the root task serves {}, not `{}`",
                        ROOT_INTERFACES.map(|i| format!("`{i}`")).join(", "),
                        used.interface
                    ),
                );
                continue;
            }
            if !connected.insert((ci, use_name.to_string())) {
                d.at(c.from.span(), format!("`{}` is connected twice", c.from.get_ref()));
                continue;
            }
            let u = &mut instances[ci].uses[ui];
            (u.server, u.badge) = (ROOT_SERVER, next_root_badge);
            next_root_badge += 1;
            continue;
        }
        let Some(&si) = index.get(c.to.get_ref()) else {
            d.at(c.to.span(), format!("unknown instance `{}`", c.to.get_ref()));
            continue;
        };
        if ci == si {
            d.at(
                c.to.span(),
                format!("instance `{client_name}` cannot connect to itself (it would call itself and block)"),
            );
            continue;
        }
        let Some(provided) = instances[si].provides.clone() else {
            d.at(c.to.span(), format!("instance `{}` provides no interface", c.to.get_ref()));
            continue;
        };
        let used = &instances[ci].uses[ui];
        if used.interface_id != provided.interface_id {
            d.at(
                c.to.span(),
                format!(
                    "interface mismatch: `{}` uses `{}` ({:#018x}) but `{}` provides `{}` ({:#018x})",
                    c.from.get_ref(),
                    used.interface,
                    used.interface_id,
                    c.to.get_ref(),
                    provided.interface,
                    provided.interface_id
                ),
            );
            continue;
        }
        if !connected.insert((ci, use_name.to_string())) {
            d.at(c.from.span(), format!("`{}` is connected twice", c.from.get_ref()));
            continue;
        }
        let badge = next_badge.entry(si).or_insert(1);
        // The root is one more client of every server (it asks for the server's model).
        if *badge as usize > MAX_CLIENTS - 1 {
            d.at(
                c.to.span(),
                format!(
                    "instance `{}` has more than {} clients (the start page holds {MAX_CLIENTS}, one is the root's)",
                    c.to.get_ref(),
                    MAX_CLIENTS - 1
                ),
            );
            continue;
        }
        let u = &mut instances[ci].uses[ui];
        (u.server, u.badge) = (si as u32, *badge);
        *badge += 1;
        if instances[ci].priority != instances[si].priority {
            let (line, col) = position(text, conn.span().start);
            warnings.push(Diag {
                line,
                col,
                message: format!(
                    "`{}` (priority {}) and `{}` (priority {}) differ: calls will miss the kernel's IPC fast path",
                    client_name,
                    instances[ci].priority,
                    c.to.get_ref(),
                    instances[si].priority
                ),
            });
        }
    }
    // Calls are synchronous: a cycle of connections can leave every PD on it waiting for
    // the next. Reported at the connection that closes the first cycle found.
    let mut edges: Vec<(usize, usize, Range<usize>)> = Vec::new();
    for conn in &manifest.connections {
        let c = conn.get_ref();
        let client = c.from.get_ref().split_once('.').and_then(|(n, _)| index.get(n));
        if let (Some(&ci), Some(&si)) = (client, index.get(c.to.get_ref())) {
            if ci != si && !edges.iter().any(|(a, b, _)| (*a, *b) == (ci, si)) {
                edges.push((ci, si, conn.span()));
            }
        }
    }
    if let Some((cycle, span)) = find_cycle(instances.len(), &edges) {
        let names: Vec<&str> = cycle.iter().map(|i| instances[*i].name.as_str()).collect();
        d.at(
            span,
            format!("connections form a cycle {}: synchronous calls around it can deadlock", names.join(" -> ")),
        );
    }
    for (inst, def) in instances.iter().zip(&manifest.instances) {
        for u in &inst.uses {
            if u.server == u32::MAX {
                let span = def.get_ref().uses.get(&u.name).map_or(def.span(), |s| s.span());
                d.at(span, format!("`{}.{}` is not connected to any instance", inst.name, u.name));
            }
        }
    }
    if !d.errors.is_empty() {
        d.errors.sort();
        return Err(d.errors);
    }

    // Allocation: slots in order of use names; the root's badge after every client's.
    for (i, inst) in instances.iter_mut().enumerate() {
        for (k, u) in inst.uses.iter_mut().enumerate() {
            u.slot = FIRST_USE_SLOT + k as u32;
        }
        if let Some(p) = &mut inst.provides {
            p.root_badge = *next_badge.get(&i).unwrap_or(&1);
        }
    }
    // Start order: servers first (a client's first call then finds its server waiting).
    let order: Vec<usize> = (0..instances.len())
        .filter(|i| instances[*i].provides.is_some())
        .chain((0..instances.len()).filter(|i| instances[*i].provides.is_none()))
        .collect();
    let new_index: BTreeMap<usize, u32> = order.iter().enumerate().map(|(n, o)| (*o, n as u32)).collect();
    let mut ordered: Vec<Instance> = order.iter().map(|o| instances[*o].clone()).collect();
    for inst in &mut ordered {
        for u in inst.uses.iter_mut().filter(|u| u.server != ROOT_SERVER) {
            u.server = new_index[&(u.server as usize)];
        }
    }
    warnings.sort();
    Ok((System { version: VERSION, instances: ordered, cleanup }, warnings))
}

/// Every interface of `idl/*.idl`, or the IDL's own diagnostics (`idl/x.idl:LINE:COL: ...`).
pub fn interfaces(root: &std::path::Path) -> Result<Interfaces, String> {
    let dir = root.join("idl");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idl"))
        .collect();
    files.sort();
    let mut out = Interfaces::new();
    let mut errors = Vec::new();
    for file in files {
        let shown = format!("idl/{}", file.file_name().map(|f| f.to_string_lossy()).unwrap_or_default());
        match cellulos_codegen::load(&file, &shown) {
            Ok(idl) => {
                for iface in &idl.interfaces {
                    // Imported files are loaded again with their importers: the same
                    // interface twice is fine, two different ones of one name are not.
                    if let Some(InterfaceInfo { id, file: other, .. }) = out.get(&iface.name) {
                        if *id != iface.id {
                            errors.push(format!(
                                "{shown}: interface `{}` is declared differently in {other}",
                                iface.name
                            ));
                        }
                        continue;
                    }
                    let serves = iface
                        .serves
                        .iter()
                        .map(|r| {
                            let r = &idl.resources[*r];
                            (r.name.clone(), idl.spaces[r.space].name.clone())
                        })
                        .collect();
                    out.insert(iface.name.clone(), InterfaceInfo { id: iface.id, file: shown.clone(), serves });
                }
            }
            Err(diags) => errors.push(diags.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    fn exists(p: &str) -> bool {
        static PROGRAMS: std::sync::OnceLock<crate::programs::Programs> = std::sync::OnceLock::new();
        PROGRAMS.get_or_init(|| crate::programs::Programs::find(&root()).expect("cargo metadata")).get(p).is_some()
    }

    fn fixtures(kind: &str) -> Vec<PathBuf> {
        let dir = root().join("xtask/tests/compose").join(kind);
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(&dir).expect("fixtures").filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        files
    }

    #[test]
    fn every_bad_manifest_fails_with_its_message_at_its_position() {
        let ifaces = interfaces(&root()).expect("idl");
        let files = fixtures("bad");
        assert!(files.len() >= 20, "{} bad fixtures", files.len());
        let mut wrong = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            let expect = text.lines().next().and_then(|l| l.strip_prefix("# expect: ")).expect("# expect: line");
            let name = file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            match compose(&text, &ifaces, &exists) {
                Ok(_) => wrong.push(format!("{name}: composed, expected `{expect}`")),
                Err(errors) => {
                    let got: Vec<String> =
                        errors.iter().map(|d| format!("{}:{}: {}", d.line, d.col, d.message)).collect();
                    if !got.iter().any(|g| g.starts_with(expect)) {
                        wrong.push(format!("{name}: expected `{expect}`, got {got:#?}"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn good_manifests_compose_with_exactly_their_warnings() {
        let ifaces = interfaces(&root()).expect("idl");
        let mut files = fixtures("good");
        files.extend(["composition.toml", crate::TEST_SYSTEM, crate::BENCH_SYSTEM].map(|f| root().join(f)));
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            let (system, warnings) =
                compose(&text, &ifaces, &exists).unwrap_or_else(|e| panic!("{}: {e:#?}", file.display()));
            let expected: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# warning: ")).collect();
            let got: Vec<String> = warnings.iter().map(|d| format!("{}:{}: {}", d.line, d.col, d.message)).collect();
            assert_eq!(got.len(), expected.len(), "{}: {got:?}", file.display());
            for (g, e) in got.iter().zip(&expected) {
                assert!(g.starts_with(e), "{}: {g} vs {e}", file.display());
            }
            // Servers start first, and every use names a server with its badge and slot.
            let first_client =
                system.instances.iter().position(|i| i.provides.is_none()).unwrap_or(system.instances.len());
            assert!(system.instances[first_client..].iter().all(|i| i.provides.is_none()), "{}", file.display());
            for inst in &system.instances {
                for (k, u) in inst.uses.iter().enumerate() {
                    assert_eq!(u.slot, FIRST_USE_SLOT + k as u32);
                    if u.server == ROOT_SERVER {
                        // The root's own clients: badges from 1, one per connection.
                        assert!(ROOT_INTERFACES.contains(&u.interface.as_str()) && u.badge >= 1);
                        continue;
                    }
                    let server = &system.instances[u.server as usize];
                    let provided = server.provides.as_ref().expect("a server");
                    assert_eq!(provided.interface_id, u.interface_id);
                    assert!(u.badge >= 1 && u.badge < provided.root_badge);
                    assert_eq!(u.slot, FIRST_USE_SLOT + k as u32);
                }
            }
        }
    }

    #[test]
    fn the_default_system_gives_each_client_of_a_server_its_own_badge() {
        let text = std::fs::read_to_string(root().join("composition.toml")).expect("read");
        let (system, _) = compose(&text, &interfaces(&root()).expect("idl"), &exists).expect("composes");
        let names: Vec<&str> = system.instances.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["counter", "greeter", "alice", "bob"]);
        let counter_badges: Vec<u32> = system
            .instances
            .iter()
            .flat_map(|i| i.uses.iter())
            .filter(|u| u.interface == "counter")
            .map(|u| u.badge)
            .collect();
        assert_eq!(counter_badges, [1, 2]);
        assert_eq!(system.instances[0].provides.as_ref().map(|p| p.root_badge), Some(3));
        // What the counter serves, from idl/counter.idl: a connection requests each.
        let serves = system.instances[0].provides.as_ref().map(|p| p.serves.clone()).unwrap_or_default();
        let serves: Vec<(&str, &str)> = serves.iter().map(|(r, s)| (r.as_str(), s.as_str())).collect();
        assert_eq!(serves, [("COUNTER", "COUNTER"), ("TALLY", "COUNTER")]);
        assert_eq!(system.cleanup, "recursive-pd");
    }

    #[test]
    fn positions_and_budgets() {
        assert_eq!(position("ab\ncd", 4), (2, 2));
        assert_eq!(pages("4 MiB"), Some(1024));
        assert_eq!(pages("512 KiB"), Some(128));
        assert_eq!(pages("1 KiB"), None);
        assert_eq!(pages("MiB"), None);
        assert!(policy_ok("inf/0") && policy_ok("direct-space") && !policy_ok("1/x"));
    }
}
