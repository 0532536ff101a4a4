//! Builds the OSmosis model of a running Linux system from a `/proc` tree:
//!
//! - the kernel is `PD_kernel`, holding (may terminate) every process and thread;
//! - a process is `PD_<pid>` (its name, pid and uid as attributes) holding its address space
//!   `ADS_SPACE_<pid>`, one `VMR_<pid>_<start>` per mapping (permissions on the HOLD edge;
//!   address, pages, kind, path), and its namespaces, each a space (`FILE_SPACE_<inode>`
//!   for the mount namespace, `<NAME>_NS_<inode>` for the others);
//! - a thread is `PD_<pid>_<tid>`: it holds its process's address space and every region in
//!   it (so a thread and its process have RSI 1 for VMR);
//! - files (open descriptors and file-backed mappings) are `FILE` resources in their mount
//!   namespace's space; a file-backed region MAPs onto its file (and the address space onto
//!   the file space);
//! - its cgroup (the memory controller's, or the unified hierarchy's) is a space
//!   `CGROUP_SPACE_<path>` it holds, with the group's memory limit;
//! - with `physical`, each region MAPs onto the physical frames behind it (from
//!   `/proc/PID/pagemap`): `MO` resources of contiguous frame runs in `MO_SPACE_physical`,
//!   so pages two processes share appear as one MO both reach;
//! - who may signal or ptrace whom (the same uid, or uid 0) is a PD -> PD HOLD with the
//!   terminate permission; a pipe two processes hold, or a TCP or unix socket connection
//!   between two of them, is a REQUEST edge each way (type `PIPE`, `TCP`, `UNIX`). Unix
//!   socket peers come from the kernel (sock_diag), so only when `/proc` is the real one.
//!
//! Processes that exit mid-scan, files it may not read and lines it cannot parse are
//! skipped and counted, never fatal.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use osmosis::{EdgeKind, Model, ModelError, Node, NodeIdx, Perms};

use super::maps::{self, Mapping};

/// The namespaces of `/proc/PID/ns`, and the space type each becomes.
const NAMESPACES: [(&str, &str); 8] = [
    ("mnt", "FILE"),
    ("pid", "PID_NS"),
    ("net", "NET_NS"),
    ("user", "USER_NS"),
    ("uts", "UTS_NS"),
    ("ipc", "IPC_NS"),
    ("cgroup", "CGROUP_NS"),
    ("time", "TIME_NS"),
];

/// What the scan passed over, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Processes (or threads) that were gone before they could be read.
    pub gone: usize,
    /// Files it was not allowed to read (another user's maps, descriptors, namespaces).
    pub unreadable: usize,
    /// Lines of `maps` it could not parse.
    pub malformed: usize,
    /// Kernel threads (no address space of their own: a PD without memory).
    pub kernel_threads: usize,
    /// Regions too large to read the frames of (over 1 GiB), with `physical`.
    pub too_large: usize,
    /// `physical` asked, but pagemap gives no frame numbers (no CAP_SYS_ADMIN).
    pub unprivileged: bool,
    /// Network namespaces whose unix socket peers could not be asked (another namespace
    /// needs CAP_SYS_ADMIN to enter).
    pub unix_unasked: usize,
}

/// The largest region whose frames are read (1 GiB): reserved, mostly empty regions can
/// span terabytes.
const MAX_PHYSICAL_PAGES: u64 = 1 << 18;

/// A scan's result.
pub struct Scan {
    /// The model.
    pub model: Model,
    /// Processes and threads in it.
    pub processes: usize,
    pub threads: usize,
    /// What it passed over.
    pub skipped: Skipped,
}

/// Scans the processes `pids` (all, when empty) of the `/proc` tree at `proc_root`; with
/// `physical`, the frames behind their regions too.
pub fn scan(proc_root: &Path, pids: &[u32], physical: bool) -> Result<Scan, ModelError> {
    let mut s = Scanner {
        proc_root: proc_root.to_path_buf(),
        model: Model::new(),
        skipped: Skipped::default(),
        spaces: BTreeMap::new(),
        processes: 0,
        threads: 0,
        pds: Vec::new(),
        pipes: BTreeMap::new(),
        sockets: BTreeMap::new(),
        tcp: BTreeMap::new(),
        nets: BTreeMap::new(),
        physical: physical.then_some(None),
    };
    let kernel = s.model.add_node(Node::pd("PD_kernel", "kernel"))?;
    let pids: Vec<u32> = if pids.is_empty() {
        let entries = std::fs::read_dir(proc_root).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default();
        let mut all: Vec<u32> = entries.iter().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect();
        all.sort_unstable();
        all
    } else {
        pids.to_vec()
    };
    for pid in pids {
        s.process(kernel, pid)?;
    }
    s.signals()?;
    let unix = s.unix_peers();
    s.channels(&unix)?;
    Ok(Scan { model: s.model, processes: s.processes, threads: s.threads, skipped: s.skipped })
}

