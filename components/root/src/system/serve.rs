//! The root's own servers on its endpoint (idl/memory.idl, pd.idl, cpu.idl,
//! resource_space.idl): a call from a
//! component's connection to `root` is decoded, dispatched through the generated service of
//! the connection's interface (which checks every handle and keeps the handles), and
//! answered, as a component's server loop does; new resources go back as caps to the root's
//! endpoint with the handle's badge (each service's handles have badges of their own).

use alloc::vec::Vec;

use cellulos::interfaces::cpu::CpuService;
use cellulos::interfaces::memory::MemoryService;
use cellulos::interfaces::pd::PdService;
use cellulos::interfaces::resource_space::ResourceSpaceService;
use cellulos::runtime::server::{Serve, ServeCtx};
use cellulos::runtime::{Badge, Cap, Message, Status};
use sel4::{CapRights, MessageInfo, Word};

use super::cpus::{self, CpuCtx};
use super::memory::MemoryCtx;
use super::pds::{self, PdCtx};
use super::spaces::SpaceCtx;
use super::Running;
use crate::kernel::{Kernel, KernelError};
use crate::thread::Supervisor;
use crate::vspace::VSpace;

/// An interface the root serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootService {
    /// idl/memory.idl.
    Memory,
    /// idl/pd.idl.
    Pd,
    /// idl/cpu.idl.
    Cpu,
    /// idl/resource_space.idl.
    Spaces,
}

impl RootService {
    /// The service of an interface id, if the root serves it.
    pub fn of(interface_id: u64) -> Option<RootService> {
        if interface_id == cellulos::interfaces::memory::INTERFACE_ID {
            Some(RootService::Memory)
        } else if interface_id == cellulos::interfaces::pd::INTERFACE_ID {
            Some(RootService::Pd)
        } else if interface_id == cellulos::interfaces::cpu::INTERFACE_ID {
            Some(RootService::Cpu)
        } else if interface_id == cellulos::interfaces::resource_space::INTERFACE_ID {
            Some(RootService::Spaces)
        } else {
            None
        }
    }

    /// The resource types a connection to it may request (its REQUEST edges).
    pub fn requests(self) -> &'static [&'static str] {
        match self {
            RootService::Memory => &["VMR", "MO"],
            RootService::Pd => &["PD"],
            RootService::Cpu => &["VCPU", "PCPU"],
            RootService::Spaces => &["RESSPC"],
        }
    }
}

/// A component's connection to the root: its badge, which instance, where the root maps the
/// connection's shared buffer, and which service it reaches.
#[derive(Clone, Copy, Debug)]
pub struct RootClient {
    /// The badge its calls carry.
    pub badge: Badge,
    /// The calling instance.
    pub instance: usize,
    /// The shared buffer, in the root.
    pub va: Word,
    /// The interface.
    pub service: RootService,
}

/// The instance behind a connection badge of the root's.
pub fn instance_of(clients: &[RootClient], badge: Badge) -> Option<usize> {
    clients.iter().find(|c| c.badge == badge).map(|c| c.instance)
}

/// Whether `priority` is one instance `caller` may give what it makes: at most its own
/// (its maximum controlled priority), and not 0.
pub fn within_priority(priorities: &[u8], caller: usize, priority: u8) -> bool {
    priorities.get(caller).is_some_and(|max| priority <= *max && priority > 0)
}

/// What one dispatch did: a register-path answer (status, length, words), if it took that
/// path, and the handles it revoked.
type Dispatched = (Option<(u32, usize, [u64; 4])>, Vec<Badge>);

/// Serves request `msg` (label, length and the registers' words in `r`) on `service`.
fn dispatch<S: Serve>(
    service: &mut S,
    r: &sel4::syscall::Received,
    msg: &mut Message,
    client: &RootClient,
) -> Dispatched {
    let (label, len) = (r.info.label(), r.info.length());
    if r.info.extra_caps() == 0 && len <= 4 {
        let (mut words, mut n) = (r.mrs, len);
        if let Some(status) = service.serve_registers(label as u32, client.badge, &mut words, &mut n) {
            return (Some((status, n, words)), Vec::new());
        }
    }
    // SAFETY: the root mapped this connection's frames read-write at `client.va` for as long
    // as `running` lives; the client waits in its call meanwhile.
    let shared = unsafe { core::slice::from_raw_parts_mut(client.va as *mut u8, super::SHARED_BYTES) };
    let mut ctx = ServeCtx::new(shared, ROOT_SERVER_ID as u32);
    service.serve(&mut ctx, msg);
    (None, ctx.take_revoked())
}

