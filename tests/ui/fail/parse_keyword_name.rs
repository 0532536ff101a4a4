// bad-at-parse: codegen/tests/fixtures/bad-at-parse/keyword_name.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/keyword_name.idl");
}

fn main() {}
