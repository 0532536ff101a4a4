// The macro takes a path and, optionally, `runtime = path`.
mod generated {
    cellulos::idl!("../idl/clock.idl", crate_path = ::cellulos::runtime);
}

fn main() {}
