// bad-at-parse: codegen/tests/fixtures/bad-at-parse/unbalanced_brace.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/unbalanced_brace.idl");
}

fn main() {}
