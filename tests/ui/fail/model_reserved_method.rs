// bad-at-model: codegen/tests/fixtures/bad-at-model/reserved_method.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/reserved_method.idl");
}

fn main() {}
