//! The root's `cpu` server (idl/cpu.idl): virtual CPUs (seL4 TCBs) a component creates,
//! binds to its own address space, gives an IPC buffer (a region of its own), registers,
//! starts, stops, re-prioritises within its own priority, pins to the one physical core,
//! and destroys; each a VCPU of the model (MAP onto the PCPU once pinned). Handles of the
//! memory server (the address space, the region) arrive as another server's objects and are
//! resolved in its book, held through one of the caller's memory connections.
//!
//! A CPU bound to a component's own address space runs with its CSpace; one bound to an
//! address space made by `create_ads` (no process's, so no CSpace) gets a CSpace of its
//! own holding only its supervisor cap: its code can fault or end, and use nothing else.

use alloc::string::String;
use alloc::vec::Vec;

use cellulos::interfaces::cpu::{
    resources::{PCPU, VCPU},
    CpuError, CpuInfo, CpuServer, CpuState as State, Registers,
};
use cellulos::interfaces::memory::{resources::VMR, spaces::ADS};
use cellulos::runtime::server::{Foreign, Held, New, ObjectId};
use cellulos::runtime::{Badge, Book, Cap};
use cellulos_keeper::{Keeper, PdId};
use osmosis::NodeIdx;
use sel4::{CNode, Pml4, Tcb, UserContext, Word};

use super::memory::{MemoryState, Space};
use super::serve::{RootClient, RootService, ROOT_SERVER_ID_U32};
use super::table::Table;
use crate::kernel::{Kernel, KernelError, Object};
use crate::process::Process;
use crate::thread::Supervisor;

/// One virtual CPU.
struct Cpu {
    tcb: Object<Tcb>,
    holder: usize,
    node: NodeIdx,
    priority: u8,
    /// Where it runs, and the badge its faults arrive with.
    bound: Option<(Binding, Word)>,
    state: State,
    pinned: bool,
}

/// Where a CPU runs.
enum Binding {
    /// In a component (its instance): its address space and CSpace, the supervisor slot
    /// the root used there.
    Process(usize, Word),
    /// In an address space made by `create_ads` (its PML4), with a CSpace of its own.
    Alone(Object<CNode>, sel4::Cap<Pml4>),
}

/// The server's state (the root keeps it between calls).
#[derive(Default)]
pub struct CpuState {
    cpus: Table<Cpu>,
    /// The book's VCPU and PCPU spaces (its CPUs and cores live in them).
    pub spaces: (ObjectId, ObjectId),
}

/// What a call may touch, borrowed from the running system for one call.
pub struct CpuCtx<'a> {
    pub k: &'a mut Kernel,
    pub sup: &'a mut Supervisor,
    pub processes: &'a mut [(String, Option<Process>, bool)],
    pub keeper: &'a mut Keeper,
    pub pds: &'a [PdId],
    pub priorities: &'a [u8],
    pub clients: &'a [RootClient],
    pub st: &'a mut CpuState,
    pub memory: &'a MemoryState,
    pub memory_book: &'a Book,
}

impl CpuCtx<'_> {
    fn caller(&self, badge: Badge) -> Result<usize, CpuError> {
        super::serve::instance_of(self.clients, badge).ok_or(CpuError::NotConfigured)
    }

    fn cpu(&mut self, key: u64) -> Result<&mut Cpu, CpuError> {
        self.st.cpus.get_mut(key as usize).ok_or(CpuError::NotConfigured)
    }

    /// The caller's memory connections (whose handles it may pass here).
    fn memory_holders(&self, i: usize) -> Vec<Badge> {
        let mine = self.clients.iter().filter(|c| c.instance == i && c.service == RootService::Memory);
        mine.map(|c| c.badge).collect()
    }

    /// The badge of a memory-server handle passed as another server's object.
    fn memory_badge(cap: Cap) -> Result<Badge, CpuError> {
        match cap {
            Cap::Endpoint { endpoint: ROOT_SERVER_ID_U32, badge } => Ok(badge),
            _ => Err(CpuError::NotBound),
        }
    }

    fn check_priority(&self, caller: usize, priority: u8) -> Result<(), CpuError> {
        super::serve::within_priority(self.priorities, caller, priority).then_some(()).ok_or(CpuError::BadPriority)
    }
}

fn sel4_err(_: sel4::Error) -> CpuError {
    CpuError::NotConfigured
}

