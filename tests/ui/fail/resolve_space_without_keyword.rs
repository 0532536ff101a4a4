// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/space_without_keyword.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/space_without_keyword.idl");
}

fn main() {}
