// bad-at-model: codegen/tests/fixtures/bad-at-model/too_many_caps.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/too_many_caps.idl");
}

fn main() {}
