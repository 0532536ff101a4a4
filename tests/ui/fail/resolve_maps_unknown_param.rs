// bad-at-resolve: codegen/tests/fixtures/bad-at-resolve/maps_unknown_param.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-resolve/maps_unknown_param.idl");
}

fn main() {}
