// bad-at-model: codegen/tests/fixtures/bad-at-model/borrow_return.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/borrow_return.idl");
}

fn main() {}