/// The server id the root answers `IDENTIFY` with (components' servers are 1, 2, ...).
pub const ROOT_SERVER_ID: Word = 0;
/// The same, as a capability's `endpoint` names it.
pub const ROOT_SERVER_ID_U32: u32 = 0;

impl Running {
    /// Replies `label` and `len` words (the first four `mrs`), no caps.
    fn reply(&mut self, k: &mut Kernel, saved: Option<Word>, label: Word, len: Word, mrs: [Word; 4]) {
        self.answer(k, saved, MessageInfo::new(label, 0, 0, len), mrs);
    }

    /// Answers the call being served: through saved reply cap `saved`; else to the caller
    /// just received, at once while the root calls a server (this thread receives other
    /// calls meanwhile), or else with the main loop's next receive ([`Running::pending`]):
    /// one kernel entry for both, as a server's `ReplyRecv`. The rest of the message (words
    /// past four, caps) is in the IPC buffer already.
    fn answer(&mut self, k: &mut Kernel, saved: Option<Word>, info: MessageInfo, mrs: [Word; 4]) {
        match saved {
            Some(i) => super::events::reply_saved(k, i, info, mrs),
            None if self.calling == 0 => self.pending = Some((info, mrs)),
            None => sel4::syscall::reply(info, mrs),
        }
    }

    /// Sends the answer [`Running::answer`] left for the next receive now: something
    /// else is to use the kernel first.
    pub(super) fn flush_reply(&mut self) {
        if let Some((info, mrs)) = self.pending.take() {
            sel4::syscall::reply(info, mrs);
        }
    }

    /// Whether a call with this badge is for the root's servers: through a connection (the
    /// client, looked up once for the call) or a handle's cap (`Some(None)`).
    pub(super) fn root_call(&self, badge: Word) -> Option<Option<RootClient>> {
        match self.root_clients.iter().find(|c| Word::from(c.badge) == badge) {
            Some(c) => Some(Some(*c)),
            None => (badge >= Word::from(cellulos::runtime::limits::FIRST_HANDLE_BADGE)).then_some(None),
        }
    }

