// bad-at-parse: codegen/tests/fixtures/bad-at-parse/missing_import.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/missing_import.idl");
}

fn main() {}
