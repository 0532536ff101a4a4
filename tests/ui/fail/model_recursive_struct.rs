// bad-at-model: codegen/tests/fixtures/bad-at-model/recursive_struct.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/recursive_struct.idl");
}

fn main() {}
