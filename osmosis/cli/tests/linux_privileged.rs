//! `osmosis linux` where privileges are needed: with `--physical`, two processes mapping
//! one memfd share its frames (both regions MAP onto one memory object: frame numbers
//! from /proc/PID/pagemap need CAP_SYS_ADMIN); a process in a new mount namespace
//! (`unshare --mount`) has its files in a space of its own. Where the machine does not
//! allow either, that test is reported as ignored with the reason (docs/tests.md),
//! never as passed. The same for two processes connected by a unix socket pair in a new
//! network namespace (`unshare --net`): the scanner enters it to ask for the peers.

use std::process::{Command, Stdio};

use libtest_mimic::{Arguments, Failed, Trial};
use osmosis::{EdgeKind, Model};

/// Runs `osmosis linux --physical ARGS`: its model and summary.
fn scan(args: &[&str]) -> Result<(Model, String), Failed> {
    let out = Command::new(env!("CARGO_BIN_EXE_osmosis"))
        .args([&["linux", "--physical"], args].concat())
        .output()
        .map_err(|e| format!("run osmosis: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!("osmosis linux failed: {stderr}").into());
    }
    let model = osmosis::format::read_model("scan", &out.stdout).map_err(|e| e.to_string())?;
    Ok((model, stderr))
}

/// Whether frame numbers are visible here (asked of this very process).
fn privileged() -> bool {
    scan(&["--pid", &std::process::id().to_string()]).is_ok_and(|(_, s)| !s.contains("no frame numbers"))
}

/// Runs `command` (ending in a python3 script that forks and prints the parent's and the
/// child's pids), scans those two with `osmosis linux --physical`, and ends both: the pids
/// and the scan.
fn scan_forked_pair(command: &[&str]) -> Result<(Vec<String>, Model, String), Failed> {
    let mut parent = Command::new(command[0])
        .args(&command[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", command[0]))?;
    let mut line = String::new();
    if let Some(out) = parent.stdout.take() {
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line);
    }
    let pids: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    let result = match pids.as_slice() {
        [a, b] => scan(&["--pid", a, "--pid", b]),
        _ => Err(format!("python3 printed {line:?}, not two pids").into()),
    };
    if let Some(child) = pids.get(1) {
        let _ = Command::new("kill").arg(child).status();
    }
    let _ = parent.kill();
    let _ = parent.wait();
    let (m, stderr) = result?;
    Ok((pids, m, stderr))
}

/// A python3 makes a memfd of one page and forks; parent and child each map it shared and
/// touch it.
fn shared_frames() -> Result<(), Failed> {
    let script = "import mmap,os,sys,time\n\
                  fd=os.memfd_create('osmosis-shared'); os.ftruncate(fd,4096); pid=os.fork()\n\
                  m=mmap.mmap(fd,4096); m[0]=1\n\
                  if pid==0: time.sleep(30); sys.exit()\n\
                  time.sleep(0.2); print(os.getpid(),pid,flush=True); time.sleep(30)";
    let (pids, m, _) = scan_forked_pair(&["python3", "-c", script])?;
    let path = "/memfd:osmosis-shared";
    let problems = osmosis::check(&m);
    if !problems.is_empty() {
        return Err(format!("invariants: {problems:?}").into());
    }
    // The region of the shared file in each: the memory objects it maps onto.
    let frames_of = |pid: &str| -> Vec<String> {
        let pd = m.find(&format!("PD_{pid}"));
        pd.into_iter()
            .flat_map(|pd| m.out_edges_of(pd, EdgeKind::Hold).map(|(_, e)| e.to).collect::<Vec<_>>())
            .filter(|v| m.node(*v).attrs.get("path").and_then(|p| p.as_text()).is_some_and(|p| p.starts_with(path)))
            .flat_map(|v| m.out_edges_of(v, EdgeKind::Map).map(|(_, e)| e.to).collect::<Vec<_>>())
            .filter(|n| m.node(*n).ty == "MO")
            .map(|n| m.node(n).id.clone())
            .collect()
    };
    let (a, b) = (frames_of(&pids[0]), frames_of(&pids[1]));
    if a.is_empty() || a != b {
        return Err(format!("the shared page's memory objects differ: {a:?} and {b:?}").into());
    }
    let rsi = osmosis::query::rsi(
        &m,
        m.find(&format!("PD_{}", pids[0])).ok_or("PD")?,
        m.find(&format!("PD_{}", pids[1])).ok_or("PD")?,
        "MO",
    );
    if rsi.shared == 0 {
        return Err(format!("RSI for MO shares nothing: {rsi:?}").into());
    }
    Ok(())
}

/// A `sleep` in a new mount namespace and one in ours: their files (the program each maps)
/// live in two FILE spaces, one per namespace.
fn new_mount_namespace() -> Result<(), Failed> {
    let spawn = |args: &[&str]| {
        Command::new(args[0]).args(&args[1..]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn()
    };
    let mut inside = spawn(&["unshare", "--mount", "sleep", "30"]).map_err(|e| format!("unshare: {e}"))?;
    let mut outside = spawn(&["sleep", "30"]).map_err(|e| format!("sleep: {e}"))?;
    // unshare execs sleep in its own process once the namespace is made.
    let runs_sleep = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep");
    for _ in 0..200 {
        if runs_sleep(inside.id()) && runs_sleep(outside.id()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (a, b) = (inside.id().to_string(), outside.id().to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_osmosis")).args(["linux", "--pid", &a, "--pid", &b]).output();
    for c in [&mut inside, &mut outside] {
        let _ = c.kill();
        let _ = c.wait();
    }
    let out = out.map_err(|e| format!("run osmosis: {e}"))?;
    let m = osmosis::format::read_model("scan", &out.stdout).map_err(|e| e.to_string())?;
    let file_space = |pid: &str| -> Option<String> {
        let pd = m.find(&format!("PD_{pid}"))?;
        m.out_edges_of(pd, EdgeKind::Hold)
            .map(|(_, e)| e.to)
            .find(|s| m.node(*s).ty == "FILE")
            .map(|s| m.node(s).id.clone())
    };
    let (sa, sb) = (file_space(&a).ok_or("no FILE space inside")?, file_space(&b).ok_or("no FILE space outside")?);
    if sa == sb {
        return Err(format!("both in {sa}: the new mount namespace was not told apart").into());
    }
    // Each one's program is a FILE in its own namespace's space.
    let in_space = |space: &str| m.find(space).map_or(0, |s| m.in_edges_of(s, EdgeKind::Subset).count());
    if in_space(&sa) == 0 || in_space(&sb) == 0 {
        return Err("a mount namespace's space holds no file".into());
    }
    Ok(())
}

/// `unshare ARG true` works here.
fn can_unshare(arg: &str) -> bool {
    Command::new("unshare").args([arg, "true"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// A python3 in a new network namespace makes a unix socket pair and forks, each keeping one
/// end: a REQUEST of type UNIX each way, found by asking inside that namespace.
fn unix_pair_in_another_network_namespace() -> Result<(), Failed> {
    let script = "import os,socket,sys,time\n\
                  a,b=socket.socketpair(); pid=os.fork()\n\
                  if pid==0: a.close(); time.sleep(30); sys.exit()\n\
                  b.close(); print(os.getpid(),pid,flush=True); time.sleep(30)";
    let (pids, m, stderr) = scan_forked_pair(&["unshare", "--net", "python3", "-c", script])?;
    if !stderr.contains(" 0 network namespaces whose unix socket peers") {
        return Err(format!("a namespace was not asked: {stderr}").into());
    }
    let requests = |from: &str, to: &str| -> bool {
        let (Some(a), Some(b)) = (m.find(&format!("PD_{from}")), m.find(&format!("PD_{to}"))) else { return false };
        m.out_edges_of(a, EdgeKind::Request).any(|(_, e)| e.to == b && e.request_type == "UNIX")
    };
    if !requests(&pids[0], &pids[1]) || !requests(&pids[1], &pids[0]) {
        return Err("no UNIX request each way between the two ends of the pair".into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let privileged = privileged();
    if !privileged {
        eprintln!("linux_privileged: ignored: /proc/PID/pagemap gives no frame numbers here (CAP_SYS_ADMIN)");
    }
    // (They need CAP_SYS_ADMIN, or user namespaces for --mount.)
    let unshare = can_unshare("--mount");
    if !unshare {
        eprintln!("linux_privileged: ignored: `unshare --mount` is not allowed here");
    }
    let unshare_net = can_unshare("--net");
    if !unshare_net {
        eprintln!("linux_privileged: ignored: `unshare --net` is not allowed here");
    }
    let trials = vec![
        Trial::test("two_processes_mapping_one_memfd_share_a_memory_object", shared_frames)
            .with_ignored_flag(!privileged),
        Trial::test("a_process_in_a_new_mount_namespace_has_its_files_in_another_space", new_mount_namespace)
            .with_ignored_flag(!unshare),
        Trial::test(
            "a_unix_socket_pair_in_another_network_namespace_is_a_request_each_way",
            unix_pair_in_another_network_namespace,
        )
        .with_ignored_flag(!unshare_net),
    ];
    libtest_mimic::run(&args, trials).exit();
}
