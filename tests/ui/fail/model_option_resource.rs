// bad-at-model: codegen/tests/fixtures/bad-at-model/option_resource.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/option_resource.idl");
}

fn main() {}
