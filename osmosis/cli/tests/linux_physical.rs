//! `osmosis linux --physical`: two processes mapping one shared file share its frames, so
//! both regions MAP onto one memory object. Needs frame numbers from /proc/PID/pagemap
//! (CAP_SYS_ADMIN): where the machine hides them, the test is reported as ignored with the
//! reason (DESIGN.md section 9), never as passed.

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

/// Two python3 processes map one page of a file in /dev/shm shared and touch it.
fn shared_frames() -> Result<(), Failed> {
    let path = format!("/dev/shm/osmosis-physical-{}", std::process::id());
    std::fs::write(&path, [0u8; 4096]).map_err(|e| format!("{path}: {e}"))?;
    let script = "import mmap,sys,time\n\
                  f=open(sys.argv[1],'r+b'); m=mmap.mmap(f.fileno(),4096); m[0]=1\n\
                  print('ready',flush=True); time.sleep(30)";
    let spawn = || {
        Command::new("python3")
            .args(["-c", script, &path])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
    };
    let mut children = Vec::new();
    for _ in 0..2 {
        let mut child = spawn().map_err(|e| format!("spawn python3: {e}"))?;
        // Wait for its "ready": the page is mapped and touched.
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line);
        }
        children.push(child);
    }
    let pids: Vec<String> = children.iter().map(|c| c.id().to_string()).collect();
    let result = scan(&["--pid", &pids[0], "--pid", &pids[1]]);
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let _ = std::fs::remove_file(&path);
    let (m, _) = result?;
    let problems = osmosis::check(&m);
    if !problems.is_empty() {
        return Err(format!("invariants: {problems:?}").into());
    }
    // The region of the shared file in each: the memory objects it maps onto.
    let frames_of = |pid: &str| -> Vec<String> {
        let pd = m.find(&format!("PD_{pid}"));
        pd.into_iter()
            .flat_map(|pd| m.out_edges_of(pd, EdgeKind::Hold).map(|(_, e)| e.to).collect::<Vec<_>>())
            .filter(|v| m.node(*v).attrs.get("path").and_then(|p| p.as_text()).is_some_and(|p| p == path))
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

fn main() {
    let args = Arguments::from_args();
    let privileged = privileged();
    if !privileged {
        eprintln!("linux_physical: ignored: /proc/PID/pagemap gives no frame numbers here (CAP_SYS_ADMIN)");
    }
    let trials = vec![Trial::test("two_processes_mapping_one_shared_file_share_a_memory_object", shared_frames)
        .with_ignored_flag(!privileged)];
    libtest_mimic::run(&args, trials).exit();
}
