// bad-at-model: codegen/tests/fixtures/bad-at-model/maps_mixed.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/maps_mixed.idl");
}

fn main() {}
