//! The core CellulOS interfaces, generated from `idl/`, end to end through the loopback:
//! calls, new and borrowed and consumed handles, errors, and the model afterwards (the
//! edges the calls imply, and the invariant checker's approval of the merged model).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use cellulos::interfaces::{cpu, file, kvstore, memory, pd, resource_space};
use cellulos::osmosis;
use cellulos::runtime::handle::Handle;
use cellulos::runtime::heapless::{String as HString, Vec as HVec};
use cellulos::runtime::loopback::Loopback;
use cellulos::runtime::server::{merge, Foreign, Fragment, Held, New, ObjectId, Pd};
use cellulos::runtime::{Badge, CallError, Cap, Status};

const ROOT: Badge = 1;
const ALICE: Badge = 10;
const BOB: Badge = 11;
const FS: Badge = 20;
const KV: Badge = 30;

fn pd_name(badge: Badge) -> String {
    format!("PD_{badge}")
}

// ---------------------------------------------------------------- memory

/// A region: (address space key, vaddr, pages, kind, attached MO key).
type Region = (u64, u64, u32, memory::RegionKind, Option<u64>);

#[derive(Default)]
struct Memory {
    physical: ObjectId,
    regions: Vec<Option<Region>>,
    spaces: u64,
    mos: Vec<Option<u32>>,
}

impl memory::MemoryServer for Memory {
    fn own_ads(&mut self, _: Badge) -> Result<New<memory::spaces::ADS>, memory::MemoryError> {
        Err(memory::MemoryError::AlreadyHeld)
    }
    fn create_ads(&mut self, _: Badge) -> Result<New<memory::spaces::ADS>, memory::MemoryError> {
        self.spaces += 1;
        Ok(New::object(self.spaces))
    }
    fn destroy_ads(&mut self, _: Badge, ads: Held<memory::spaces::ADS>) -> Result<(), memory::MemoryError> {
        for r in self.regions.iter_mut() {
            if r.is_some_and(|r| r.0 == ads.key) {
                *r = None;
            }
        }
        Ok(())
    }
    fn reserve(
        &mut self,
        _: Badge,
        ads: Held<memory::spaces::ADS>,
        vaddr: Option<u64>,
        pages: u32,
        kind: memory::RegionKind,
    ) -> Result<New<memory::resources::VMR>, memory::MemoryError> {
        let start = vaddr.unwrap_or(0x1000_0000 + 0x10_0000 * self.regions.len() as u64);
        let end = start + u64::from(pages) * 4096;
        let overlaps = self
            .regions
            .iter()
            .flatten()
            .any(|(a, v, p, _, _)| *a == ads.key && start < v + u64::from(*p) * 4096 && *v < end);
        if overlaps {
            return Err(memory::MemoryError::Overlap);
        }
        self.regions.push(Some((ads.key, start, pages, kind, None)));
        Ok(New::resource(self.regions.len() as u64 - 1, ads.id))
    }
    fn allocate(
        &mut self,
        _: Badge,
        pages: u32,
        page_bits: u8,
    ) -> Result<New<memory::resources::MO>, memory::MemoryError> {
        if page_bits != 12 || pages == 0 {
            return Err(memory::MemoryError::BadSize);
        }
        self.mos.push(Some(pages));
        Ok(New::resource(self.mos.len() as u64 - 1, self.physical))
    }
    fn attach(
        &mut self,
        _: Badge,
        vmr: Held<memory::resources::VMR>,
        mo: Held<memory::resources::MO>,
        _offset: u32,
        _rights: memory::Rights,
    ) -> Result<(), memory::MemoryError> {
        let region = self.regions[vmr.key as usize].as_mut().ok_or(memory::MemoryError::BadAddress)?;
        if region.4.is_some() {
            return Err(memory::MemoryError::AlreadyAttached);
        }
        region.4 = Some(mo.key);
        Ok(())
    }
    fn reserve_attached(
        &mut self,
        caller: Badge,
        ads: Held<memory::spaces::ADS>,
        vaddr: Option<u64>,
        mo: Held<memory::resources::MO>,
        kind: memory::RegionKind,
        _rights: memory::Rights,
    ) -> Result<New<memory::resources::VMR>, memory::MemoryError> {
        let pages = self.mos[mo.key as usize].ok_or(memory::MemoryError::BadAddress)?;
        let new = self.reserve(caller, ads, vaddr, pages, kind)?;
        if let Some(r) = self.regions[new.key as usize].as_mut() {
            r.4 = Some(mo.key);
        }
        Ok(new)
    }
    fn detach(&mut self, _: Badge, vmr: Held<memory::resources::VMR>) -> Result<(), memory::MemoryError> {
        let region = self.regions[vmr.key as usize].as_mut().ok_or(memory::MemoryError::BadAddress)?;
        region.4.take().map(|_| ()).ok_or(memory::MemoryError::NotAttached)
    }
    fn remove(&mut self, _: Badge, vmr: Held<memory::resources::VMR>) -> Result<(), memory::MemoryError> {
        self.regions[vmr.key as usize] = None;
        Ok(())
    }
    fn free(&mut self, _: Badge, mo: Held<memory::resources::MO>) -> Result<(), memory::MemoryError> {
        if self.regions.iter().flatten().any(|r| r.4 == Some(mo.key)) {
            return Err(memory::MemoryError::InUse);
        }
        self.mos[mo.key as usize] = None;
        Ok(())
    }
    fn region_info(
        &mut self,
        _: Badge,
        vmr: Held<memory::resources::VMR>,
    ) -> Result<memory::RegionInfo, memory::MemoryError> {
        let (_, vaddr, pages, kind, mo) = self.regions[vmr.key as usize].ok_or(memory::MemoryError::BadAddress)?;
        Ok(memory::RegionInfo { vaddr, pages, page_bits: 12, kind, attached: mo.is_some() })
    }
    fn mo_info(&mut self, _: Badge, mo: Held<memory::resources::MO>) -> Result<memory::MoInfo, memory::MemoryError> {
        let pages = self.mos[mo.key as usize].ok_or(memory::MemoryError::BadAddress)?;
        Ok(memory::MoInfo { paddr: 0x8000_0000 + mo.key * 0x10_0000, pages, page_bits: 12 })
    }
    fn copy(
        &mut self,
        _: Badge,
        _from: Held<memory::resources::VMR>,
        _to: Held<memory::resources::VMR>,
    ) -> Result<(), memory::MemoryError> {
        Ok(())
    }
    fn map_to_physical(
        &mut self,
        _: Badge,
        _ads: Held<memory::spaces::ADS>,
        _memory: Held<memory::spaces::MO>,
    ) -> Result<(), memory::MemoryError> {
        Ok(())
    }
}