impl CpuServer for CpuCtx<'_> {
    fn create(&mut self, caller: Badge, priority: u8) -> Result<New<VCPU>, CpuError> {
        let i = self.caller(caller)?;
        self.check_priority(i, priority)?;
        let tcb = self.k.create::<Tcb>().map_err(|_| CpuError::NotConfigured)?;
        let node = match self.keeper.new_vcpu(self.pds[i]) {
            Ok(n) => n,
            Err(_) => {
                let _ = self.k.destroy(tcb);
                return Err(CpuError::NotConfigured);
            }
        };
        if self.k.ipc.tcb_set_priority(tcb.cap, priority).is_err() {
            self.keeper.remove_node(node);
            let _ = self.k.destroy(tcb);
            return Err(CpuError::BadPriority);
        }
        let cpu = Cpu { tcb, holder: i, node, priority, bound: None, state: State::Created, pinned: false };
        Ok(New::resource(self.st.cpus.add(cpu), self.st.spaces.0))
    }

    fn bind(&mut self, caller: Badge, cpu: Held<VCPU>, ads: Foreign<ADS>) -> Result<(), CpuError> {
        let i = self.caller(caller)?;
        let badge = Self::memory_badge(ads.cap)?;
        let holders = self.memory_holders(i);
        let space = self.memory.space_of(self.memory_book, badge, &holders).ok_or(CpuError::NotBound)?;
        let (k, sup) = (&mut *self.k, &mut *self.sup);
        let c = self.st.cpus.get_mut(cpu.key as usize).ok_or(CpuError::NotConfigured)?;
        if c.bound.is_some() {
            return Err(CpuError::Running);
        }
        let bound = match space {
            Space::Own(owner) => {
                let p = self.processes.get_mut(owner).and_then(|(_, p, _)| p.as_mut()).ok_or(CpuError::NotBound)?;
                let (badge, slot) = p.bind(k, sup, c.tcb.cap).map_err(|_| CpuError::NotBound)?;
                (Binding::Process(owner, slot), badge)
            }
            Space::New(pml4) => {
                let (cnode, badge) = Process::bind_alone(k, sup, c.tcb.cap, pml4).map_err(|_| CpuError::NotBound)?;
                (Binding::Alone(cnode, pml4), badge)
            }
        };
        c.bound = Some(bound);
        c.state = State::Configured;
        Ok(())
    }

    fn set_ipc_buffer(&mut self, caller: Badge, cpu: Held<VCPU>, buffer: Foreign<VMR>) -> Result<(), CpuError> {
        let i = self.caller(caller)?;
        let badge = Self::memory_badge(buffer.cap)?;
        let holders = self.memory_holders(i);
        let backed = self.memory.backed(self.memory_book, badge, &holders).ok_or(CpuError::NotConfigured)?;
        let frame = *backed.frames.first().ok_or(CpuError::NotConfigured)?;
        let k = &mut *self.k;
        let c = self.st.cpus.get(cpu.key as usize).ok_or(CpuError::NotConfigured)?;
        if c.bound.is_none() {
            return Err(CpuError::NotBound);
        }
        k.ipc.tcb_set_ipc_buffer(c.tcb.cap, backed.va, frame.cap.cast()).map_err(sel4_err)
    }

    fn write_registers(&mut self, _caller: Badge, cpu: Held<VCPU>, registers: Registers) -> Result<(), CpuError> {
        let k = &mut *self.k;
        let c = self.st.cpus.get(cpu.key as usize).ok_or(CpuError::NotConfigured)?;
        if c.state == State::Running {
            return Err(CpuError::Running);
        }
        let regs = UserContext {
            rip: registers.rip,
            rsp: registers.rsp,
            rflags: registers.rflags,
            rdi: registers.rdi,
            rsi: registers.rsi,
            rdx: registers.rdx,
            tls_base: registers.fs_base,
            ..UserContext::default()
        };
        k.ipc.tcb_write_registers(c.tcb.cap, false, 0, UserContext::WORDS as Word, &regs).map_err(sel4_err)
    }

    fn read_registers(&mut self, _caller: Badge, cpu: Held<VCPU>) -> Result<Registers, CpuError> {
        let k = &mut *self.k;
        let c = self.st.cpus.get(cpu.key as usize).ok_or(CpuError::NotConfigured)?;
        let r = k.ipc.tcb_read_registers(c.tcb.cap, false, 0, UserContext::WORDS as Word).map_err(sel4_err)?;
        Ok(Registers {
            rip: r.rip,
            rsp: r.rsp,
            rflags: r.rflags,
            rdi: r.rdi,
            rsi: r.rsi,
            rdx: r.rdx,
            fs_base: r.tls_base,
        })
    }

    fn start(&mut self, _caller: Badge, cpu: Held<VCPU>) -> Result<(), CpuError> {
        let k = &mut *self.k;
        let c = cpu_in(self.st, cpu.key)?;
        if c.bound.is_none() {
            return Err(CpuError::NotBound);
        }
        k.ipc.tcb_resume(c.tcb.cap).map_err(sel4_err)?;
        c.state = State::Running;
        Ok(())
    }

    fn stop(&mut self, _caller: Badge, cpu: Held<VCPU>) -> Result<(), CpuError> {
        let k = &mut *self.k;
        let c = cpu_in(self.st, cpu.key)?;
        k.ipc.tcb_suspend(c.tcb.cap).map_err(sel4_err)?;
        if c.state == State::Running {
            c.state = State::Stopped;
        }
        Ok(())
    }

    fn elevate(&mut self, caller: Badge, cpu: Held<VCPU>, priority: u8) -> Result<(), CpuError> {
        let i = self.caller(caller)?;
        self.check_priority(i, priority)?;
        let k = &mut *self.k;
        let c = cpu_in(self.st, cpu.key)?;
        k.ipc.tcb_set_priority(c.tcb.cap, priority).map_err(|_| CpuError::BadPriority)?;
        c.priority = priority;
        Ok(())
    }

    fn claim_core(&mut self, caller: Badge, index: u8) -> Result<New<PCPU>, CpuError> {
        let i = self.caller(caller)?;
        // The kernel is built single-core (CONFIG_MAX_NUM_NODES=1).
        if index != 0 {
            return Err(CpuError::NoSuchCore);
        }
        self.keeper.claim_core(self.pds[i]).map_err(|_| CpuError::NoSuchCore)?;
        Ok(New::resource(0, self.st.spaces.1))
    }

    fn pin(&mut self, _caller: Badge, cpu: Held<VCPU>, _core: Held<PCPU>) -> Result<(), CpuError> {
        let node = self.cpu(cpu.key)?.node;
        self.keeper.pin(node).map_err(|_| CpuError::NoSuchCore)?;
        self.cpu(cpu.key)?.pinned = true;
        Ok(())
    }

    fn info(&mut self, _caller: Badge, cpu: Held<VCPU>) -> Result<CpuInfo, CpuError> {
        let c = self.cpu(cpu.key)?;
        let state = c.state;
        Ok(CpuInfo { priority: c.priority, state, bound: c.bound.is_some(), core: c.pinned.then_some(0) })
    }

    fn destroy(&mut self, _caller: Badge, cpu: Held<VCPU>) -> Result<(), CpuError> {
        destroy(self.k, self.processes, self.keeper, self.st, cpu.key as usize).map_err(|_| CpuError::NotConfigured)
    }
}

