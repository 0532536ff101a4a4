// bad-at-parse: codegen/tests/fixtures/bad-at-parse/missing_serves.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/missing_serves.idl");
}

fn main() {}
