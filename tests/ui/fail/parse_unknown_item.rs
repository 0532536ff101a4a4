// bad-at-parse: codegen/tests/fixtures/bad-at-parse/unknown_item.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/unknown_item.idl");
}

fn main() {}
