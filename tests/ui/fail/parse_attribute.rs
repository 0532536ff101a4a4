// bad-at-parse: codegen/tests/fixtures/bad-at-parse/attribute.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/attribute.idl");
}

fn main() {}
