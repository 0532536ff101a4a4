// bad-at-model: codegen/tests/fixtures/bad-at-model/generated_collision.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/generated_collision.idl");
}

fn main() {}
