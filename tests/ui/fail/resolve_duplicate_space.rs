// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/duplicate_space.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/duplicate_space.idl");
}

fn main() {}
