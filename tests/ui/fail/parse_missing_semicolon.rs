// bad-at-parse: codegen/tests/fixtures/bad-at-parse/missing_semicolon.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/missing_semicolon.idl");
}

fn main() {}
