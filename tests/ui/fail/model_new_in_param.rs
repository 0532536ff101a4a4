// bad-at-model: codegen/tests/fixtures/bad-at-model/new_in_param.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/new_in_param.idl");
}

fn main() {}