    /// Serves one call `r` to the root's servers, from `client` (`None`: through a handle's
    /// cap), and replies (through saved reply cap `saved`, if the call was kept for later).
    pub(super) fn serve_root_call(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        r: &sel4::syscall::Received,
        client: Option<RootClient>,
        mut saved: Option<Word>,
    ) -> Result<(), KernelError> {
        let (label, len) = (r.info.label(), r.info.length());
        let Some(client) = client else {
            // A handle's cap: only "whose object is this?" may be asked through it.
            if label == Word::from(cellulos::runtime::limits::IDENTIFY) && len == 0 && r.info.extra_caps() == 0 {
                self.reply(k, saved, 0, 2, [r.badge, ROOT_SERVER_ID, 0, 0]);
            } else {
                self.reply(k, saved, Status::NotAllowed as Word, 0, [0; 4]);
            }
            return Ok(());
        };
        // The request, read before any invocation reuses the IPC buffer.
        let mut msg = Message::new(label as u32);
        msg.len = len.min(msg.words.len());
        for (n, w) in msg.words.iter_mut().enumerate().take(msg.len) {
            *w = k.ipc.reply_word(&r.mrs, n);
        }
        msg.badge = client.badge;
        let unwrapped = r.info.caps_unwrapped();
        let badges = k.ipc.caps_or_badges;
        let mut caps_ok = true;
        let own_book = match client.service {
            RootService::Memory => &self.memory_book,
            RootService::Pd => &self.pd_book,
            RootService::Cpu => &self.cpu_book,
            RootService::Spaces => &self.space_book,
        };
        for (i, cap) in msg.caps.iter_mut().enumerate().take(r.info.extra_caps()) {
            // The root sets no receive slot: only caps to its own endpoint arrive (unwrapped).
            // A handle of another of its servers is, to this one, another server's object.
            caps_ok &= unwrapped & (1 << i) != 0;
            let badge = badges[i] as Badge;
            *cap = Some(match own_book.names(badge) {
                true => Cap::Unwrapped(badge),
                false => Cap::Endpoint { endpoint: ROOT_SERVER_ID as u32, badge },
            });
        }
        if !caps_ok {
            self.reply(k, saved, Status::CapCount as Word, 0, [0; 4]);
            return Ok(());
        }
        let (served, revoked) = match client.service {
            RootService::Memory => {
                let mut service = MemoryService {
                    server: MemoryCtx {
                        k: &mut *k,
                        vs,
                        made: &self.pd_state,
                        cpus: &self.cpu_state,
                        processes: &mut self.processes,
                        keeper: &mut self.keeper,
                        pds: &self.pds,
                        budgets: &self.budgets,
                        clients: &self.root_clients,
                        st: &mut self.memory,
                    },
                    book: &mut self.memory_book,
                    root: 0,
                };
                dispatch(&mut service, r, &mut msg, &client)
            }
            RootService::Pd => {
                // dump_model: extracted now, between calls (a server asking is refused: it
                // would be asked for its own part meanwhile). Its caller's reply cap is
                // saved first: this thread serves servers' calls while it calls them.
                let dump = match label as u32 == cellulos::interfaces::pd::methods::DUMP_MODEL
                    && !self.processes.get(client.instance).is_some_and(|(_, _, server)| *server)
                {
                    true => {
                        if saved.is_none() {
                            match super::events::save_caller(k.ipc) {
                                Some(i) => saved = Some(i as Word),
                                None => {
                                    self.reply(k, None, Status::NoHandles as Word, 0, [0; 4]);
                                    return Ok(());
                                }
                            }
                        }
                        let who =
                            self.processes.get(client.instance).map_or(alloc::string::String::new(), |p| p.0.clone());
                        self.dump(k, vs, sup, &who)
                    }
                    false => None,
                };
                let mut service = PdService {
                    server: PdCtx {
                        k: &mut *k,
                        vs,
                        sup,
                        processes: &mut self.processes,
                        keeper: &mut self.keeper,
                        pds: &self.pds,
                        priorities: &self.priorities,
                        clients: &self.root_clients,
                        st: &mut self.pd_state,
                        memory: &self.memory,
                        memory_book: &self.memory_book,
                        budgets: &self.budgets,
                        dump,
                    },
                    book: &mut self.pd_book,
                    root: 0,
                };
                dispatch(&mut service, r, &mut msg, &client)
            }
            RootService::Cpu => {
                let mut service = CpuService {
                    server: CpuCtx {
                        k: &mut *k,
                        sup,
                        processes: &mut self.processes,
                        keeper: &mut self.keeper,
                        pds: &self.pds,
                        priorities: &self.priorities,
                        clients: &self.root_clients,
                        st: &mut self.cpu_state,
                        memory: &self.memory,
                        memory_book: &self.memory_book,
                    },
                    book: &mut self.cpu_book,
                    root: 0,
                };
                dispatch(&mut service, r, &mut msg, &client)
            }
            RootService::Spaces => {
                let mut service = ResourceSpaceService {
                    server: SpaceCtx {
                        keeper: &mut self.keeper,
                        pds: &self.pds,
                        clients: &self.root_clients,
                        st: &mut self.space_state,
                    },
                    book: &mut self.space_book,
                    root: 0,
                };
                dispatch(&mut service, r, &mut msg, &client)
            }
        };
        for badge in revoked {
            self.revoke_handle(k, badge)?;
        }
        self.settle_tables(k)?;
        if let Some((status, n, words)) = served {
            self.reply(k, saved, Word::from(status), n as Word, words);
            return Ok(());
        }
        // New resources: caps to the root's endpoint with their handles' badges, minted
        // before the reply's words go into the IPC buffer (minting uses it).
        let mut slots = [0 as Word; 3];
        let mut n = 0;
        let root_ep = self.root_ep.as_ref().map(|e| e.cap);
        for cap in msg.caps.iter().flatten() {
            let (Cap::Endpoint { badge, .. }, Some(ep)) = (*cap, root_ep) else {
                self.reply(k, saved, Status::CapCount as Word, 0, [0; 4]);
                return Ok(());
            };
            let slot = k.mint(ep, CapRights::WRITE_GRANT, Word::from(badge))?;
            if let Some(old) = self.handle_caps.insert(badge, slot.bits()) {
                k.delete_cap(old)?;
            }
            slots[n] = slot.bits();
            n += 1;
        }
        k.ipc.caps_or_badges = slots;
        for i in 4..msg.len {
            k.ipc.msg[i] = msg.words[i];
        }
        let mrs = [msg.words[0], msg.words[1], msg.words[2], msg.words[3]];
        let info = MessageInfo::new(Word::from(msg.label), 0, n as Word, msg.len as Word);
        self.answer(k, saved, info, mrs);
        Ok(())
    }

