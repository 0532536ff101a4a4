// bad-at-model: codegen/tests/fixtures/bad-at-model/unmaps_value.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/unmaps_value.idl");
}

fn main() {}
