//! `osmosis`: check, query, plan cleanups for, diff and convert OSmosis models.
//!
//! Exit codes: 0 success; 1 the model breaks an invariant (`check`) or the models differ
//! (`diff`); 2 bad command line; 3 a file could not be read or written, or a named node
//! is missing or of the wrong kind.

mod linux;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use osmosis::format::{self, Format};
use osmosis::query::{self, Failure, Policy};
use osmosis::{Model, NodeIdx, NodeKind};

/// Exit code for a broken invariant or a difference.
const EXIT_FOUND: u8 = 1;
/// Exit code for unreadable input, a failed write, or a missing node.
const EXIT_INPUT: u8 = 3;

#[derive(Parser)]
#[command(name = "osmosis", version, about = "Check, query, diff and convert OSmosis models")]
#[command(after_help = "Input files are our JSON or the CellulOS CSV (told apart by content).\n\
Exit codes: 0 ok; 1 invariant violations (check) or differences (diff); 2 bad usage;\n\
3 unreadable or malformed input, failed write, or a node that is missing or of the wrong kind.")]
struct Cli {
    /// Declare that resources of type RES live in spaces of type SPACE (RES=SPACE),
    /// extending the type table; repeatable.
    #[arg(long = "space-type", value_name = "RES=SPACE", global = true)]
    space_types: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the model's invariants; exit 1 if any is broken.
    Check {
        /// The model file.
        file: PathBuf,
    },
    /// Count nodes and edges by kind and type.
    Stats {
        /// The model file.
        file: PathBuf,
    },
    /// Ask a question of the model.
    #[command(subcommand)]
    Query(QueryCommand),
    /// Plan the cleanup after a PD fails or a resource space is deleted.
    Cleanup {
        /// The model file.
        file: PathBuf,
        /// The failed PD.
        #[arg(long, conflicts_with = "space", required_unless_present = "space")]
        pd: Option<String>,
        /// The deleted resource space.
        #[arg(long)]
        space: Option<String>,
        /// direct-space, recursive-space, direct-pd, recursive-pd, or PD/SPACE depths
        /// (numbers, or inf), such as 2/inf.
        #[arg(long, default_value = "direct-pd")]
        policy: String,
        /// Print every revoked edge, not only counts per kind.
        #[arg(long)]
        verbose: bool,
    },
    /// Compare two models; exit 1 if they differ.
    Diff {
        /// The old model.
        old: PathBuf,
        /// The new model.
        new: PathBuf,
        /// Print every added and removed node and edge, not only counts.
        #[arg(long)]
        verbose: bool,
    },
    /// The model of the running Linux system, from /proc: processes and threads as PDs,
    /// their address spaces and mappings, open and mapped files, namespaces.
    Linux {
        /// Only these processes (repeatable); all of them when absent.
        #[arg(long = "pid")]
        pids: Vec<u32>,
        /// Where to write; standard output if absent.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// json, csv, neo4j (a directory), cypher, dot or svg.
        #[arg(long, default_value = "json")]
        to: Format,
        /// Also the physical frames behind each mapping (needs /proc/PID/pagemap's frame
        /// numbers: CAP_SYS_ADMIN), as memory objects that shared pages make common.
        #[arg(long)]
        physical: bool,
        /// Read this /proc tree instead of /proc.
        #[arg(long, default_value = "/proc", hide = true)]
        proc_root: PathBuf,
    },
    /// Convert a model to another format.
    Convert {
        /// The model file.
        file: PathBuf,
        /// json, csv, neo4j (a directory of import CSVs), cypher, dot or svg.
        #[arg(long)]
        to: Format,
        /// Where to write (a directory for neo4j); standard output if absent.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum QueryCommand {
    /// The resources and spaces a PD reaches over HOLD/MAP.
    Reach {
        /// The model file.
        file: PathBuf,
        /// The PD.
        pd: String,
        /// Only resources of this type.
        #[arg(long = "type")]
        ty: Option<String>,
    },
    /// The resource similarity index of two PDs, per resource type.
    Rsi {
        /// The model file.
        file: PathBuf,
        /// One PD.
        a: String,
        /// The other PD.
        b: String,
        /// Only this resource type.
        #[arg(long = "type")]
        ty: Option<String>,
    },
    /// The PDs a PD depends on (its trusted computing base).
    Tcb {
        /// The model file.
        file: PathBuf,
        /// The PD.
        pd: String,
    },
    /// The PDs that depend on a PD (its impact boundary).
    Impact {
        /// The model file.
        file: PathBuf,
        /// The PD.
        pd: String,
    },
    /// How many dependency hops a fault in a PD spreads, and to whom.
    FaultRadius {
        /// The model file.
        file: PathBuf,
        /// The PD.
        pd: String,
    },
}

/// A failure that ends the command with an exit code.
struct Fail(u8, String);

fn input<E: std::fmt::Display>(e: E) -> Fail {
    Fail(EXIT_INPUT, e.to_string())
}

fn load(path: &Path, space_types: &[(String, String)]) -> Result<Model, Fail> {
    let mut model = format::read_path(path).map_err(input)?;
    for (resource, space) in space_types {
        model.types.insert(resource, space);
    }
    Ok(model)
}

fn find(model: &Model, id: &str, kind: NodeKind) -> Result<NodeIdx, Fail> {
    let idx = model.find(id).ok_or_else(|| input(format!("no node {id:?} in the model")))?;
    let found = model.node(idx).kind;
    if found != kind {
        return Err(input(format!("{id} is a {found}, not a {kind}")));
    }
    Ok(idx)
}

fn run(cli: Cli) -> Result<u8, Fail> {
    let space_types: Vec<(String, String)> = cli
        .space_types
        .iter()
        .map(|s| {
            s.split_once('=')
                .map(|(r, sp)| (r.to_string(), sp.to_string()))
                .ok_or_else(|| Fail(2, format!("--space-type {s:?}: expected RES=SPACE")))
        })
        .collect::<Result<_, _>>()?;
    let load = |p: &Path| load(p, &space_types);
    let mut out = String::new();
    let code = match cli.command {
        Command::Check { file } => {
            let model = load(&file)?;
            let violations = osmosis::check(&model);
            for v in &violations {
                out.push_str(&format!("{}: {v}\n", file.display()));
            }
            out.push_str(&format!(
                "{}: {} nodes, {} edges, {} violation{}\n",
                file.display(),
                model.node_count(),
                model.edge_count(),
                violations.len(),
                if violations.len() == 1 { "" } else { "s" }
            ));
            if violations.is_empty() {
                0
            } else {
                EXIT_FOUND
            }
        }
        Command::Stats { file } => {
            out = report::stats(&query::stats(&load(&file)?));
            0
        }
        Command::Query(q) => {
            out = query_command(q, &load)?;
            0
        }
        Command::Cleanup { file, pd, space, policy, verbose } => {
            let model = load(&file)?;
            let policy: Policy = policy.parse().map_err(|e| Fail(2, format!("{e}")))?;
            let failure = match (pd, space) {
                (Some(pd), _) => Failure::Pd(find(&model, &pd, NodeKind::Pd)?),
                (None, Some(space)) => Failure::Space(find(&model, &space, NodeKind::Space)?),
                (None, None) => return Err(Fail(2, "give --pd or --space".into())),
            };
            let plan = query::plan_cleanup(&model, failure, policy).map_err(input)?;
            out = report::cleanup(&model, &plan, verbose);
            0
        }
        Command::Diff { old, new, verbose } => {
            let d = query::diff(&load(&old)?, &load(&new)?);
            out = report::diff(&d, verbose);
            if d.is_empty() {
                0
            } else {
                EXIT_FOUND
            }
        }
        Command::Linux { pids, output, to, physical, proc_root } => {
            let scan = linux::scan::scan(&proc_root, &pids, physical).map_err(input)?;
            let k = &scan.skipped;
            if k.unprivileged {
                eprintln!(
                    "osmosis: note: /proc/PID/pagemap gives no frame numbers without CAP_SYS_ADMIN: \
                     no physical memory in the model (the rest is complete)"
                );
            }
            eprintln!(
                "osmosis: {} processes, {} threads, {} nodes, {} edges; skipped: {} gone, {} unreadable, \
                 {} malformed lines, {} kernel threads without memory, {} regions too large for --physical, \
                 {} network namespaces whose unix socket peers it may not ask",
                scan.processes,
                scan.threads,
                scan.model.node_count(),
                scan.model.edge_count(),
                k.gone,
                k.unreadable,
                k.malformed,
                k.kernel_threads,
                k.too_large,
                k.unix_unasked
            );
            write_model(&scan.model, to, output.as_deref())?;
            0
        }
        Command::Convert { file, to, output } => {
            write_model(&load(&file)?, to, output.as_deref())?;
            0
        }
    };
    print!("{out}");
    Ok(code)
}

/// Writes `model` as `to` to `output` (a directory for neo4j), or to standard output.
fn write_model(model: &Model, to: Format, output: Option<&Path>) -> Result<(), Fail> {
    match output {
        Some(path) => format::write_path(model, to, path).map_err(input),
        None if to == Format::Neo4j => {
            Err(Fail(2, "--to neo4j writes a directory of CSV files: give it with -o DIR".into()))
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            format::write(model, to, &mut lock).map_err(input)?;
            std::io::Write::flush(&mut lock).map_err(input)
        }
    }
}

fn query_command(q: QueryCommand, load: &dyn Fn(&Path) -> Result<Model, Fail>) -> Result<String, Fail> {
    Ok(match q {
        QueryCommand::Reach { file, pd, ty } => {
            let model = load(&file)?;
            let p = find(&model, &pd, NodeKind::Pd)?;
            let nodes = match ty {
                Some(ty) => query::reach_of_type(&model, p, &ty),
                None => query::reach(&model, p),
            };
            report::reach(&model, &pd, &nodes)
        }
        QueryCommand::Rsi { file, a, b, ty } => {
            let model = load(&file)?;
            let (pa, pb) = (find(&model, &a, NodeKind::Pd)?, find(&model, &b, NodeKind::Pd)?);
            let rows = match ty {
                Some(ty) => vec![query::rsi(&model, pa, pb, &ty)],
                None => query::rsi_all(&model, pa, pb),
            };
            report::rsi(&a, &b, &rows)
        }
        QueryCommand::Tcb { file, pd } => {
            let model = load(&file)?;
            let p = find(&model, &pd, NodeKind::Pd)?;
            report::tcb(&model, p, &query::tcb(&model, p))
        }
        QueryCommand::Impact { file, pd } => {
            let model = load(&file)?;
            let p = find(&model, &pd, NodeKind::Pd)?;
            report::pd_list(&model, &format!("impact boundary of {pd}"), &query::impact(&model, p))
        }
        QueryCommand::FaultRadius { file, pd } => {
            let model = load(&file)?;
            let p = find(&model, &pd, NodeKind::Pd)?;
            report::fault_radius(&model, &pd, &query::fault_radius(&model, p))
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Fail(code, message)) => {
            eprintln!("osmosis: {message}");
            ExitCode::from(code)
        }
    }
}
