//! `osmosis linux` on the live system and on made-up `/proc` trees: real processes and
//! threads, processes that are gone, odd paths, lines it cannot parse.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use osmosis::query::rsi;
use osmosis::{EdgeKind, Model};

fn osmosis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_osmosis")).args(args).output().expect("run osmosis")
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("linux-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs `osmosis linux ARGS`, expecting success; the model it wrote, and its summary line.
fn scan(args: &[&str]) -> (Model, String) {
    let out = osmosis(&[&["linux"], args].concat());
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "osmosis linux failed: {stderr}");
    let model = osmosis::format::read_model("scan", &out.stdout).expect("a model on stdout");
    let problems = osmosis::check(&model);
    assert!(problems.is_empty(), "the scanned model breaks invariants: {problems:?}");
    (model, stderr)
}

fn idx(m: &Model, id: &str) -> osmosis::NodeIdx {
    m.find(id).unwrap_or_else(|| panic!("no {id} in the model"))
}

#[test]
fn a_thread_shares_its_process_memory_and_another_process_does_not() {
    // A thread of this test process, alive while it is scanned, and a child process.
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let tid =
            std::fs::read_link("/proc/thread-self").ok().and_then(|p| p.file_name()?.to_str()?.parse::<u32>().ok());
        tid_tx.send(tid).expect("send tid");
        let _ = rx.recv();
    });
    let tid = tid_rx.recv().expect("tid").expect("/proc/thread-self");
    let mut child = Command::new("sleep").arg("30").spawn().expect("spawn sleep");
    let (me, other) = (std::process::id().to_string(), child.id().to_string());
    let (m, _) = scan(&["--pid", &me, "--pid", &other]);
    let _ = child.kill();
    let _ = child.wait();
    let _ = tx.send(());
    let _ = thread.join();

    let (p, t, c) = (idx(&m, &format!("PD_{me}")), idx(&m, &format!("PD_{me}_{tid}")), idx(&m, &format!("PD_{other}")));
    assert_eq!(rsi(&m, p, t, "VMR").value(), Some(1.0), "a thread reaches its process's regions");
    let r = rsi(&m, p, c, "VMR");
    assert!(r.shared == 0 && r.union > 0, "two processes share no region: {r:?}");
    // The child's code is its program's file, in the mount namespace both share.
    let code = m
        .out_edges_of(c, EdgeKind::Hold)
        .map(|(_, e)| e.to)
        .find(|v| {
            let n = m.node(*v);
            n.attrs.get("kind").and_then(|k| k.as_text()) == Some("FILE_CODE")
                && n.attrs.get("path").and_then(|k| k.as_text()).is_some_and(|p| p.ends_with("/sleep"))
        })
        .expect("a code region of sleep");
    let file = m.out_edges_of(code, EdgeKind::Map).map(|(_, e)| e.to).next().expect("mapped onto its file");
    let space = m.out_edges_of(file, EdgeKind::Subset).map(|(_, e)| e.to).next().expect("in a space");
    assert_eq!(m.node(space).ty, "FILE");
    assert!(m.in_edges_of(space, EdgeKind::Hold).any(|(_, e)| e.from == p), "both in one mount namespace");
}

#[test]
fn processes_that_are_gone_are_counted_not_fatal() {
    // Beyond any pid_max: never a process.
    let (m, summary) = scan(&["--pid", "4000000000"]);
    assert!(summary.contains("1 gone"), "{summary}");
    assert_eq!(m.node_count(), 1, "only the kernel");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
    std::fs::write(path, text).expect("write");
}