struct Scanner {
    proc_root: PathBuf,
    model: Model,
    skipped: Skipped,
    /// Spaces by id, made once.
    spaces: BTreeMap<String, NodeIdx>,
    processes: usize,
    threads: usize,
    /// Each process's PD and uid.
    pds: Vec<(NodeIdx, Option<u64>)>,
    /// Pipe and socket inodes, and the PDs holding them.
    pipes: BTreeMap<u64, Vec<NodeIdx>>,
    sockets: BTreeMap<u64, Vec<NodeIdx>>,
    /// Established TCP connections by network namespace: socket inode -> (local, remote).
    tcp: BTreeMap<u64, BTreeMap<u64, (String, String)>>,
    /// Network namespaces by inode, each with the `ns/net` link of a process in it.
    nets: BTreeMap<u64, PathBuf>,
    /// With `physical`: the MO space, once made.
    physical: Option<Option<NodeIdx>>,
}

/// How reading a file went.
enum Read<T> {
    Ok(T),
    Gone,
    Denied,
}

fn read_text(path: &Path) -> Read<String> {
    match std::fs::read(path) {
        Ok(bytes) => Read::Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => Read::Denied,
        Err(_) => Read::Gone,
    }
}

fn perms(m: &Mapping) -> Perms {
    let mut p = Perms::NONE;
    for (on, bit) in [(m.read, Perms::READ), (m.write, Perms::WRITE), (m.execute, Perms::EXECUTE)] {
        if on {
            p = p | bit;
        }
    }
    p
}

/// A device in a file's node id: `<major>_<minor>` in hex, as `maps` writes it.
fn dev_id(major: u64, minor: u64) -> String {
    format!("{major:x}_{minor:x}")
}

/// A string attribute value the model can carry (no control characters: newlines in paths
/// are written back as the kernel escapes them).
fn text(s: &str) -> String {
    s.replace('\n', "\\012").chars().filter(|c| !c.is_control()).collect()
}

impl Scanner {
    fn hold(&mut self, from: NodeIdx, to: NodeIdx, perms: Perms) -> Result<(), ModelError> {
        self.model.add_edge(osmosis::Edge::new(EdgeKind::Hold, from, to).with_perms(perms)).map(|_| ())
    }

    fn edge_once(&mut self, kind: EdgeKind, from: NodeIdx, to: NodeIdx) -> Result<(), ModelError> {
        if !self.model.out_edges_of(from, kind).any(|(_, e)| e.to == to) {
            self.model.add_edge(osmosis::Edge::new(kind, from, to))?;
        }
        Ok(())
    }

    fn space(&mut self, id: String, ty: &'static str, inode: u64) -> Result<NodeIdx, ModelError> {
        if let Some(n) = self.spaces.get(&id) {
            return Ok(*n);
        }
        let n = self.model.add_node(Node::space(id.clone(), ty).with("inode", inode))?;
        self.spaces.insert(id, n);
        Ok(n)
    }

    /// The namespaces of `dir` (a process or thread): (space type, inode) of each readable.
    fn namespaces(&mut self, dir: &Path) -> Vec<(&'static str, &'static str, u64)> {
        let mut out = Vec::new();
        for (name, ty) in NAMESPACES {
            match std::fs::read_link(dir.join("ns").join(name)) {
                Ok(link) => {
                    // "mnt:[4026531840]"
                    let inode = link
                        .to_str()
                        .and_then(|l| l.split_once(":["))
                        .and_then(|(_, rest)| rest.strip_suffix(']'))
                        .and_then(|n| n.parse().ok());
                    if let Some(inode) = inode {
                        out.push((name, ty, inode));
                    }
                }
                Err(e) if e.kind() == ErrorKind::PermissionDenied => self.skipped.unreadable += 1,
                // No such namespace on this kernel, or the process is gone.
                Err(_) => {}
            }
        }
        out
    }

