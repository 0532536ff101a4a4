// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/duplicate_struct.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/duplicate_struct.idl");
}

fn main() {}
