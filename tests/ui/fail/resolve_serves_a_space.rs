// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/serves_a_space.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/serves_a_space.idl");
}

fn main() {}
