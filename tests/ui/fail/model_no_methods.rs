// bad-at-model: codegen/tests/fixtures/bad-at-model/no_methods.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/no_methods.idl");
}

fn main() {}
