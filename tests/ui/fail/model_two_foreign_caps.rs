// bad-at-model: codegen/tests/fixtures/bad-at-model/two_foreign_caps.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/two_foreign_caps.idl");
}

fn main() {}
