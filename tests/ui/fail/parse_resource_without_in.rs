// bad-at-parse: codegen/tests/fixtures/bad-at-parse/resource_without_in.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/resource_without_in.idl");
}

fn main() {}