    fn process(&mut self, kernel: NodeIdx, pid: u32) -> Result<(), ModelError> {
        let dir = self.proc_root.join(pid.to_string());
        let comm = match read_text(&dir.join("comm")) {
            Read::Ok(c) => c.trim_end_matches('\n').to_string(),
            Read::Gone => {
                self.skipped.gone += 1;
                return Ok(());
            }
            Read::Denied => {
                self.skipped.unreadable += 1;
                return Ok(());
            }
        };
        let uid = match read_text(&dir.join("status")) {
            Read::Ok(status) => status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|u| u.split_whitespace().next())
                .and_then(|u| u.parse::<u64>().ok()),
            _ => None,
        };
        let mut node = Node::pd(format!("PD_{pid}"), text(&comm)).with("pid", u64::from(pid));
        if let Some(uid) = uid {
            node = node.with("uid", uid);
        }
        let pd = self.model.add_node(node)?;
        self.processes += 1;
        self.pds.push((pd, uid));
        self.hold(kernel, pd, Perms::TERMINATE)?;
        if let Some(group) = self.cgroup(&dir)? {
            self.hold(pd, group, Perms::READ)?;
        }
        let namespaces = self.namespaces(&dir);
        if let Some((_, _, net)) = namespaces.iter().find(|(n, _, _)| *n == "net") {
            self.read_tcp(&dir, *net);
            self.nets.entry(*net).or_insert_with(|| dir.join("ns").join("net"));
        }
        let mut mount_space = None;
        for (name, ty, inode) in &namespaces {
            let id = if *name == "mnt" { format!("FILE_SPACE_{inode}") } else { format!("{ty}_{inode}") };
            let space = self.space(id, ty, *inode)?;
            self.hold(pd, space, Perms::READ)?;
            if *name == "mnt" {
                mount_space = Some((space, *inode));
            }
        }
        // Memory: no maps at all is a kernel thread.
        let lines = match read_text(&dir.join("maps")) {
            Read::Ok(text) => text,
            Read::Gone => {
                self.skipped.gone += 1;
                return Ok(());
            }
            // Another user's process: its PD and namespaces, no memory (not a kernel thread).
            Read::Denied => {
                self.skipped.unreadable += 1;
                return self.descriptors(pd, &dir, mount_space);
            }
        };
        let mut held: Vec<(NodeIdx, Perms)> = Vec::new();
        let ads = if lines.trim().is_empty() {
            self.skipped.kernel_threads += 1;
            None
        } else {
            let ads = self.model.add_node(Node::space(format!("ADS_SPACE_{pid}"), "ADS"))?;
            self.hold(pd, ads, Perms::READ | Perms::WRITE)?;
            let mut regions = Vec::new();
            for line in lines.lines() {
                match maps::parse(line) {
                    Ok(m) => {
                        let vmr = self.region(pid, ads, &m, mount_space)?;
                        self.hold(pd, vmr, perms(&m))?;
                        held.push((vmr, perms(&m)));
                        regions.push((vmr, m));
                    }
                    Err(_) => self.skipped.malformed += 1,
                }
            }
            if self.physical.is_some() && !self.skipped.unprivileged {
                self.frames(&dir, ads, &regions)?;
            }
            Some(ads)
        };
        self.descriptors(pd, &dir, mount_space)?;
        // Threads: the same address space and regions, the same namespaces.
        let tasks = std::fs::read_dir(dir.join("task")).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default();
        let mut tids: Vec<u32> = tasks.iter().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect();
        tids.sort_unstable();
        for tid in tids.into_iter().filter(|t| *t != pid) {
            let name = match read_text(&dir.join("task").join(tid.to_string()).join("comm")) {
                Read::Ok(c) => c.trim_end_matches('\n').to_string(),
                _ => {
                    self.skipped.gone += 1;
                    continue;
                }
            };
            let thread = self.model.add_node(
                Node::pd(format!("PD_{pid}_{tid}"), text(&name))
                    .with("pid", u64::from(pid))
                    .with("tid", u64::from(tid)),
            )?;
            self.threads += 1;
            self.hold(kernel, thread, Perms::TERMINATE)?;
            if let Some(ads) = ads {
                self.hold(thread, ads, Perms::READ | Perms::WRITE)?;
            }
            for (vmr, p) in &held {
                self.hold(thread, *vmr, *p)?;
            }
            let spaces: Vec<NodeIdx> = self
                .model
                .out_edges_of(pd, EdgeKind::Hold)
                .map(|(_, e)| e.to)
                .filter(|s| self.model.node(*s).kind == osmosis::NodeKind::Space && Some(*s) != ads)
                .collect();
            for space in spaces {
                self.hold(thread, space, Perms::READ)?;
            }
        }
        Ok(())
    }

    /// A region of `pid`'s address space; a file-backed one MAPs onto its file.
    fn region(
        &mut self,
        pid: u32,
        ads: NodeIdx,
        m: &Mapping,
        mount_space: Option<(NodeIdx, u64)>,
    ) -> Result<NodeIdx, ModelError> {
        let mut node = Node::resource(format!("VMR_{pid}_{:x}", m.start), "VMR")
            .with("addr", m.start)
            .with("pages", (m.end - m.start).div_ceil(4096))
            .with("size_bits", 12u64)
            .with("kind", maps::kind(m));
        if let Some(path) = &m.path {
            node = node.with("path", text(path));
        }
        if m.deleted {
            node = node.with("deleted", 1u64);
        }
        let vmr = match self.model.add_node(node) {
            Ok(v) => v,
            // Two lines for one start address: the second is malformed.
            Err(ModelError::DuplicateId(_)) => {
                self.skipped.malformed += 1;
                return self.model.find(&format!("VMR_{pid}_{:x}", m.start)).ok_or(ModelError::TooLarge);
            }
            Err(e) => return Err(e),
        };
        self.model.add_edge(osmosis::Edge::new(EdgeKind::Subset, vmr, ads))?;
        if let (Some(path), Some((space, ns)), true) = (&m.path, mount_space, m.inode != 0) {
            if path.starts_with('/') {
                let (major, minor) = m.dev.split_once(':').unwrap_or(("0", "0"));
                let number = |s: &str| u64::from_str_radix(s, 16).unwrap_or(0);
                let file = self.file(space, ns, &dev_id(number(major), number(minor)), m.inode, path)?;
                self.edge_once(EdgeKind::Map, vmr, file)?;
                self.edge_once(EdgeKind::Map, ads, space)?;
            }
        }
        Ok(vmr)
    }

    /// The FILE resource of (device, inode) in mount namespace space `space`.
    fn file(&mut self, space: NodeIdx, ns: u64, dev: &str, inode: u64, path: &str) -> Result<NodeIdx, ModelError> {
        let id = format!("FILE_{ns}_{dev}_{inode}");
        if let Some(f) = self.model.find(&id) {
            return Ok(f);
        }
        let f = self.model.add_node(Node::resource(id, "FILE").with("path", text(path)).with("inode", inode))?;
        self.model.add_edge(osmosis::Edge::new(EdgeKind::Subset, f, space))?;
        Ok(f)
    }

    /// Open descriptors naming files: held (read; write when open for writing).
    fn descriptors(&mut self, pd: NodeIdx, dir: &Path, mount_space: Option<(NodeIdx, u64)>) -> Result<(), ModelError> {
        let fds = match std::fs::read_dir(dir.join("fd")) {
            Ok(d) => d.flatten().collect::<Vec<_>>(),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                self.skipped.unreadable += 1;
                return Ok(());
            }
            Err(_) => return Ok(()),
        };
        for fd in fds {
            let link = match std::fs::read_link(fd.path()) {
                Ok(l) => l,
                Err(_) => continue,
            };
            let Some(link) = link.to_str() else { continue };
            // "pipe:[361947]", "socket:[6789]": channels to other processes.
            let inode = |prefix: &str| link.strip_prefix(prefix)?.strip_suffix(']')?.parse::<u64>().ok();
            if let Some(i) = inode("pipe:[") {
                self.pipes.entry(i).or_default().push(pd);
                continue;
            }
            if let Some(i) = inode("socket:[") {
                self.sockets.entry(i).or_default().push(pd);
                continue;
            }
            let Some(path) = Some(link).filter(|p| p.starts_with('/')) else { continue };
            let Some((space, ns)) = mount_space else { continue };
            // The file itself (the link is followed); gone since: skipped.
            let Ok(meta) = std::fs::metadata(fd.path()) else { continue };
            let d = meta.dev();
            let (major, minor) = (((d >> 8) & 0xfff) | ((d >> 32) & !0xfff), (d & 0xff) | ((d >> 12) & !0xff));
            let dev = dev_id(major, minor);
            let file = self.file(space, ns, &dev, meta.ino(), path.trim_end_matches(" (deleted)"))?;
            if !self.model.out_edges_of(pd, EdgeKind::Hold).any(|(_, e)| e.to == file) {
                self.hold(pd, file, Perms::READ)?;
            }
        }
        Ok(())
    }
}

