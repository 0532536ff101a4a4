//! Interface ids: FNV-1a-64 test vectors, and what does and does not change an id.

use cellulos_codegen::canonical::fnv1a64;
use cellulos_codegen::load_str;

#[test]
fn fnv1a64_test_vectors() {
    // The published FNV-1a 64-bit vectors.
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    // The vector of idl/README.md.
    assert_eq!(fnv1a64(b"interface clock{fn now()->u64;}errors{}"), CLOCK_ID);
}

const CLOCK_ID: u64 = 0x1f29_25d0_a10a_a19b;

const CLOCK: &str = "space CLOCK;\nresource CLOCK in CLOCK;\ninterface clock serves CLOCK { fn now() -> u64; }\n";

fn id_and_signature(text: &str) -> (u64, String) {
    let idl = load_str("t.idl", text).unwrap_or_else(|e| panic!("{e}"));
    (idl.interfaces[0].id, idl.interfaces[0].signature.clone())
}

#[test]
fn canonical_signature_and_id() {
    let (id, signature) = id_and_signature(CLOCK);
    assert_eq!(signature, "interface clock{fn now()->u64;}errors{}");
    assert_eq!(id, CLOCK_ID);
    let text = "space ADS; space MO; resource VMR in ADS; resource MO in MO;\n\
        enum K { A, B } struct S { k: K, n: Option<String<8>> }\n\
        interface m serves VMR, MO {\n\
          fn r(ads: &space ADS, s: S) -> (new VMR, u64);\n\
          fn attach(v: &VMR, mo: &MO) maps v => mo;\n\
          fn back(v: &VMR) -> new MO maps v => return;\n\
          fn give(v: VMR);\n\
          errors { Full }\n\
        }";
    let (_, signature) = id_and_signature(text);
    assert_eq!(
        signature,
        "interface m{fn r(&space ADS,S{k:K{A,B},n:Option<String<8>>})->(new VMR,u64);\
         fn attach(&VMR,&MO) maps 0=>1;fn back(&VMR)->new MO maps 0=>return;fn give(VMR);}errors{Full}"
    );
}

#[test]
fn ids_ignore_names_and_docs_but_not_shape() {
    let (base, _) = id_and_signature(CLOCK);
    // Documentation and parameter names do not change the wire: same id.
    let documented = CLOCK.replace("{ fn now", "{ /// Now.\n fn now");
    assert_eq!(id_and_signature(&documented).0, base);
    let with_param = |p: &str| CLOCK.replace("now()", &format!("now({p}: u32)"));
    assert_eq!(id_and_signature(&with_param("a")).0, id_and_signature(&with_param("b")).0);
    // A new method, another type, another order, another error: another id.
    for changed in [
        CLOCK.replace("-> u64", "-> u32"),
        CLOCK.replace("fn now() -> u64;", "fn now() -> u64; fn later() -> u64;"),
        CLOCK.replace("fn now() -> u64;", "fn now() -> u64; errors { Stopped }"),
        CLOCK.replace("now", "then"),
    ] {
        assert_ne!(id_and_signature(&changed).0, base, "{changed}");
    }
    // A struct's shape is part of the id of every interface using it.
    let with_struct = |field: &str| format!("struct T {{ {field} }}\n{}", CLOCK.replace("-> u64", "-> T"));
    assert_ne!(id_and_signature(&with_struct("a: u8")).0, id_and_signature(&with_struct("a: u16")).0);
}

#[test]
fn method_ids_follow_declaration_order() {
    let text = CLOCK.replace("fn now() -> u64;", "fn now() -> u64; fn a(); fn b();");
    let idl = load_str("t.idl", &text).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<(&str, u32)> = idl.interfaces[0].methods.iter().map(|m| (m.name.as_str(), m.id)).collect();
    assert_eq!(ids, [("now", 1), ("a", 2), ("b", 3)]);
}
