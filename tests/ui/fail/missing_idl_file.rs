// The IDL file does not exist.
mod generated {
    cellulos::idl!("no/such/file.idl");
}

fn main() {}
