//! Compile-time behaviour of `idl!`: bad IDL gives our `idl/x.idl:LINE:COL` messages,
//! bad server or client code gives rustc's (few snapshots of those: rustc's wording
//! changes between releases), and every IDL feature compiles.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