impl Scanner {
    /// The established TCP connections of network namespace `net` (read once, through a
    /// process in it): socket inode -> (local, remote) as `/proc/net/tcp` writes them.
    fn read_tcp(&mut self, dir: &Path, net: u64) {
        if self.tcp.contains_key(&net) {
            return;
        }
        let mut found = BTreeMap::new();
        for file in ["tcp", "tcp6"] {
            let Read::Ok(text) = read_text(&dir.join("net").join(file)) else { continue };
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
                if f.len() < 10 || f[3] != "01" {
                    continue;
                }
                if let Ok(inode) = f[9].parse::<u64>() {
                    found.insert(inode, (f[1].to_string(), f[2].to_string()));
                }
            }
        }
        self.tcp.insert(net, found);
    }

    /// Who may signal or ptrace whom: the same uid, or uid 0 (privileged), as a HOLD with
    /// the terminate permission.
    fn signals(&mut self) -> Result<(), ModelError> {
        let pds = self.pds.clone();
        for (a, ua) in &pds {
            for (b, ub) in &pds {
                let may = match (ua, ub) {
                    (Some(0), _) => true,
                    (Some(x), Some(y)) => x == y,
                    _ => false,
                };
                if a != b && may {
                    self.hold(*a, *b, Perms::TERMINATE)?;
                }
            }
        }
        Ok(())
    }

    /// Connected unix sockets (inode -> peer inode) of every network namespace a scanned
    /// process is in, asked of the kernel: only when the scan reads the real `/proc`.
    fn unix_peers(&mut self) -> BTreeMap<u64, u64> {
        let mut all = BTreeMap::new();
        if self.proc_root.canonicalize().ok().as_deref() != Some(Path::new("/proc")) {
            return all;
        }
        let own = std::fs::metadata("/proc/self/ns/net").map(|m| m.ino()).ok();
        for (net, link) in &self.nets {
            let asked = if Some(*net) == own { super::unix::peers() } else { super::unix::peers_in(link) };
            match asked {
                Ok(found) => all.extend(found),
                Err(_) => self.skipped.unix_unasked += 1,
            }
        }
        all
    }

    /// REQUEST edges each way between two processes that hold one pipe, the two ends of one
    /// TCP connection, or the two ends of a unix socket connection (`unix`: inode -> peer).
    fn channels(&mut self, unix: &BTreeMap<u64, u64>) -> Result<(), ModelError> {
        let mut pairs: Vec<(NodeIdx, NodeIdx, &'static str)> = Vec::new();
        for holders in self.pipes.values() {
            for a in holders {
                for b in holders {
                    pairs.push((*a, *b, "PIPE"));
                }
            }
        }
        for connections in self.tcp.values() {
            for (inode, (local, remote)) in connections {
                // The other end: a socket whose local is this one's remote, and vice versa.
                let peer = connections.iter().find(|(i, (l, r))| *i != inode && l == remote && r == local);
                let (Some((peer, _)), Some(mine)) = (peer, self.sockets.get(inode)) else { continue };
                let theirs = self.sockets.get(peer).cloned().unwrap_or_default();
                for a in mine {
                    for b in &theirs {
                        pairs.push((*a, *b, "TCP"));
                    }
                }
            }
        }
        for (mine, peer) in unix {
            let (Some(mine), Some(theirs)) = (self.sockets.get(mine), self.sockets.get(peer)) else { continue };
            for a in mine {
                for b in theirs {
                    pairs.push((*a, *b, "UNIX"));
                }
            }
        }
        for (a, b, ty) in pairs {
            let known = self.model.out_edges_of(a, EdgeKind::Request).any(|(_, e)| e.to == b && e.request_type == ty);
            if a != b && !known {
                self.model.add_edge(osmosis::Edge::request(a, b, ty))?;
            }
        }
        Ok(())
    }
}

