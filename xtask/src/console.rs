//! Reading a seL4 console: the in-system test protocol (`Starting test N: ID`, `Test ID
//! passed|failed: why`, `N passed, M failed`), the kernel's own fault and failure messages,
//! and what QEMU's exit status means. Pure functions over recorded text, so the runner's
//! judgement is tested on the host with real consoles (`xtask/tests/consoles/`).

use std::fmt;

/// Kernel messages after which nothing good follows: (text, what it means).
pub const KERNEL_FAILURES: &[(&str, &str)] = &[
    (
        "while trying to handle",
        "a thread faulted with no one to handle it (the root task, or a thread without a fault endpoint)",
    ),
    ("KERNEL EXCEPTION", "the kernel itself took an exception"),
    ("seL4 failed assertion", "a kernel assertion failed"),
    ("seL4 called fail", "the kernel called fail()"),
    ("Kernel init failed", "the kernel could not start the root task"),
    ("Kernel init failing", "the kernel could not start the root task"),
    ("Boot failed", "the kernel did not boot"),
    ("Expect at least one boot module", "QEMU was given no root task (-initrd)"),
    ("Debug halt syscall", "a program halted the kernel"),
    ("halting...", "the kernel halted"),
];

/// The isa-debug-exit values the root task writes, as QEMU exit statuses `(v << 1) | 1`.
pub const EXIT_SUCCESS: i32 = 0x10 << 1 | 1;
/// Tests failed.
pub const EXIT_FAILURE: i32 = 0x11 << 1 | 1;
/// The root task panicked.
pub const EXIT_PANIC: i32 = 0x12 << 1 | 1;

/// The first kernel failure message in `text`: (the report, a few console lines from where
/// it starts, and its meaning).
pub fn kernel_failure(text: &str) -> Option<(String, &'static str)> {
    let lines: Vec<String> = text.lines().map(clean).collect();
    for (i, line) in lines.iter().enumerate() {
        let Some((needle, meaning)) = KERNEL_FAILURES.iter().find(|(n, _)| line.contains(n)) else { continue };
        // A double fault's report starts one line earlier ("Caught <fault>").
        let start = if *needle == "while trying to handle" { i.saturating_sub(1) } else { i };
        let report: Vec<&str> = lines[start..].iter().map(String::as_str).filter(|l| !l.is_empty()).take(4).collect();
        return Some((report.join("\n    "), meaning));
    }
    None
}

/// A console line without colour escapes and carriage returns.
pub fn clean(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ ... letter
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else if c != '\r' {
            out.push(c);
        }
    }
    out.trim_end().to_string()
}

/// How QEMU ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It exited by itself with this status (None: killed by a signal).
    Exited(Option<i32>),
    /// The runner stopped it after a kernel failure message.
    StoppedAfterKernelFailure,
    /// The runner stopped it after the timeout.
    TimedOut {
        /// Seconds waited.
        seconds: u64,
    },
}

/// One in-system test's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// Its id (`RECLAIM0001`).
    pub id: String,
    /// `None` when it passed, the reason otherwise.
    pub failure: Option<String>,
    /// The console lines it printed (besides its start and result lines).
    pub output: Vec<String>,
}

/// What the console says about a test run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestRun {
    /// Tests in the order they started.
    pub cases: Vec<TestCase>,
    /// The final `N passed, M failed` line, if printed.
    pub summary: Option<(usize, usize)>,
}

impl TestRun {
    /// Reads the test protocol out of a console.
    pub fn parse(text: &str) -> TestRun {
        let mut run = TestRun::default();
        for raw in text.lines() {
            let line = clean(raw);
            if let Some(rest) = line.strip_prefix("Starting test ") {
                let id = rest.split_once(": ").map_or(rest, |(_, id)| id).trim().to_string();
                run.cases.push(TestCase { id, failure: Some("did not finish".into()), output: Vec::new() });
            } else if let Some(rest) = line.strip_prefix("Test ") {
                let Some(case) = run.cases.last_mut() else { continue };
                if rest == format!("{} passed", case.id) {
                    case.failure = None;
                } else if let Some(why) = rest.strip_prefix(&format!("{} failed: ", case.id)) {
                    case.failure = Some(why.to_string());
                } else {
                    case.output.push(line);
                }
            } else if let Some(summary) = parse_summary(&line) {
                run.summary = Some(summary);
            } else if let Some(case) = run.cases.last_mut() {
                if case.failure.as_deref() == Some("did not finish") && !line.is_empty() {
                    case.output.push(line);
                }
            }
        }
        run
    }