    /// Revokes and deletes every cap the root minted with handle `badge`.
    pub(super) fn revoke_handle(&mut self, k: &mut Kernel, badge: Badge) -> Result<(), KernelError> {
        while let Some(slot) = self.handle_caps.take(badge) {
            k.delete_cap(slot)?;
        }
        Ok(())
    }

    /// The objects of the root's services that ended (a PD terminated, with one it was
    /// linked to, on its own or with its maker; what went with an instance; a space a
    /// cleanup deleted): every handle to them ends (caps revoked), then their keys may name
    /// new objects ([`super::table`]).
    pub(super) fn settle_tables(&mut self, k: &mut Kernel) -> Result<(), KernelError> {
        let mut revoked = Vec::new();
        self.pd_state.settle(&mut self.pd_book, &mut revoked);
        self.memory.settle(&mut self.memory_book, &mut revoked);
        self.cpu_state.settle(&mut self.cpu_book, &mut revoked);
        self.space_state.settle(&mut self.space_book, &mut revoked);
        for badge in revoked {
            self.revoke_handle(k, badge)?;
        }
        Ok(())
    }

    /// Instance `i` is going: the PDs it made and its threads end, the memory it got from
    /// the root is given back, and its handles end (their caps revoked).
    pub(super) fn release_root_holds(&mut self, k: &mut Kernel, vs: &mut VSpace, i: usize) -> Result<(), KernelError> {
        // The PDs and CPUs it made first: their mappings of its memory go before its memory
        // does, their threads before its address space.
        for key in self.cpu_state.of_instance(i) {
            cpus::destroy(k, &mut self.processes, &mut self.keeper, &mut self.cpu_state, key)?;
        }
        for key in self.pd_state.of_instance(i) {
            pds::end(k, &mut self.processes, &mut self.keeper, &mut self.pd_state, key)?;
        }
        self.settle_tables(k)?;
        let budgets: Vec<u32> = Vec::new();
        MemoryCtx {
            k: &mut *k,
            vs,
            made: &self.pd_state,
            cpus: &self.cpu_state,
            processes: &mut self.processes,
            keeper: &mut self.keeper,
            pds: &self.pds,
            budgets: &budgets,
            clients: &self.root_clients,
            st: &mut self.memory,
        }
        .release_instance(i);
        self.space_state.release_instance(&mut self.keeper, i);
        let clients: Vec<RootClient> = self.root_clients.iter().filter(|c| c.instance == i).copied().collect();
        for c in clients {
            let ended = match c.service {
                RootService::Memory => self.memory_book.release_holder(c.badge),
                RootService::Pd => self.pd_book.release_holder(c.badge),
                RootService::Cpu => self.cpu_book.release_holder(c.badge),
                RootService::Spaces => self.space_book.release_holder(c.badge),
            };
            for badge in ended {
                self.revoke_handle(k, badge)?;
            }
        }
        Ok(())
    }
}
