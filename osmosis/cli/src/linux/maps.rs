//! One line of `/proc/PID/maps`: `start-end perms offset dev inode path`, where the path
//! (optional) is everything after the inode, may hold spaces, ends in " (deleted)" for a
//! file that is gone, and has newlines escaped by the kernel as `\012`.

/// A mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First address and one past the last.
    pub start: u64,
    pub end: u64,
    /// r, w, x; `shared` for `s` (else private).
    pub read: bool,
    pub write: bool,
    pub execute: bool,
    pub shared: bool,
    /// Device (major:minor, as written) and inode of a file-backed mapping (inode 0: none).
    pub dev: String,
    pub inode: u64,
    /// The path or pseudo-path (`[heap]`), if any, unescaped; `deleted` when the file is gone.
    pub path: Option<String>,
    pub deleted: bool,
}

/// What a mapping is, in the words of the model's VMR `kind` attribute.
pub fn kind(m: &Mapping) -> &'static str {
    match m.path.as_deref() {
        Some("[heap]") => "HEAP",
        Some(p) if p.starts_with("[stack") => "STACK",
        Some("[vdso]" | "[vvar]" | "[vsyscall]" | "[vvar_vclock]") => "VDSO",
        Some(p) if p.starts_with("/dev/") && !p.starts_with("/dev/shm/") && !p.starts_with("/dev/zero") => "DEVICE",
        Some(p)
            if m.shared && (p.starts_with("/memfd:") || p.starts_with("/dev/shm/") || p.starts_with("/dev/zero")) =>
        {
            "SHARED_MEMORY"
        }
        Some(p) if p.starts_with('/') && m.inode != 0 => match (m.execute, m.write) {
            (true, _) => "FILE_CODE",
            (false, true) => "FILE_DATA",
            (false, false) => "FILE",
        },
        None if m.shared => "SHARED_MEMORY",
        _ => "ANONYMOUS",
    }
}

/// Why a line is not a mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine(pub &'static str);

fn hex(s: &str) -> Result<u64, BadLine> {
    u64::from_str_radix(s, 16).map_err(|_| BadLine("an address is not hexadecimal"))
}

/// The kernel writes `\n` in a path as `\012` (and a backslash as itself).
fn unescape(p: &str) -> String {
    p.replace("\\012", "\n")
}

/// Parses one line.
pub fn parse(line: &str) -> Result<Mapping, BadLine> {
    // Five fields separated by single spaces, then padding, then the path (which may hold
    // spaces of its own).
    let mut rest = line;
    let mut field = || -> Result<&str, BadLine> {
        let trimmed = rest.trim_start_matches(' ');
        let end = trimmed.find(' ').unwrap_or(trimmed.len());
        let (f, r) = trimmed.split_at(end);
        rest = r;
        if f.is_empty() {
            Err(BadLine("fewer than five fields"))
        } else {
            Ok(f)
        }
    };
    let range = field()?;
    let perms = field()?;
    let _offset = field()?;
    let dev = field()?.to_string();
    let inode: u64 = field()?.parse().map_err(|_| BadLine("the inode is not a number"))?;
    let (start, end) = range.split_once('-').ok_or(BadLine("no address range"))?;
    let (start, end) = (hex(start)?, hex(end)?);
    if end < start {
        return Err(BadLine("the range ends before it starts"));
    }
    let p = perms.as_bytes();
    if p.len() != 4 {
        return Err(BadLine("permissions are not four letters"));
    }
    let path = rest.trim_start_matches(' ');
    let (path, deleted) = match path.strip_suffix(" (deleted)") {
        Some(p) => (p, true),
        None => (path, false),
    };
    Ok(Mapping {
        start,
        end,
        read: p[0] == b'r',
        write: p[1] == b'w',
        execute: p[2] == b'x',
        shared: p[3] == b's',
        dev,
        inode,
        path: (!path.is_empty()).then(|| unescape(path)),
        deleted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_every_shape() {
        let m = parse("55777a854000-55777a859000 r-xp 00002000 fe:00 247030                     /usr/bin/cat")
            .expect("code");
        assert_eq!(
            (m.start, m.end, m.execute, m.write, m.inode),
            (0x55777a854000, 0x55777a859000, true, false, 247030)
        );
        assert_eq!((m.path.as_deref(), kind(&m)), (Some("/usr/bin/cat"), "FILE_CODE"));
        let anon = parse("7f0000000000-7f0000021000 rw-p 00000000 00:00 0").expect("anonymous");
        assert_eq!((anon.path.as_deref(), kind(&anon)), (None, "ANONYMOUS"));
        let padded = parse("7f0000000000-7f0000021000 rw-p 00000000 00:00 0    ").expect("padded");
        assert_eq!(padded.path, None);
        let stack = parse("7ffd1000-7ffd2000 rw-p 00000000 00:00 0                          [stack]").expect("stack");
        assert_eq!(kind(&stack), "STACK");
        let spaces = parse("1000-2000 r--p 00000000 08:01 12 /tmp/a dir/my file (deleted)").expect("spaces");
        assert_eq!((spaces.path.as_deref(), spaces.deleted), (Some("/tmp/a dir/my file"), true));
        let newline = parse("1000-2000 r--p 00000000 08:01 12 /tmp/two\\012lines").expect("newline");
        assert_eq!(newline.path.as_deref(), Some("/tmp/two\nlines"));
        let memfd = parse("1000-2000 rw-s 00000000 00:01 9 /memfd:shared (deleted)").expect("memfd");
        assert_eq!(kind(&memfd), "SHARED_MEMORY");
        let huge = parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]").expect("vsyscall");
        assert_eq!((huge.end - huge.start, kind(&huge)), (4096, "VDSO"));
        for bad in ["", "zz-10 r--p 0 0:0 0", "20-10 r--p 0 0:0 0", "10-20 rw 0 0:0 0", "10-20 r--p 0 0:0 x"] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
