// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/interface_as_type.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/interface_as_type.idl");
}

fn main() {}
