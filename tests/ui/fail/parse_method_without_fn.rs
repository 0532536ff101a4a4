// bad-at-parse: codegen/tests/fixtures/bad-at-parse/method_without_fn.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-parse/method_without_fn.idl");
}

fn main() {}
