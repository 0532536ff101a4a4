// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/unknown_space.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/unknown_space.idl");
}

fn main() {}