impl Scanner {
    /// The frames behind `regions` (present pages only), from `dir/pagemap`: each run of
    /// contiguous frames an MO the region MAPs onto.
    fn frames(&mut self, dir: &Path, ads: NodeIdx, regions: &[(NodeIdx, Mapping)]) -> Result<(), ModelError> {
        use std::os::unix::fs::FileExt;
        let file = match std::fs::File::open(dir.join("pagemap")) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                self.skipped.unreadable += 1;
                return Ok(());
            }
            Err(_) => return Ok(()),
        };
        for (vmr, m) in regions {
            let pages = (m.end - m.start) / 4096;
            if pages > MAX_PHYSICAL_PAGES {
                self.skipped.too_large += 1;
                continue;
            }
            let mut bytes = alloc_bytes(pages);
            if file.read_exact_at(&mut bytes, (m.start / 4096) * 8).is_err() {
                self.skipped.unreadable += 1;
                continue;
            }
            let mut run: Option<(u64, u64)> = None;
            let mut runs = Vec::new();
            for entry in bytes.chunks_exact(8) {
                let e = u64::from_le_bytes(entry.try_into().unwrap_or([0; 8]));
                let (present, pfn) = (e >> 63 == 1, e & ((1 << 55) - 1));
                if present && pfn == 0 {
                    // Frame numbers are hidden from the unprivileged.
                    self.skipped.unprivileged = true;
                    return Ok(());
                }
                run = match (run, present) {
                    (Some((start, n)), true) if start + n == pfn => Some((start, n + 1)),
                    (previous, true) => {
                        runs.extend(previous);
                        Some((pfn, 1))
                    }
                    (previous, false) => {
                        runs.extend(previous);
                        None
                    }
                };
            }
            runs.extend(run);
            for (pfn, n) in runs {
                let space = self.physical_space()?;
                let id = format!("MO_physical_{pfn:x}_{n:x}");
                let mo = match self.model.find(&id) {
                    Some(mo) => mo,
                    None => {
                        let node = Node::resource(id, "MO")
                            .with("paddr", pfn * 4096)
                            .with("pages", n)
                            .with("size_bits", 12u64);
                        let mo = self.model.add_node(node)?;
                        self.model.add_edge(osmosis::Edge::new(EdgeKind::Subset, mo, space))?;
                        mo
                    }
                };
                self.edge_once(EdgeKind::Map, *vmr, mo)?;
                self.edge_once(EdgeKind::Map, ads, space)?;
            }
        }
        Ok(())
    }

    /// `MO_SPACE_physical`, made once.
    fn physical_space(&mut self) -> Result<NodeIdx, ModelError> {
        if let Some(Some(space)) = self.physical {
            return Ok(space);
        }
        let space = self.model.add_node(Node::space("MO_SPACE_physical", "MO"))?;
        self.physical = Some(Some(space));
        Ok(space)
    }
}

