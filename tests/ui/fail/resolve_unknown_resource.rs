// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/unknown_resource.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/unknown_resource.idl");
}

fn main() {}