    /// Passed and failed counts as parsed.
    pub fn counts(&self) -> (usize, usize) {
        let failed = self.cases.iter().filter(|c| c.failure.is_some()).count();
        (self.cases.len() - failed, failed)
    }
}

fn parse_summary(line: &str) -> Option<(usize, usize)> {
    let (p, rest) = line.split_once(" passed, ")?;
    let f = rest.strip_suffix(" failed")?;
    Some((p.trim().parse().ok()?, f.trim().parse().ok()?))
}

/// The runner's judgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Everything as it should be.
    Passed,
    /// Tests ran and some failed.
    TestsFailed {
        /// How many failed.
        failed: usize,
        /// How many passed.
        passed: usize,
    },
    /// The kernel printed a failure.
    KernelFailure {
        /// The line.
        line: String,
        /// What it means.
        meaning: &'static str,
    },
    /// The root task panicked.
    RootPanic(String),
    /// Timed out.
    Timeout {
        /// Seconds waited.
        seconds: u64,
        /// The last line printed, if any.
        last_line: Option<String>,
    },
    /// QEMU ended in a way the root task never asks for.
    Unexpected(String),
}

impl Verdict {
    /// Judges a run from its console and ending; `tests` says whether the test protocol
    /// must be present and complete.
    pub fn judge(text: &str, ending: &Ending, tests: bool) -> Verdict {
        if let Some((line, meaning)) = kernel_failure(text) {
            return Verdict::KernelFailure { line, meaning };
        }
        if let Some(line) = text.lines().map(clean).find(|l| l.contains("PANIC:")) {
            return Verdict::RootPanic(line);
        }
        let last_line = text.lines().map(clean).rfind(|l| !l.is_empty());
        match ending {
            Ending::TimedOut { seconds } => Verdict::Timeout { seconds: *seconds, last_line },
            Ending::StoppedAfterKernelFailure => {
                Verdict::Unexpected("stopped for a kernel failure that is no longer in the console".into())
            }
            Ending::Exited(status) => {
                let run = TestRun::parse(text);
                let (passed, failed) = run.counts();
                if tests && (failed > 0 || *status == Some(EXIT_FAILURE)) {
                    return Verdict::TestsFailed { failed: failed.max(1), passed };
                }
                if *status != Some(EXIT_SUCCESS) {
                    return Verdict::Unexpected(match status {
                        Some(EXIT_PANIC) => "the root task panicked".into(),
                        Some(1) if !text.contains("Booting all finished") => {
                            "QEMU exited before the kernel booted (is the kernel image right?)".into()
                        }
                        Some(s) => format!("QEMU exited with status {s}, not the root task's success (33)"),
                        None => "QEMU was killed by a signal".into(),
                    });
                }
                if tests {
                    if run.cases.is_empty() {
                        return Verdict::Unexpected("no test ran (is the filter right?)".into());
                    }
                    if run.summary != Some((passed, failed)) {
                        return Verdict::Unexpected(format!(
                            "the summary line says {:?}, the console shows {passed} passed, {failed} failed",
                            run.summary
                        ));
                    }
                }
                Verdict::Passed
            }
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Passed => f.write_str("passed"),
            Verdict::TestsFailed { failed, passed } => write!(f, "{failed} test(s) failed, {passed} passed"),
            Verdict::KernelFailure { line, meaning } => write!(f, "kernel failure: {meaning}:\n    {line}"),
            Verdict::RootPanic(line) => write!(f, "the root task panicked:\n    {line}"),
            Verdict::Timeout { seconds, last_line: Some(l) } => {
                write!(f, "timed out after {seconds} s; the last console line was:\n    {l}")
            }
            Verdict::Timeout { seconds, last_line: None } => write!(
                f,
                "timed out after {seconds} s and QEMU printed nothing: check qemu-system-x86_64 and the kernel image \
                 (rebuild it with `cargo xtask kernel --force`)"
            ),
            Verdict::Unexpected(why) => f.write_str(why),
        }
    }
}