/// A zeroed buffer of `pages` pagemap entries.
fn alloc_bytes(pages: u64) -> Vec<u8> {
    vec![0; (pages * 8) as usize]
}

impl Scanner {
    /// The process's memory cgroup as a space (made once per group), with its limit when
    /// it has one: cgroup v1's `memory` hierarchy, else the unified (v2) one.
    fn cgroup(&mut self, dir: &Path) -> Result<Option<NodeIdx>, ModelError> {
        let Read::Ok(groups) = read_text(&dir.join("cgroup")) else { return Ok(None) };
        let line = |controller: &str| {
            groups.lines().find_map(|l| {
                let mut parts = l.splitn(3, ':');
                let (_, c, path) = (parts.next()?, parts.next()?, parts.next()?);
                (c == controller).then(|| path.to_string())
            })
        };
        let (path, limit_file) = match (line("memory"), line("")) {
            (Some(p), _) => (p.clone(), format!("/sys/fs/cgroup/memory{p}/memory.limit_in_bytes")),
            (None, Some(p)) => (p.clone(), format!("/sys/fs/cgroup{p}/memory.max")),
            (None, None) => return Ok(None),
        };
        let id = format!("CGROUP_SPACE_{}", text_id(&path));
        if let Some(n) = self.spaces.get(&id) {
            return Ok(Some(*n));
        }
        let mut node = Node::space(id.clone(), "CGROUP").with("path", text(&path));
        // "max" (v2) or a number; a v1 group without a limit says 2^63 rounded to pages.
        let limit = std::fs::read_to_string(&limit_file).ok().and_then(|l| l.trim().parse::<u64>().ok());
        if let Some(limit) = limit.filter(|l| *l < (1 << 62)) {
            node = node.with("memory_limit", limit);
        }
        let n = self.model.add_node(node)?;
        self.spaces.insert(id, n);
        Ok(Some(n))
    }
}

/// A cgroup path as part of a node id: printable, no spaces.
fn text_id(path: &str) -> String {
    text(path).replace(' ', "_")
}