#[test]
fn odd_input_is_skipped_and_counted() {
    // A made-up /proc: one process with odd paths, a line that is no mapping, a kernel
    // thread (no maps), a process whose files vanished after its directory was listed.
    let root = scratch("proc");
    let p = root.join("4242");
    write(&p.join("comm"), "odd name\n");
    write(&p.join("status"), "Name:\todd\nUid:\t1000\t1000\t1000\t1000\n");
    write(
        &p.join("maps"),
        "00400000-00401000 r-xp 00000000 08:01 77 /opt/my app/bin (deleted)\n\
         00600000-00602000 rw-p 00000000 08:01 78 /tmp/two\\012lines\n\
         this is no mapping\n\
         7ffd0000-7ffd1000 rw-p 00000000 00:00 0 [stack]\n",
    );
    write(&root.join("7").join("comm"), "kthreadd\n");
    write(&root.join("7").join("maps"), "");
    std::fs::create_dir_all(root.join("9")).expect("a directory without files");
    let proc_root = root.to_str().expect("utf-8");
    let (m, summary) = scan(&["--proc-root", proc_root, "--pid", "4242", "--pid", "7", "--pid", "9"]);
    assert!(summary.contains("1 gone") && summary.contains("1 malformed") && summary.contains("1 kernel"), "{summary}");
    let node = |id: &str| m.node(idx(&m, id));
    assert_eq!(node("PD_4242").name, "odd name");
    let code = node("VMR_4242_400000");
    assert_eq!(code.attrs.get("path").and_then(|v| v.as_text()), Some("/opt/my app/bin"));
    assert_eq!(code.int("deleted"), Some(1));
    assert_eq!(node("VMR_4242_600000").attrs.get("path").and_then(|v| v.as_text()), Some("/tmp/two\\012lines"));
    assert_eq!(node("VMR_4242_7ffd0000").attrs.get("kind").and_then(|v| v.as_text()), Some("STACK"));
    // Without namespaces (none in the made-up tree) files have no space to live in: none.
    assert!(m.nodes().all(|(_, n)| n.ty != "FILE"));
    assert!(m.find("ADS_SPACE_7").is_none() && m.find("PD_7").is_some(), "a kernel thread: a PD without memory");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_huge_maps_file_and_a_region_of_terabytes_are_scanned_whole() {
    let root = scratch("huge");
    let p = root.join("5151");
    write(&p.join("comm"), "huge\n");
    let mut maps: String = (0..50_000u64)
        .map(|i| format!("{:x}-{:x} rw-p 00000000 00:00 0 \n", 0x1000_0000 + i * 0x2000, 0x1000_1000 + i * 0x2000))
        .collect();
    maps.push_str("100000000000-7ff000000000 ---p 00000000 00:00 0 \n");
    write(&p.join("maps"), &maps);
    let (m, summary) = scan(&["--proc-root", root.to_str().expect("utf-8"), "--pid", "5151"]);
    assert!(summary.contains("0 malformed"), "{summary}");
    let regions = m.out_edges_of(idx(&m, "PD_5151"), EdgeKind::Hold).filter(|(_, e)| m.node(e.to).ty == "VMR").count();
    assert_eq!(regions, 50_001);
    assert_eq!(
        m.node(idx(&m, "VMR_5151_100000000000")).int("pages"),
        Some((0x7ff0_0000_0000 - 0x1000_0000_0000) / 4096)
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// The child processes of `pid`, once it has `n` of them running `program` (it starts them
/// itself: until they have exec'd, their descriptors are not set up yet).
fn children(pid: u32, n: usize, program: &str) -> Vec<u32> {
    let file = format!("/proc/{pid}/task/{pid}/children");
    let runs = |p: &u32| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == program);
    for _ in 0..200 {
        let found: Vec<u32> = std::fs::read_to_string(&file)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .filter(runs)
            .collect();
        if found.len() >= n {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("{pid} did not start {n} children");
}

fn requests(m: &Model, from: &str, to: &str) -> Vec<String> {
    let (a, b) = (idx(m, from), idx(m, to));
    m.out_edges_of(a, EdgeKind::Request).filter(|(_, e)| e.to == b).map(|(_, e)| e.request_type.clone()).collect()
}

#[test]
fn a_pipe_between_two_processes_is_a_request_each_way() {
    // No pipe of this test's (its output) goes to them: only theirs is between them.
    let mut shell = Command::new("sh")
        .args(["-c", "sleep 30 | sleep 30"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sh");
    let pair = children(shell.id(), 2, "sleep");
    let (a, b) = (pair[0].to_string(), pair[1].to_string());
    let (m, _) = scan(&["--pid", &a, "--pid", &b]);
    let _ = Command::new("kill").args([&a, &b]).status();
    let _ = shell.wait();
    assert_eq!(requests(&m, &format!("PD_{a}"), &format!("PD_{b}")), ["PIPE"]);
    assert_eq!(requests(&m, &format!("PD_{b}"), &format!("PD_{a}")), ["PIPE"]);
    // The same user may signal each other: HOLD with the terminate permission, each way.
    let hold = |x: &str, y: &str| {
        m.out_edges_of(idx(&m, x), EdgeKind::Hold)
            .any(|(_, e)| e.to == idx(&m, y) && e.perms == osmosis::Perms::TERMINATE)
    };
    assert!(hold(&format!("PD_{a}"), &format!("PD_{b}")) && hold(&format!("PD_{b}"), &format!("PD_{a}")));
}

#[test]
fn a_tcp_connection_between_two_processes_is_a_request_each_way() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("address").port();
    let script = format!("import socket,time; s=socket.create_connection(('127.0.0.1',{port})); time.sleep(30)");
    connected_to_a_child(&[&script], || listener.accept().expect("accept"), "TCP");
}

/// Starts `python3 -c ARGS` (a script that connects to this process and sleeps), takes the
/// connection with `accept` (kept open while the scan runs), scans both, and checks a
/// REQUEST of `ty` each way.
fn connected_to_a_child<T>(args: &[&str], accept: impl FnOnce() -> T, ty: &str) {
    let mut client = Command::new("python3")
        .arg("-c")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn python3");
    let _connection = accept();
    let (me, other) = (std::process::id().to_string(), client.id().to_string());
    let (m, _) = scan(&["--pid", &me, "--pid", &other]);
    let _ = client.kill();
    let _ = client.wait();
    // (They may share pipes too: a test harness's descriptors are inherited.)
    assert!(requests(&m, &format!("PD_{me}"), &format!("PD_{other}")).contains(&ty.to_string()));
    assert!(requests(&m, &format!("PD_{other}"), &format!("PD_{me}")).contains(&ty.to_string()));
}

#[test]
fn a_unix_socket_connection_between_two_processes_is_a_request_each_way() {
    let dir = scratch("unix");
    let path = dir.join("socket");
    let listener = std::os::unix::net::UnixListener::bind(&path).expect("listen");
    let script = "import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(30)";
    connected_to_a_child(&[script, path.to_str().expect("utf-8")], || listener.accept().expect("accept"), "UNIX");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_process_holds_its_memory_cgroup() {
    let me = std::process::id().to_string();
    let (m, _) = scan(&["--pid", &me]);
    let text = std::fs::read_to_string("/proc/self/cgroup").expect("/proc/self/cgroup");
    let groups: Vec<_> = m
        .out_edges_of(idx(&m, &format!("PD_{me}")), EdgeKind::Hold)
        .map(|(_, e)| m.node(e.to))
        .filter(|n| n.ty == "CGROUP")
        .collect();
    assert_eq!(groups.len(), 1, "one memory cgroup");
    let path = groups[0].attrs.get("path").and_then(|p| p.as_text()).expect("its path");
    assert!(text.lines().any(|l| l.ends_with(&format!(":{path}"))), "{path} is not in {text}");
}