fn escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
}

/// JUnit XML for a test run; a verdict that is no test result (a kernel failure, a timeout)
/// becomes an error on the test that was running, or a suite-level error case.
pub fn junit(run: &TestRun, verdict: &Verdict, suite: &str) -> String {
    let (_, failed) = run.counts();
    let system_error = !matches!(verdict, Verdict::Passed | Verdict::TestsFailed { .. });
    let unfinished = run.cases.iter().any(|c| c.failure.as_deref() == Some("did not finish"));
    let extra = usize::from(system_error && !unfinished);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s += &format!(
        "<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
        escape(suite),
        run.cases.len() + extra,
        failed,
        extra
    );
    for case in &run.cases {
        s += &format!("  <testcase classname=\"{}\" name=\"{}\">\n", escape(suite), escape(&case.id));
        match &case.failure {
            None => {}
            Some(why) if why == "did not finish" => {
                s += &format!("    <failure message=\"did not finish: {}\"/>\n", escape(&verdict.to_string()));
            }
            Some(why) => s += &format!("    <failure message=\"{}\"/>\n", escape(why)),
        }
        if !case.output.is_empty() {
            s += &format!("    <system-out>{}</system-out>\n", escape(&case.output.join("\n")));
        }
        s += "  </testcase>\n";
    }
    if extra == 1 {
        s += &format!(
            "  <testcase classname=\"{0}\" name=\"system\">\n    <error message=\"{1}\"/>\n  </testcase>\n",
            escape(suite),
            escape(&verdict.to_string())
        );
    }
    s += "</testsuite>\n";
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: &str = include_str!("../tests/consoles/tests-pass.log");
    const RUN: &str = include_str!("../tests/consoles/run-pass.log");
    const FAILED: &str = include_str!("../tests/consoles/tests-failed.log");
    const HANG: &str = include_str!("../tests/consoles/tests-hang.log");
    const ROOT_FAULT: &str = include_str!("../tests/consoles/root-fault.log");
    const NO_ROOT: &str = include_str!("../tests/consoles/no-root-task.log");

    fn parses_as_xml(xml: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("bad JUnit XML: {e}\n{xml}"))
    }

    #[test]
    fn a_passing_suite_is_a_pass_with_every_test_in_the_junit() {
        let run = TestRun::parse(PASS);
        assert_eq!(run.cases.len(), 10);
        assert_eq!(run.summary, Some((10, 0)));
        assert!(run.cases.iter().all(|c| c.failure.is_none()), "{run:?}");
        assert_eq!(run.cases[9].id, "RECLAIM0001");
        let verdict = Verdict::judge(PASS, &Ending::Exited(Some(EXIT_SUCCESS)), true);
        assert_eq!(verdict, Verdict::Passed);
        let xml = junit(&run, &verdict, "cellulos-sel4");
        let doc = parses_as_xml(&xml);
        let suite = doc.root_element();
        assert_eq!((suite.attribute("tests"), suite.attribute("failures")), (Some("10"), Some("0")));
        assert_eq!(suite.children().filter(|n| n.has_tag_name("testcase")).count(), 10);
        // The fault test's report travels as its output.
        let fault = suite.children().find(|n| n.attribute("name") == Some("FAULT0001")).expect("FAULT0001");
        let out = fault.children().find(|n| n.has_tag_name("system-out")).and_then(|n| n.text()).unwrap_or("");
        assert!(out.contains("vm fault on data at address 0x10"), "{out}");
    }

    #[test]
    fn the_normal_run_passes_only_with_the_success_status() {
        assert_eq!(Verdict::judge(RUN, &Ending::Exited(Some(EXIT_SUCCESS)), false), Verdict::Passed);
        let v = Verdict::judge(RUN, &Ending::Exited(Some(EXIT_PANIC)), false);
        assert_eq!(v, Verdict::Unexpected("the root task panicked".into()));
        let v = Verdict::judge(RUN, &Ending::Exited(Some(3)), false);
        assert!(v.to_string().contains("status 3"), "{v}");
        // The test protocol is required from a test run.
        let v = Verdict::judge(RUN, &Ending::Exited(Some(EXIT_SUCCESS)), true);
        assert!(v.to_string().contains("no test ran"), "{v}");
    }

    #[test]
    fn a_failed_test_fails_the_run_with_its_reason() {
        let run = TestRun::parse(FAILED);
        assert_eq!(run.counts(), (8, 1));
        let failing: Vec<_> = run.cases.iter().filter(|c| c.failure.is_some()).collect();
        assert_eq!(failing[0].id, "IPC0002");
        assert_eq!(failing[0].failure.as_deref(), Some("badges 0b101"));
        let verdict = Verdict::judge(FAILED, &Ending::Exited(Some(EXIT_FAILURE)), true);
        assert_eq!(verdict, Verdict::TestsFailed { failed: 1, passed: 8 });
        let xml = junit(&run, &verdict, "s");
        let doc = parses_as_xml(&xml);
        assert_eq!(doc.root_element().attribute("failures"), Some("1"));
        let msg = doc.descendants().find(|n| n.has_tag_name("failure")).and_then(|n| n.attribute("message"));
        assert_eq!(msg, Some("badges 0b101"));
    }

    #[test]
    fn a_hang_is_a_timeout_naming_the_test_that_never_finished() {
        let verdict = Verdict::judge(HANG, &Ending::TimedOut { seconds: 8 }, true);
        assert_eq!(verdict, Verdict::Timeout { seconds: 8, last_line: Some("Starting test 6: IPC0001".into()) });
        let run = TestRun::parse(HANG);
        assert_eq!(run.counts(), (5, 1));
        assert_eq!(run.summary, None);
        let xml = junit(&run, &verdict, "s");
        let doc = parses_as_xml(&xml);
        let case = doc.descendants().find(|n| n.attribute("name") == Some("IPC0001")).expect("IPC0001");
        let msg = case.children().find(|n| n.has_tag_name("failure")).and_then(|n| n.attribute("message"));
        assert!(msg.is_some_and(|m| m.starts_with("did not finish: timed out after 8 s")), "{msg:?}");
        // Nothing printed at all says where to look.
        let silent = Verdict::judge("", &Ending::TimedOut { seconds: 20 }, false);
        assert!(silent.to_string().contains("QEMU printed nothing"), "{silent}");
    }

    #[test]
    fn a_faulting_root_task_is_a_kernel_failure_with_the_report() {
        let v = Verdict::judge(ROOT_FAULT, &Ending::StoppedAfterKernelFailure, false);
        let Verdict::KernelFailure { line, meaning } = &v else { panic!("{v:?}") };
        assert!(line.starts_with("Caught cap fault in send phase"), "{line}");
        assert!(line.contains("vm fault on data at address 0xdead000"), "{line}");
        assert!(line.contains("\"rootserver\""), "{line}");
        assert!(meaning.contains("no one to handle it"), "{meaning}");
        // Even with a success status, a kernel failure wins.
        assert!(matches!(
            Verdict::judge(ROOT_FAULT, &Ending::Exited(Some(EXIT_SUCCESS)), false),
            Verdict::KernelFailure { .. }
        ));
    }

    #[test]
    fn a_kernel_without_a_root_task_says_so() {
        let v = Verdict::judge(NO_ROOT, &Ending::StoppedAfterKernelFailure, false);
        let Verdict::KernelFailure { meaning, .. } = v else { panic!("{v:?}") };
        assert_eq!(meaning, "QEMU was given no root task (-initrd)");
    }

    #[test]
    fn a_summary_that_disagrees_with_the_results_is_not_a_pass() {
        let forged = PASS.replace("10 passed, 0 failed", "11 passed, 0 failed");
        let v = Verdict::judge(&forged, &Ending::Exited(Some(EXIT_SUCCESS)), true);
        assert!(matches!(v, Verdict::Unexpected(ref m) if m.contains("summary line")), "{v:?}");
        let early = Verdict::judge("SeaBIOS\n", &Ending::Exited(Some(1)), false);
        assert!(early.to_string().contains("before the kernel booted"), "{early}");
    }

    #[test]
    fn colour_escapes_and_carriage_returns_are_cleaned() {
        assert_eq!(clean("\u{1b}[31mCaught\u{1b}[0m x\r"), "Caught x");
    }
}