fn rights() -> memory::Rights {
    memory::Rights { read: true, write: true, execute: false }
}

fn edges(model: &osmosis::Model) -> Vec<String> {
    let mut e: Vec<String> = model.edge_keys().iter().map(|(k, f, t, _, _)| format!("{f} {k} {t}")).collect();
    e.sort();
    e
}

#[test]
fn memory_regions_objects_and_their_model() {
    let bus = Loopback::new();
    let mut service = memory::MemoryService::new(Memory::default(), ROOT);
    let (physical, phys_badge) = service.book.add_space::<memory::spaces::MO>(0, ROOT).expect("MO space");
    service.server.physical = physical;
    let service = Rc::new(RefCell::new(service));
    let ep = bus.add_server(service.clone());
    let mut alice = memory::MemoryClient::new(bus.connect(ep, ALICE));

    let ads = alice.create_ads().expect("ads");
    let heap = alice.reserve(&ads, Some(0x4000_0000), 4, memory::RegionKind::Heap).expect("reserve");
    assert_eq!(
        alice.reserve(&ads, Some(0x4000_1000), 1, memory::RegionKind::Heap),
        Err(CallError::App(memory::MemoryError::Overlap))
    );
    let frames = alice.allocate(4, 12).expect("allocate");
    assert_eq!(alice.allocate(4, 21), Err(CallError::App(memory::MemoryError::BadSize)));
    alice.attach(&heap, &frames, 0, rights()).expect("attach");
    assert_eq!(alice.attach(&heap, &frames, 0, rights()), Err(CallError::App(memory::MemoryError::AlreadyAttached)));
    let info = alice.region_info(&heap).expect("info");
    assert_eq!((info.vaddr, info.pages, info.attached), (0x4000_0000, 4, true));
    // The ADS translates to physical memory (ADS -> MO space MAP). Alice holds her ADS but
    // not the MO space, so she cannot say so; once the root grants her a hold on it at
    // boot (a capability in her system description), she can.
    let not_hers: Handle<memory::spaces::MO> = Handle::new(bus.grant(ep, phys_badge));
    assert_eq!(alice.map_to_physical(&ads, &not_hers), Err(CallError::Status(Status::NotHolder)));
    let alices_badge = service.borrow_mut().book.grant(ALICE, physical, 1).expect("grant");
    let physical_space: Handle<memory::spaces::MO> = Handle::new(bus.grant(ep, alices_badge));
    alice.map_to_physical(&ads, &physical_space).expect("map to physical");

    let model = service.borrow().export("mem", pd_name).expect("export").model;
    assert_eq!(
        edges(&model),
        [
            "MO_mem_3 SUBSET MO_SPACE_mem_0",
            "PD_1 HOLD MO_SPACE_mem_0",
            "PD_10 HOLD MO_SPACE_mem_0",
            "PD_10 HOLD ADS_SPACE_mem_1",
            "PD_10 HOLD MO_mem_3",
            "PD_10 HOLD VMR_mem_2",
            "VMR_mem_2 MAP MO_mem_3",
            "VMR_mem_2 SUBSET ADS_SPACE_mem_1",
            "ADS_SPACE_mem_1 MAP MO_SPACE_mem_0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    assert_eq!(osmosis::check(&model), vec![]);

    // Detach ends the MAP; freeing a mapped MO is refused; remove consumes the region.
    assert_eq!(alice.free(frames), Err(CallError::App(memory::MemoryError::InUse)));
    alice.detach(&heap).expect("detach");
    assert!(!edges(&service.borrow().export("mem", pd_name).expect("export").model)
        .contains(&"VMR_mem_2 MAP MO_mem_3".to_string()));
    alice.remove(heap).expect("remove");
    alice.free(frames).expect("free");
    let model = service.borrow().export("mem", pd_name).expect("export").model;
    assert!(model.find("VMR_mem_2").is_none() && model.find("MO_mem_3").is_none());
    assert_eq!(alice.region_info(&heap), Err(CallError::Transport(cellulos::runtime::TransportError::DeadCapability)));
    // Someone else's handle is refused.
    let mut bob = memory::MemoryClient::new(bus.connect(ep, BOB));
    assert_eq!(bob.reserve(&ads, None, 1, memory::RegionKind::Stack), Err(CallError::Status(Status::NotHolder)));

    // Destroying an address space takes its regions with it, and their capabilities.
    let stack = alice.reserve(&ads, None, 2, memory::RegionKind::Stack).expect("reserve");
    alice.destroy_ads(ads).expect("destroy");
    let model = service.borrow().export("mem", pd_name).expect("export").model;
    assert_eq!(model.nodes_of(osmosis::NodeKind::Resource).count(), 0, "{:?}", edges(&model));
    assert!(model.find("ADS_SPACE_mem_1").is_none());
    assert_eq!(osmosis::check(&model), vec![]);
    assert_eq!(alice.region_info(&stack), Err(CallError::Transport(cellulos::runtime::TransportError::DeadCapability)));
}

// ---------------------------------------------------------------- cpu (a foreign capability)

#[derive(Default)]
struct Cpus {
    vcpus: ObjectId,
    cores: ObjectId,
    cpus: Vec<(u8, bool, bool)>,
    bound_to: Vec<Cap>,
}

impl cpu::CpuServer for Cpus {
    fn create(&mut self, _: Badge, priority: u8) -> Result<New<cpu::resources::VCPU>, cpu::CpuError> {
        if priority > 254 {
            return Err(cpu::CpuError::BadPriority);
        }
        self.cpus.push((priority, false, false));
        Ok(New::resource(self.cpus.len() as u64 - 1, self.vcpus))
    }
    fn bind(
        &mut self,
        _: Badge,
        cpu: Held<cpu::resources::VCPU>,
        ads: Foreign<cpu::spaces::ADS>,
    ) -> Result<(), cpu::CpuError> {
        self.cpus[cpu.key as usize].1 = true;
        self.bound_to.push(ads.cap);
        Ok(())
    }
    fn set_ipc_buffer(
        &mut self,
        _: Badge,
        _cpu: Held<cpu::resources::VCPU>,
        _buffer: Foreign<cpu::resources::VMR>,
    ) -> Result<(), cpu::CpuError> {
        Ok(())
    }
    fn write_registers(
        &mut self,
        _: Badge,
        _cpu: Held<cpu::resources::VCPU>,
        _registers: cpu::Registers,
    ) -> Result<(), cpu::CpuError> {
        Ok(())
    }
    fn read_registers(&mut self, _: Badge, _cpu: Held<cpu::resources::VCPU>) -> Result<cpu::Registers, cpu::CpuError> {
        Ok(cpu::Registers { rip: 0x40_0000, rsp: 0x7fff_0000, rflags: 0x202, rdi: 0, rsi: 0, rdx: 0, fs_base: 0 })
    }
    fn start(&mut self, _: Badge, cpu: Held<cpu::resources::VCPU>) -> Result<(), cpu::CpuError> {
        let c = &mut self.cpus[cpu.key as usize];
        if !c.1 {
            return Err(cpu::CpuError::NotBound);
        }
        c.2 = true;
        Ok(())
    }
    fn stop(&mut self, _: Badge, cpu: Held<cpu::resources::VCPU>) -> Result<(), cpu::CpuError> {
        self.cpus[cpu.key as usize].2 = false;
        Ok(())
    }
    fn elevate(&mut self, _: Badge, cpu: Held<cpu::resources::VCPU>, priority: u8) -> Result<(), cpu::CpuError> {
        self.cpus[cpu.key as usize].0 = priority;
        Ok(())
    }
    fn claim_core(&mut self, _: Badge, index: u8) -> Result<New<cpu::resources::PCPU>, cpu::CpuError> {
        if index != 0 {
            return Err(cpu::CpuError::NoSuchCore);
        }
        Ok(New::resource(0, self.cores))
    }
    fn pin(
        &mut self,
        _: Badge,
        _cpu: Held<cpu::resources::VCPU>,
        _core: Held<cpu::resources::PCPU>,
    ) -> Result<(), cpu::CpuError> {
        Ok(())
    }
    fn info(&mut self, _: Badge, cpu: Held<cpu::resources::VCPU>) -> Result<cpu::CpuInfo, cpu::CpuError> {
        let (priority, bound, running) = self.cpus[cpu.key as usize];
        let state = if running { cpu::CpuState::Running } else { cpu::CpuState::Created };
        Ok(cpu::CpuInfo { priority, state, bound, core: None })
    }
    fn destroy(&mut self, _: Badge, _cpu: Held<cpu::resources::VCPU>) -> Result<(), cpu::CpuError> {
        Ok(())
    }
}

#[test]
fn cpus_take_a_foreign_address_space_and_map_onto_cores() {
    let bus = Loopback::new();
    let memory_ep = bus.add_server(Rc::new(RefCell::new(memory::MemoryService::new(Memory::default(), ROOT))));
    let mut cpus = cpu::CpuService::new(Cpus::default(), ROOT);
    let (vcpus, _) = cpus.book.add_space::<cpu::spaces::VCPU>(0, ROOT).expect("space");
    let (cores, _) = cpus.book.add_space::<cpu::spaces::PCPU>(1, ROOT).expect("space");
    cpus.book.map(vcpus, cellulos::runtime::server::MapTarget::Local(cores));
    (cpus.server.vcpus, cpus.server.cores) = (vcpus, cores);
    let cpus = Rc::new(RefCell::new(cpus));
    let cpu_ep = bus.add_server(cpus.clone());

    let mut mem = memory::MemoryClient::new(bus.connect(memory_ep, ALICE));
    let mut alice = cpu::CpuClient::new(bus.connect(cpu_ep, ALICE));
    let ads = mem.create_ads().expect("ads");
    let vcpu = alice.create(100).expect("create");
    assert_eq!(alice.create(255), Err(CallError::App(cpu::CpuError::BadPriority)));
    assert_eq!(alice.start(&vcpu), Err(CallError::App(cpu::CpuError::NotBound)));
    // The ADS capability is another server's object: it arrives in the receive slot as is.
    let ads_as_cpu_sees_it: Handle<cpu::spaces::ADS> = Handle::new(ads.cap);
    alice.bind(&vcpu, &ads_as_cpu_sees_it).expect("bind");
    assert_eq!(cpus.borrow().server.bound_to, [ads.cap]);
    alice.start(&vcpu).expect("start");
    assert_eq!(alice.info(&vcpu).expect("info").state, cpu::CpuState::Running);
    let core = alice.claim_core(0).expect("core 0");
    assert_eq!(alice.claim_core(1), Err(CallError::App(cpu::CpuError::NoSuchCore)));
    alice.pin(&vcpu, &core).expect("pin");
    let model = cpus.borrow().export("cpu", pd_name).expect("export").model;
    let e = edges(&model);
    assert!(e.contains(&"VCPU_cpu_2 MAP PCPU_cpu_3".to_string()), "{e:?}");
    assert!(e.contains(&"VCPU_SPACE_cpu_0 MAP PCPU_SPACE_cpu_1".to_string()), "{e:?}");
    assert_eq!(osmosis::check(&model), vec![]);
}

// ---------------------------------------------------------------- resource spaces

#[derive(Default)]
struct Spaces {
    registered: Vec<(String, String, u32)>,
}

impl resource_space::ResourceSpaceServer for Spaces {
    fn register(
        &mut self,
        _: Badge,
        resource_type: HString<32>,
        space_type: HString<32>,
    ) -> Result<New<resource_space::spaces::RESSPC>, resource_space::ResourceSpaceError> {
        if resource_type.is_empty() {
            return Err(resource_space::ResourceSpaceError::UnknownType);
        }
        self.registered.push((resource_type.to_string(), space_type.to_string(), 0));
        Ok(New::object(self.registered.len() as u64 - 1))
    }
    fn delete(
        &mut self,
        _: Badge,
        _space: Held<resource_space::spaces::RESSPC>,
    ) -> Result<(), resource_space::ResourceSpaceError> {
        Ok(())
    }
    fn map_space(
        &mut self,
        _: Badge,
        space: Held<resource_space::spaces::RESSPC>,
        onto: Held<resource_space::spaces::RESSPC>,
    ) -> Result<(), resource_space::ResourceSpaceError> {
        if space.key == onto.key {
            return Err(resource_space::ResourceSpaceError::Cycle);
        }
        Ok(())
    }
    fn create_resource(
        &mut self,
        _: Badge,
        space: Held<resource_space::spaces::RESSPC>,
        local_id: u64,
    ) -> Result<New<resource_space::resources::RESOURCE>, resource_space::ResourceSpaceError> {
        self.registered[space.key as usize].2 += 1;
        Ok(New::resource(local_id, space.id))
    }
    fn delete_resource(
        &mut self,
        _: Badge,
        _resource: Held<resource_space::resources::RESOURCE>,
    ) -> Result<(), resource_space::ResourceSpaceError> {
        Ok(())
    }
    fn map_resource(
        &mut self,
        _: Badge,
        _resource: Held<resource_space::resources::RESOURCE>,
        _onto: Held<resource_space::resources::RESOURCE>,
    ) -> Result<(), resource_space::ResourceSpaceError> {
        Ok(())
    }
    fn info(
        &mut self,
        _: Badge,
        space: Held<resource_space::spaces::RESSPC>,
    ) -> Result<resource_space::SpaceInfo, resource_space::ResourceSpaceError> {
        let (r, s, n) = &self.registered[space.key as usize];
        Ok(resource_space::SpaceInfo {
            resource_type: r.as_str().try_into().unwrap_or_default(),
            space_type: s.as_str().try_into().unwrap_or_default(),
            resources: *n,
            maps_onto: 0,
        })
    }
}

#[test]
fn servers_register_spaces_of_new_types_and_map_them() {
    let bus = Loopback::new();
    let service = Rc::new(RefCell::new(resource_space::ResourceSpaceService::new(Spaces::default(), ROOT)));
    let ep = bus.add_server(service.clone());
    let mut fs = resource_space::ResourceSpaceClient::new(bus.connect(ep, FS));
    let s = |t: &str| -> HString<32> { t.try_into().expect("short") };
    let files = fs.register(s("FILE"), s("FILE")).expect("register");
    let blocks = fs.register(s("BLOCK"), s("BLOCK")).expect("register");
    assert_eq!(fs.register(s(""), s("X")), Err(CallError::App(resource_space::ResourceSpaceError::UnknownType)));
    fs.map_space(&files, &blocks).expect("FILE space onto BLOCK space");
    assert_eq!(fs.map_space(&files, &files), Err(CallError::App(resource_space::ResourceSpaceError::Cycle)));
    let f = fs.create_resource(&files, 7).expect("file");
    let b = fs.create_resource(&blocks, 9).expect("block");
    fs.map_resource(&f, &b).expect("file onto block");
    assert_eq!(fs.info(&files).expect("info").resources, 1);
    let model = service.borrow().export("rs", pd_name).expect("export").model;
    assert_eq!(osmosis::check(&model), vec![], "resource MAP with its space MAP");
    fs.delete_resource(f).expect("delete");
    let model = service.borrow().export("rs", pd_name).expect("export").model;
    assert!(!edges(&model).iter().any(|e| e.contains(" MAP RESOURCE")), "the MAP left with the resource");
}

// ---------------------------------------------------------------- pd

#[derive(Default)]
struct Pds {
    pds: Vec<(String, bool, u32)>,
    requests: Vec<(u64, u64, String)>,
}

impl pd::PdServer for Pds {
    fn own_pd(&mut self, _: Badge) -> Result<New<Pd>, pd::PdError> {
        Err(pd::PdError::AlreadyHeld)
    }
    fn create(&mut self, _: Badge, name: HString<32>) -> Result<New<Pd>, pd::PdError> {
        self.pds.push((name.to_string(), false, 0));
        Ok(New::object(self.pds.len() as u64 - 1))
    }
    fn configure_process(&mut self, _: Badge, target: Held<Pd>, config: pd::ProcessConfig) -> Result<(), pd::PdError> {
        if config.image.is_empty() {
            return Err(pd::PdError::BadImage);
        }
        self.pds[target.key as usize].2 = config.stack_pages;
        Ok(())
    }
    fn configure_thread(
        &mut self,
        _: Badge,
        target: Held<Pd>,
        _parent: Held<Pd>,
        _config: pd::ThreadConfig,
    ) -> Result<(), pd::PdError> {
        self.pds[target.key as usize].2 = 1;
        Ok(())
    }
    fn share_region(
        &mut self,
        _: Badge,
        _target: Held<Pd>,
        _region: Foreign<pd::resources::VMR>,
        _how: pd::Sharing,
    ) -> Result<(), pd::PdError> {
        Ok(())
    }
    fn add_request(
        &mut self,
        _: Badge,
        target: Held<Pd>,
        server: Held<Pd>,
        resource_type: HString<32>,
    ) -> Result<(), pd::PdError> {
        self.requests.push((target.key, server.key, resource_type.to_string()));
        Ok(())
    }
    fn share_directory(&mut self, _: Badge, _target: Held<Pd>) -> Result<(), pd::PdError> {
        Ok(())
    }
    fn link(&mut self, _: Badge, _a: Held<Pd>, _b: Held<Pd>) -> Result<(), pd::PdError> {
        Ok(())
    }
    fn start(&mut self, _: Badge, target: Held<Pd>) -> Result<(), pd::PdError> {
        let p = &mut self.pds[target.key as usize];
        if p.2 == 0 {
            return Err(pd::PdError::NotConfigured);
        }
        p.1 = true;
        Ok(())
    }
    fn terminate(&mut self, _: Badge, target: Held<Pd>) -> Result<(), pd::PdError> {
        self.pds[target.key as usize].1 = false;
        Ok(())
    }
    fn info(&mut self, _: Badge, target: Held<Pd>) -> Result<pd::PdInfo, pd::PdError> {
        let (name, running, _) = &self.pds[target.key as usize];
        Ok(pd::PdInfo {
            name: name.as_str().try_into().unwrap_or_default(),
            running: *running,
            faulted: false,
            holds: 0,
            requests: 0,
        })
    }
    fn dump_model(&mut self, caller: Badge) -> Result<pd::ModelSummary, pd::PdError> {
        if caller != ROOT {
            return Err(pd::PdError::NotAllowed);
        }
        Ok(pd::ModelSummary { pds: self.pds.len() as u32, resources: 0, spaces: 0, edges: 0, bytes: 0 })
    }
}

#[test]
fn pds_are_created_configured_connected_and_terminated() {
    let bus = Loopback::new();
    let service = Rc::new(RefCell::new(pd::PdService::new(Pds::default(), ROOT)));
    let ep = bus.add_server(service.clone());
    let mut alice = pd::PdClient::new(bus.connect(ep, ALICE));
    let name = |n: &str| -> HString<32> { n.try_into().expect("short") };
    let child = alice.create(name("child")).expect("create");
    let server = alice.create(name("server")).expect("create");
    assert_eq!(alice.start(&child), Err(CallError::App(pd::PdError::NotConfigured)));
    let config =
        pd::ProcessConfig { image: "hello".try_into().expect("image"), stack_pages: 16, heap_pages: 64, priority: 100 };
    alice.configure_process(&child, config).expect("configure");
    alice.add_request(&child, &server, name("FILE")).expect("request");
    alice.start(&child).expect("start");
    assert!(alice.info(&child).expect("info").running);
    assert_eq!(alice.dump_model(), Err(CallError::App(pd::PdError::NotAllowed)));
    // The creator holds the PDs it made, with the right to terminate them.
    let model = service.borrow().export("pd", pd_name).expect("export").model;
    let holds: Vec<_> =
        model.edges().filter(|(_, e)| e.kind == osmosis::EdgeKind::Hold).map(|(_, e)| e.perms.to_string()).collect();
    assert_eq!(holds, ["t", "t"]);
    assert_eq!(osmosis::check(&model), vec![]);
    alice.terminate(child).expect("terminate");
    assert_eq!(
        service.borrow().export("pd", pd_name).expect("export").model.nodes_of(osmosis::NodeKind::Pd).count(),
        2
    );
    assert_eq!(service.borrow().server.requests, [(0, 1, "FILE".to_string())]);
}

// ---------------------------------------------------------------- file + kvstore: a MAP across servers

#[derive(Default)]
struct Files {
    namespace: ObjectId,
    files: Vec<String>,
}

impl file::FileServer for Files {
    fn create_namespace(
        &mut self,
        _: Badge,
        _device: Foreign<file::resources::BLOCK>,
    ) -> Result<New<file::spaces::FILE>, file::FileError> {
        Ok(New::object(0))
    }
    fn open(
        &mut self,
        _: Badge,
        namespace: Held<file::spaces::FILE>,
        path: HString<255>,
        flags: file::OpenFlags,
    ) -> Result<New<file::resources::FILE>, file::FileError> {
        if !flags.create && !self.files.iter().any(|f| f == path.as_str()) {
            return Err(file::FileError::NotFound);
        }
        self.files.push(path.to_string());
        let _ = self.namespace;
        Ok(New::resource(self.files.len() as u64 - 1, namespace.id))
    }
    fn read(
        &mut self,
        _: Badge,
        _file: Held<file::resources::FILE>,
        _offset: u64,
        _length: u32,
    ) -> Result<HVec<u8, 4096>, file::FileError> {
        Ok(HVec::new())
    }
    fn write(
        &mut self,
        _: Badge,
        _file: Held<file::resources::FILE>,
        _offset: u64,
        data: HVec<u8, 4096>,
    ) -> Result<u32, file::FileError> {
        Ok(data.len() as u32)
    }
    fn truncate(&mut self, _: Badge, _file: Held<file::resources::FILE>, _size: u64) -> Result<(), file::FileError> {
        Ok(())
    }
    fn stat(&mut self, _: Badge, _file: Held<file::resources::FILE>) -> Result<file::FileStat, file::FileError> {
        Ok(file::FileStat { size: 0, blocks: 0 })
    }
    fn sync(&mut self, _: Badge, _file: Held<file::resources::FILE>) -> Result<(), file::FileError> {
        Ok(())
    }
    fn close(&mut self, _: Badge, _file: Held<file::resources::FILE>) -> Result<(), file::FileError> {
        Ok(())
    }
    fn exists(
        &mut self,
        _: Badge,
        _namespace: Held<file::spaces::FILE>,
        path: HString<255>,
    ) -> Result<bool, file::FileError> {
        Ok(self.files.iter().any(|f| f == path.as_str()))
    }
    fn unlink(
        &mut self,
        _: Badge,
        _namespace: Held<file::spaces::FILE>,
        _path: HString<255>,
    ) -> Result<(), file::FileError> {
        Ok(())
    }
    fn rename(
        &mut self,
        _: Badge,
        _namespace: Held<file::spaces::FILE>,
        _from: HString<255>,
        _to: HString<255>,
    ) -> Result<(), file::FileError> {
        Ok(())
    }
}

#[derive(Default)]
struct Stores {
    space: ObjectId,
    data: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl kvstore::KvstoreServer for Stores {
    fn open(
        &mut self,
        _: Badge,
        _name: HString<64>,
        _backing: Foreign<kvstore::resources::FILE>,
    ) -> Result<New<kvstore::resources::STORE>, kvstore::KvstoreError> {
        Ok(New::resource(0, self.space))
    }
    fn get(
        &mut self,
        _: Badge,
        _store: Held<kvstore::resources::STORE>,
        key: HVec<u8, 256>,
    ) -> Result<Option<HVec<u8, 4096>>, kvstore::KvstoreError> {
        Ok(self.data.get(key.as_slice()).map(|v| HVec::from_slice(v).unwrap_or_default()))
    }
    fn set(
        &mut self,
        _: Badge,
        _store: Held<kvstore::resources::STORE>,
        key: HVec<u8, 256>,
        value: HVec<u8, 4096>,
    ) -> Result<(), kvstore::KvstoreError> {
        self.data.insert(key.to_vec(), value.to_vec());
        Ok(())
    }
    fn delete(
        &mut self,
        _: Badge,
        _store: Held<kvstore::resources::STORE>,
        key: HVec<u8, 256>,
    ) -> Result<bool, kvstore::KvstoreError> {
        Ok(self.data.remove(key.as_slice()).is_some())
    }
    fn count(&mut self, _: Badge, _store: Held<kvstore::resources::STORE>) -> Result<u64, kvstore::KvstoreError> {
        Ok(self.data.len() as u64)
    }
    fn close(&mut self, _: Badge, _store: Held<kvstore::resources::STORE>) -> Result<(), kvstore::KvstoreError> {
        Ok(())
    }
}

#[test]
fn a_store_maps_onto_another_servers_file_and_the_merged_model_says_so() {
    let bus = Loopback::new();
    let mut files = file::FileService::new(Files::default(), ROOT);
    let (namespace, ns_badge) = files.book.add_space::<file::spaces::FILE>(0, FS).expect("namespace");
    files.server.namespace = namespace;
    let files = Rc::new(RefCell::new(files));
    let file_ep = bus.add_server(files.clone());
    let mut stores = kvstore::KvstoreService::new(Stores::default(), ROOT);
    let (space, _) = stores.book.add_space::<kvstore::spaces::KVSTORE>(0, KV).expect("space");
    stores.server.space = space;
    let stores = Rc::new(RefCell::new(stores));
    let kv_ep = bus.add_server(stores.clone());

    // The fs server opens its own namespace; the kv store server opens a file in it.
    let ns: Handle<file::spaces::FILE> = Handle::new(bus.grant(file_ep, ns_badge));
    let mut fs_client = file::FileClient::new(bus.connect(file_ep, FS));
    let flags = file::OpenFlags { read: true, write: true, create: true, truncate: false, exclusive: false };
    let path: HString<255> = "/db".try_into().expect("path");
    let db = fs_client.open(&ns, path.clone(), flags.clone()).expect("open");
    let none = file::OpenFlags { create: false, ..flags };
    assert_eq!(
        fs_client.open(&ns, "/nope".try_into().expect("p"), none),
        Err(CallError::App(file::FileError::NotFound))
    );
    assert!(fs_client.exists(&ns, path).expect("exists"));
    // Alice opens a store kept in that file (her capability to it: one foreign cap).
    let mut alice = kvstore::KvstoreClient::new(bus.connect(kv_ep, ALICE));
    let store = alice.open("people".try_into().expect("name"), &Handle::new(db.cap)).expect("open");
    let key: HVec<u8, 256> = HVec::from_slice(b"ada").expect("key");
    alice.set(&store, key.clone(), HVec::from_slice(b"lovelace").expect("value")).expect("set");
    assert_eq!(alice.get(&store, key.clone()).expect("get").as_deref(), Some(&b"lovelace"[..]));
    assert_eq!(alice.count(&store).expect("count"), 1);
    assert!(alice.delete(&store, key).expect("delete"));

    // Merge the two servers' parts: the STORE -> FILE MAP crosses them.
    let fragments: Vec<Fragment> =
        vec![files.borrow().export("fs", pd_name).expect("fs"), stores.borrow().export("kv", pd_name).expect("kv")];
    assert_eq!(fragments[1].foreign_maps.len(), 1);
    let model = merge(fragments, |cap| match cap {
        Cap::Endpoint { endpoint, badge } if endpoint == file_ep => files.borrow().book.exported_name("fs", badge),
        _ => None,
    })
    .expect("merge");
    assert!(edges(&model).contains(&"STORE_kv_1 MAP FILE_fs_1".to_string()), "{:?}", edges(&model));
    // The resource MAP has no space MAP (KVSTORE -> FILE): the checker says exactly that.
    let violations = osmosis::check(&model);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].to_string().contains("STORE_kv_1: MAP to FILE_fs_1"));
}
