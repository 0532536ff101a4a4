// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/duplicate_param.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/duplicate_param.idl");
}

fn main() {}
