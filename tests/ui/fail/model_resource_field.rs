// bad-at-model: codegen/tests/fixtures/bad-at-model/resource_field.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/resource_field.idl");
}

fn main() {}
