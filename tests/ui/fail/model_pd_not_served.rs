// bad-at-model: codegen/tests/fixtures/bad-at-model/pd_not_served.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/pd_not_served.idl");
}

fn main() {}
