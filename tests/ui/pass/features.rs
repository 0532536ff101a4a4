// Every IDL feature once: scalars, bounded text and bytes, options, structs, enums,
// tuples, new spaces and resources, borrowed, consumed and foreign capabilities, maps.
mod features {
    cellulos::idl!("../../../codegen/tests/fixtures/good/features.idl");
}

fn main() {
    let _: u64 = features::FEATURES_INTERFACE_ID;
    let _: u64 = features::SECOND_INTERFACE_ID;
    let e = features::Everything {
        a: 1, b: 2, c: 3, d: 4, e: -1, f: -2, g: -3, h: -4,
        flag: true,
        name: "n".try_into().unwrap(),
        data: cellulos::runtime::heapless::Vec::new(),
        maybe: Some(None),
        inner: features::Inner { x: 5, kinds: Some(features::Kind::Second) },
        kind: features::Kind::Third,
    };
    let _ = e.clone();
    let _ = features::features_methods::ATTACH;
    let _ = features::second_methods::OPEN;
    let _ = features::FeaturesError::Busy.code();
    let _ = features::SecondError::from_code(0);
}
