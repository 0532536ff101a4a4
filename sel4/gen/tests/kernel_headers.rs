//! The generated ABI against the kernel's own generated headers: a C program compiled with
//! the kernel build's headers and our autoconf.h prints every label and syscall number the
//! generator produced (a label the kernel's conditions leave out does not even compile).
//! Needs a kernel built by `cargo xtask kernel`; without one the tests are reported as
//! ignored, with the reason, never as passed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};
use sel4_gen::{generate, parse_autoconf, Abi};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (kernel tree, build folder with the generated headers, our autoconf.h).
fn kernel() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let root = root();
    let source = std::env::var_os("SEL4_KERNEL_SOURCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/sel4/src/sel4-sys-0.0.28/seL4"));
    let build = root.join("target/sel4/kbuild");
    let autoconf = root.join("sel4/config/autoconf.h");
    (source.join("libsel4").is_dir() && build.join("arch/api/invocation.h").is_file())
        .then_some((source, build, autoconf))
}

fn abi() -> Result<Abi, Failed> {
    let (source, _, autoconf) = kernel().ok_or("no kernel tree")?;
    generate(&source, &autoconf).map_err(|e| e.to_string().into())
}

fn known_vectors() -> Result<(), Failed> {
    // Read off the bring-up run (shared/sel4-bringup/NOTES.md) for this configuration.
    let abi = abi()?;
    let syscalls = [("Call", -1), ("ReplyRecv", -2), ("Recv", -5), ("DebugPutChar", -9), ("DebugHalt", -10)];
    for (name, n) in syscalls {
        if abi.syscall(name) != Some(n) {
            return Err(format!("syscall {name}: {:?}, want {n}", abi.syscall(name)).into());
        }
    }
    let labels = [
        ("UntypedRetype", 1),
        ("TCBWriteRegisters", 3),
        ("TCBSetPriority", 6),
        ("TCBSetSpace", 9),
        ("TCBResume", 11),
        ("X86IOPortOut8", 47),
    ];
    for (name, n) in labels {
        if abi.label(name) != Some(n) {
            return Err(format!("label {name}: {:?}, want {n}", abi.label(name)).into());
        }
    }
    Ok(())
}

