// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/unknown_type.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/unknown_type.idl");
}

fn main() {}
