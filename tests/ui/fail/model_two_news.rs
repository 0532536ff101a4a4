// bad-at-model: codegen/tests/fixtures/bad-at-model/two_news.idl
mod generated {
    cellulos::idl!("../../../codegen/tests/fixtures/bad-at-model/two_news.idl");
}

fn main() {}