/// Compiles `program` with gcc and `flags`, runs it, and reads its `NAME VALUE` lines.
fn print_with_gcc(
    dir: &Path,
    name: &str,
    program: &str,
    flags: &[&std::ffi::OsStr],
) -> Result<BTreeMap<String, i64>, Failed> {
    let (c, exe) = (dir.join(format!("{name}.c")), dir.join(name));
    std::fs::write(&c, program)?;
    let out = Command::new("gcc").args(flags).arg(&c).arg("-o").arg(&exe).output()?;
    if !out.status.success() {
        return Err(format!("the headers reject a generated name:\n{}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let printed = String::from_utf8(Command::new(&exe).output()?.stdout)?;
    Ok(printed
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(n, v)| v.parse().ok().map(|v| (n.to_string(), v)))
        .collect())
}

fn every_number_matches_the_kernels_headers() -> Result<(), Failed> {
    let (_, build, autoconf) = kernel().ok_or("no kernel tree")?;
    let abi = abi()?;
    let dir = std::env::temp_dir().join(format!("sel4-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // syscall.h uses two kernel definitions of its own.
    let mut program = String::from(
        "#include <stdio.h>\ntypedef unsigned long word_t;\n#define UNUSED __attribute__((unused))\n\
         #include <arch/api/invocation.h>\n#include <arch/api/syscall.h>\nint main(void) {\n",
    );
    for (name, _) in &abi.labels {
        program.push_str(&format!("    printf(\"{name} %d\\n\", (int){name});\n"));
    }
    for (name, _) in &abi.syscalls {
        program.push_str(&format!("    printf(\"Sys{name} %d\\n\", (int)Sys{name});\n"));
    }
    program.push_str("    printf(\"count %d\\n\", (int)nArchInvocationLabels);\n    return 0;\n}\n");
    let kernel = print_with_gcc(
        &dir,
        "abi",
        &program,
        &["-I".as_ref(), build.as_os_str(), "-include".as_ref(), autoconf.as_os_str()],
    )?;
    for (name, n) in &abi.labels {
        if kernel.get(name.as_str()) != Some(&i64::from(*n)) {
            return Err(format!("label {name}: ours {n}, the kernel's {:?}", kernel.get(name.as_str())).into());
        }
    }
    for (name, n) in &abi.syscalls {
        if kernel.get(format!("Sys{name}").as_str()) != Some(&i64::from(*n)) {
            return Err(format!(
                "syscall {name}: ours {n}, the kernel's {:?}",
                kernel.get(format!("Sys{name}").as_str())
            )
            .into());
        }
    }
    // Nothing left out either: the kernel counts exactly as many labels (plus InvalidInvocation).
    if kernel.get("count") != Some(&(abi.labels.len() as i64 + 1)) {
        return Err(
            format!("the kernel has {:?} labels, we generated {}", kernel.get("count"), abi.labels.len() + 1).into()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Object types, object sizes and `seL4_UserContext` against libsel4's own headers,
/// compiled with our autoconf.h.
fn object_types_sizes_and_registers_match_libsel4() -> Result<(), Failed> {
    let (source, _, autoconf) = kernel().ok_or("no kernel tree")?;
    let abi = abi()?;
    let libsel4 = source.join("libsel4");
    let dir = std::env::temp_dir().join(format!("sel4-gen-types-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::copy(&autoconf, dir.join("autoconf.h"))?;
    let mut program = String::from(
        "#include <stdio.h>\n#include <stddef.h>\ntypedef unsigned long seL4_Word;\ntypedef unsigned long seL4_CPtr;\n\
         #include <sel4/macros.h>\n#include <sel4/objecttype.h>\n#include <sel4/sel4_arch/objecttype.h>\n\
         #include <sel4/arch/objecttype.h>\n#include <sel4/sel4_arch/constants.h>\n#include <sel4/constants.h>\n\
         #include <sel4/sel4_arch/types.h>\nint main(void) {\n",
    );
    for (name, _) in &abi.object_types {
        program.push_str(&format!("    printf(\"{name} %d\\n\", (int){name});\n"));
    }
    for (name, _) in &abi.size_bits {
        program.push_str(&format!("    printf(\"seL4_{name} %d\\n\", (int)seL4_{name});\n"));
    }
    for reg in &abi.user_context {
        program.push_str(&format!("    printf(\"reg.{reg} %d\\n\", (int)(offsetof(seL4_UserContext, {reg}) / 8));\n"));
    }
    program.push_str("    printf(\"regs %d\\n\", (int)(sizeof(seL4_UserContext) / 8));\n    return 0;\n}\n");
    let includes = [
        libsel4.join("include"),
        libsel4.join("arch_include/x86"),
        libsel4.join("sel4_arch_include/x86_64"),
        dir.clone(),
    ];
    let mut flags: Vec<&std::ffi::OsStr> = Vec::new();
    for inc in &includes {
        flags.push("-I".as_ref());
        flags.push(inc.as_os_str());
    }
    let theirs = print_with_gcc(&dir, "types", &program, &flags)?;
    let mut ours: Vec<(String, i64)> = Vec::new();
    ours.extend(abi.object_types.iter().map(|(n, v)| (n.clone(), i64::from(*v))));
    ours.extend(abi.size_bits.iter().map(|(n, v)| (format!("seL4_{n}"), i64::from(*v))));
    ours.extend(abi.user_context.iter().enumerate().map(|(i, r)| (format!("reg.{r}"), i as i64)));
    ours.push(("regs".into(), abi.user_context.len() as i64));
    for (name, v) in &ours {
        if theirs.get(name.as_str()) != Some(v) {
            return Err(format!("{name}: ours {v}, libsel4's {:?}", theirs.get(name.as_str())).into());
        }
    }
    if !abi.object_types.iter().any(|(n, _)| n == "seL4_X86_4K") || abi.user_context.len() != 19 {
        return Err("the 4K frame type or the 19 registers of x86_64 are missing".into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn conditions_shift_the_labels() -> Result<(), Failed> {
    let (source, _, autoconf) = kernel().ok_or("no kernel tree")?;
    let base = generate(&source, &autoconf).map_err(|e| e.to_string())?;
    // With the hardware debug API, four more TCB methods come before every arch label.
    let text = std::fs::read_to_string(&autoconf)?;
    let more = std::env::temp_dir().join(format!("autoconf-debug-api-{}.h", std::process::id()));
    std::fs::write(
        &more,
        text.replace(
            "#define CONFIG_DEBUG_BUILD 1",
            "#define CONFIG_DEBUG_BUILD 1\n#define CONFIG_HARDWARE_DEBUG_API 1",
        ),
    )?;
    let shifted = generate(&source, &more).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&more);
    if parse_autoconf(&std::fs::read_to_string(&autoconf)?).contains_key("CONFIG_HARDWARE_DEBUG_API") {
        return Err("the test assumes the debug API is off in our config".into());
    }
    let (a, b) = (base.label("X86IOPortOut8"), shifted.label("X86IOPortOut8"));
    if b != a.map(|a| a + 4) {
        return Err(format!("X86IOPortOut8: {a:?} without the debug API, {b:?} with it; want 4 more").into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let ignored = kernel().is_none();
    let tests = vec![
        Trial::test("known_vectors", known_vectors),
        Trial::test("every_number_matches_the_kernels_headers", every_number_matches_the_kernels_headers),
        Trial::test("object_types_sizes_and_registers_match_libsel4", object_types_sizes_and_registers_match_libsel4),
        Trial::test("conditions_shift_the_labels", conditions_shift_the_labels),
    ]
    .into_iter()
    .map(|t| {
        if ignored {
            eprintln!("{}: ignored: no kernel build (run `cargo xtask kernel` first)", t.name());
        }
        t.with_ignored_flag(ignored)
    })
    .collect();
    libtest_mimic::run(&args, tests).exit();
}
