// bad-at-parse: codegen/tests/fixtures/bad-at-parse/empty_bound.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/empty_bound.idl");
}

fn main() {}
