//! The CellulOS interfaces in `idl/` all check cleanly, and keep the contract later
//! issues build on.

use std::collections::BTreeMap;
use std::path::Path;

use cellulos_codegen::{load, Idl};

fn idl_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../idl"))
}

fn interface(file: &str) -> Idl {
    let path = idl_dir().join(file);
    load(&path, &format!("idl/{file}")).unwrap_or_else(|e| panic!("{e}"))
}

const FILES: [&str; 14] = [
    "memory.idl",
    "cpu.idl",
    "pd.idl",
    "resource_space.idl",
    "block.idl",
    "file.idl",
    "kvstore.idl",
    "vm.idl",
    "test.idl",
    // The example system's servers.
    "counter.idl",
    "greeter.idl",
    "recipient.idl",
    "volume.idl",
    "dir.idl",
];

#[test]
fn every_interface_file_checks() {
    let mut ids = BTreeMap::new();
    for file in FILES {
        let idl = interface(file);
        // The interface a file declares is its own (imports bring only their types).
        let own: Vec<_> = idl.interfaces.iter().filter(|i| i.file == 0).collect();
        assert_eq!(own.len(), 1, "{file} declares one interface");
        let iface = own[0];
        assert_eq!(format!("{}.idl", iface.name), file);
        if let Some(other) = ids.insert(iface.id, iface.name.clone()) {
            panic!("{} and {other} share the id {:#x}", iface.name, iface.id);
        }
    }
    // Every .idl in the folder is one of these.
    let on_disk = std::fs::read_dir(idl_dir())
        .expect("idl/")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "idl")));
    assert_eq!(on_disk.count(), FILES.len());
}

#[test]
fn the_contract_later_issues_rely_on() {
    let memory = interface("memory.idl");
    let m = &memory.interfaces[0];
    let served: Vec<&str> = m.serves.iter().map(|r| memory.resources[*r].name.as_str()).collect();
    assert_eq!(served, ["VMR", "MO"]);
    let vmr = memory.resources.iter().find(|r| r.name == "VMR").expect("VMR");
    assert_eq!(memory.spaces[vmr.space].name, "ADS");
    let attach = m.methods.iter().find(|x| x.name == "attach").expect("attach");
    assert!(attach.maps.is_some());

    let pd = interface("pd.idl");
    let p = pd.interfaces.iter().find(|i| i.name == "pd").expect("pd");
    assert!(p.serves_pd);
    for method in
        ["create", "configure_process", "configure_thread", "add_request", "share_directory", "link", "terminate"]
    {
        assert!(p.methods.iter().any(|x| x.name == method), "pd.{method}");
    }
    // The file system depends on blocks; the kv store on files: what cleanup follows.
    let kv = interface("kvstore.idl");
    assert!(kv.resources.iter().any(|r| r.name == "BLOCK"), "kvstore.idl imports file.idl, which imports block.idl");
}
