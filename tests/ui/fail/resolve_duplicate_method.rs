// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/duplicate_method.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/duplicate_method.idl");
}

fn main() {}