/// A CPU by key, borrowing only the state (so the kernel can be used beside it).
fn cpu_in(st: &mut CpuState, key: u64) -> Result<&mut Cpu, CpuError> {
    st.cpus.get_mut(key as usize).ok_or(CpuError::NotConfigured)
}

/// Deletes CPU `key`: its TCB, its supervisor slot in the component it ran in, its node.
pub fn destroy(
    k: &mut Kernel,
    processes: &mut [(String, Option<Process>, bool)],
    keeper: &mut Keeper,
    st: &mut CpuState,
    key: usize,
) -> Result<(), KernelError> {
    let Some(c) = st.cpus.take(key) else { return Ok(()) };
    k.destroy(c.tcb)?;
    match c.bound {
        Some((Binding::Process(owner, slot), _)) => {
            if let Some(p) = processes.get_mut(owner).and_then(|(_, p, _)| p.as_mut()) {
                p.unbind(k, slot)?;
            }
        }
        Some((Binding::Alone(cnode, _), _)) => k.destroy(cnode)?,
        None => {}
    }
    keeper.remove_node(c.node);
    Ok(())
}

impl CpuState {
    /// Ends the handles to CPUs that ended and frees their keys ([`Table::settle`]).
    pub fn settle(&mut self, book: &mut cellulos::runtime::Book, revoked: &mut Vec<Badge>) {
        self.cpus.settle::<cellulos::interfaces::cpu::resources::VCPU>(book, revoked);
    }

    /// The CPU whose faults arrive with `badge`.
    pub fn by_badge(&self, badge: Word) -> Option<usize> {
        self.cpus.iter().find(|(_, c)| c.bound.as_ref().is_some_and(|(_, b)| *b == badge)).map(|(key, _)| key)
    }

    /// Records that CPU `key` faulted or ended (`faulted`: false), through its supervisor
    /// cap; it stays blocked until destroyed.
    pub fn ended(&mut self, key: usize, faulted: bool) {
        if let Some(c) = self.cpus.get_mut(key) {
            c.state = if faulted { State::Faulted } else { State::Stopped };
        }
    }

    /// Whether a CPU runs in the address space of `pml4` (one `create_ads` made: it may not
    /// be destroyed under the CPU).
    pub fn runs_in(&self, pml4: sel4::Cap<Pml4>) -> bool {
        self.cpus.iter().any(|(_, c)| matches!(c.bound, Some((Binding::Alone(_, at), _)) if at.bits() == pml4.bits()))
    }

    /// The CPUs instance `i` made or that run in it (to go with it).
    pub fn of_instance(&self, i: usize) -> Vec<usize> {
        self.cpus.keys_where(|c| c.holder == i || matches!(c.bound, Some((Binding::Process(o, _), _)) if o == i))
    }

    /// Every CPU.
    pub fn all(&self) -> Vec<usize> {
        self.cpus.keys()
    }
}
