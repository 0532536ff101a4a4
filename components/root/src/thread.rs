//! Threads in the root task's address space and CSpace: a TCB, an IPC buffer frame, a stack
//! of frames below a guard page, all in a 2 MiB virtual window of their own, and a badged
//! cap to the supervisor endpoint that is both the thread's fault endpoint and how it says
//! it has finished. Deleting a thread gives every frame, table, slot and byte back.

use alloc::vec::Vec;

use sel4::{init, CapRights, Endpoint, Fault, IpcBuffer, Page, Tcb, UserContext, Word};

use crate::kernel::{Kernel, KernelError, Object};
use crate::vspace::VSpace;

/// Where thread windows start: PML4 entry 1, which the root task's image does not use.
const WINDOW_BASE: Word = 0x80_0000_0000;
/// One window per thread.
const WINDOW_SIZE: Word = 2 << 20;
/// How many windows there are.
const WINDOWS: u32 = 256;
use sel4_rt::start::EXIT_LABEL;

/// A thread's entry point: its argument, its IPC buffer, and the supervisor cap to exit through.
pub type Entry = extern "C" fn(arg: Word, ipc: &'static mut IpcBuffer, supervisor: sel4::Cap<Endpoint>) -> !;

/// If thread `tcb` is waiting in a `seL4_Call` through one of `slots` (any call, for
/// `None`: the caller knows it is), makes that call return `status` as its reply label and
/// nothing else, and lets the thread run on. Returns whether it was waiting there.
///
/// The saved registers tell: a thread that entered the kernel by `syscall` has its cap in
/// rdi and FaultIP on the 2-byte `syscall` instruction (seL4 5.0's x86_64 entry).
/// Suspending cancels the IPC (out of the endpoint queue, or its reply cap deleted); the
/// registers are then written as the kernel would write a reply (rsi the message info, rdi
/// the badge) with rip past the instruction, and the thread resumed.
pub fn release_call(
    ipc: &mut IpcBuffer,
    tcb: sel4::Cap<Tcb>,
    slots: Option<&[Word]>,
    status: Word,
) -> Result<bool, sel4::Error> {
    let words = UserContext::WORDS as Word;
    if let Some(slots) = slots {
        let regs = ipc.tcb_read_registers(tcb, false, 0, words)?;
        if regs.rdi == 0 || !slots.contains(&regs.rdi) {
            return Ok(false);
        }
    }
    ipc.tcb_suspend(tcb)?;
    let mut regs = ipc.tcb_read_registers(tcb, false, 0, words)?;
    regs.rip += 2;
    regs.rsi = sel4::MessageInfo::new(status, 0, 0, 0).0;
    regs.rdi = 0;
    ipc.tcb_write_registers(tcb, true, 0, words, &regs)?;
    Ok(true)
}

/// Receives the next exit or fault on the supervisor endpoint `ep`: the badge and how.
pub fn receive_ended(ep: Word, ipc: &IpcBuffer) -> (Word, Ended) {
    let r = sel4::syscall::recv(ep);
    (r.badge, ended(&r, ipc))
}

/// How the thread that sent `r` to the supervisor endpoint ended: an exit or a fault.
pub fn ended(r: &sel4::syscall::Received, ipc: &IpcBuffer) -> Ended {
    if r.info.label() == EXIT_LABEL {
        Ended::Exited(r.mrs[0])
    } else {
        Ended::Faulted(Fault::decode(r.info, &r.mrs, ipc))
    }
}

/// Ends the calling thread: tells the supervisor, which deletes it.
pub fn exit(supervisor: sel4::Cap<Endpoint>, code: Word) -> ! {
    sel4_rt::start::exit(supervisor.bits(), code)
}

/// How a thread ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It called [`exit`] with this code.
    Exited(Word),
    /// It faulted.
    Faulted(Fault),
    /// The root terminated it (a cleanup plan).
    Terminated,
}

impl Ended {
    /// As message words (for the supervisor thread to pass on): a tag, then the fields.
    pub fn to_words(self) -> [Word; 5] {
        match self {
            Ended::Exited(code) => [0, code, 0, 0, 0],
            Ended::Faulted(Fault::Vm { ip, addr, prefetch, fsr }) => [1, ip, addr, prefetch, fsr],
            Ended::Faulted(Fault::Cap { ip, addr }) => [2, ip, addr, 0, 0],
            Ended::Faulted(Fault::UnknownSyscall { ip, syscall }) => [3, ip, syscall, 0, 0],
            Ended::Faulted(Fault::UserException { ip, number, code }) => [4, ip, number, code, 0],
            Ended::Faulted(Fault::Other(label)) => [5, label, 0, 0, 0],
            Ended::Terminated => [6, 0, 0, 0, 0],
        }
    }

    /// Back from [`Ended::to_words`].
    pub fn from_words(w: [Word; 5]) -> Ended {
        match w[0] {
            0 => Ended::Exited(w[1]),
            1 => Ended::Faulted(Fault::Vm { ip: w[1], addr: w[2], prefetch: w[3], fsr: w[4] }),
            2 => Ended::Faulted(Fault::Cap { ip: w[1], addr: w[2] }),
            3 => Ended::Faulted(Fault::UnknownSyscall { ip: w[1], syscall: w[2] }),
            4 => Ended::Faulted(Fault::UserException { ip: w[1], number: w[2], code: w[3] }),
            6 => Ended::Terminated,
            _ => Ended::Faulted(Fault::Other(w[1])),
        }
    }
}

/// The endpoint threads fault and exit through; badges say which thread.
pub struct Supervisor {
    endpoint: Object<Endpoint>,
    windows: Vec<u32>,
    next_badge: Word,
}

impl Supervisor {
    /// A new supervisor endpoint.
    pub fn new(k: &mut Kernel) -> Result<Self, KernelError> {
        Ok(Self { endpoint: k.create::<Endpoint>()?, windows: (0..WINDOWS).rev().collect(), next_badge: 1 })
    }

    /// Waits until some thread exits or faults: its badge and how it ended.
    pub fn wait(&self, k: &mut Kernel) -> (Word, Ended) {
        receive_ended(self.endpoint.cap.bits(), k.ipc)
    }

    /// A badge for the next thread or process it supervises.
    pub fn next_badge(&mut self) -> Word {
        let badge = self.next_badge;
        // The largest badge is the supervisor endpoint's calls to a gone server's.
        self.next_badge = if badge >= (1 << sel4::BADGE_BITS) - 2 { 1 } else { badge + 1 };
        badge
    }

    /// A cap to the supervisor endpoint that faults and exits arrive through with `badge`:
    /// Send+Grant (without Grant, 5.0 turns a fault into a double fault).
    pub fn endpoint(&self) -> sel4::Cap<Endpoint> {
        self.endpoint.cap
    }

    /// Destroys the supervisor endpoint.
    pub fn destroy(self, k: &mut Kernel) -> Result<(), KernelError> {
        k.destroy(self.endpoint)
    }
}

/// A thread the root task created.
pub struct Thread {
    /// Its TCB.
    pub tcb: Object<Tcb>,
    /// The badge its faults and exit arrive with.
    pub badge: Word,
    fault_cap: sel4::Cap<Endpoint>,
    window: u32,
    frames: Vec<(Object<Page>, Word)>,
    stack_bottom: Word,
}

impl Thread {
    /// Creates and starts a thread at `priority` running `entry(arg, ipc, supervisor)` on a
    /// stack of `stack_pages` pages.
    pub fn spawn(
        k: &mut Kernel,
        vspace: &mut VSpace,
        sup: &mut Supervisor,
        entry: Entry,
        arg: Word,
        priority: u8,
        stack_pages: usize,
    ) -> Result<Thread, KernelError> {
        let window = sup.windows.pop().ok_or(KernelError::OutOfWindows)?;
        let badge = sup.next_badge();
        let mut thread = Thread {
            tcb: k.create::<Tcb>()?,
            badge,
            fault_cap: sel4::Cap::NULL,
            window,
            frames: Vec::new(),
            stack_bottom: 0,
        };
        match thread.start(k, vspace, sup, entry, arg, priority, stack_pages) {
            Ok(()) => Ok(thread),
            Err(e) => {
                let _ = thread.delete(k, vspace, sup);
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        k: &mut Kernel,
        vspace: &mut VSpace,
        sup: &Supervisor,
        entry: Entry,
        arg: Word,
        priority: u8,
        stack_pages: usize,
    ) -> Result<(), KernelError> {
        let base = WINDOW_BASE + Word::from(self.window) * WINDOW_SIZE;
        // The IPC buffer at the bottom; one guard page; the stack at the top, growing down.
        let top = base + WINDOW_SIZE;
        self.stack_bottom = top - stack_pages as Word * 4096;
        let pages = core::iter::once(base).chain((1..=stack_pages as Word).map(|i| top - i * 4096));
        for va in pages {
            let frame = k.create::<Page>()?;
            if let Err(e) = vspace.map(k, frame.cap, va, CapRights::READ_WRITE) {
                k.destroy(frame)?;
                return Err(e);
            }
            self.frames.push((frame, va));
        }
        self.fault_cap = k.mint(sup.endpoint.cap, CapRights::WRITE_GRANT, self.badge)?;
        let tcb = self.tcb.cap;
        let sel = |op, r: Result<(), sel4::Error>| r.map_err(|e| KernelError::Sel4(op, e));
        // The vspace argument is typed as a CNode in 5.0's XML; the kernel checks the real type.
        sel("tcb_set_space", k.ipc.tcb_set_space(tcb, self.fault_cap.bits(), init::CNODE, 0, init::VSPACE.cast(), 0))?;
        sel("tcb_set_ipc_buffer", k.ipc.tcb_set_ipc_buffer(tcb, base, self.frames[0].0.cap.cast()))?;
        sel("tcb_set_priority", k.ipc.tcb_set_priority(tcb, priority))?;
        let regs = UserContext {
            rip: entry as usize as Word,
            // As if `call` had pushed a return address: rsp + 8 is 16-byte aligned.
            rsp: top - 8,
            rflags: 0x202,
            rdi: arg,
            rsi: base,
            rdx: self.fault_cap.bits(),
            ..UserContext::default()
        };
        sel("tcb_write_registers", k.ipc.tcb_write_registers(tcb, true, 0, UserContext::WORDS as Word, &regs))
    }

    /// The lowest address of its stack: below it, unmapped memory down to the IPC buffer.
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn stack_bottom(&self) -> Word {
        self.stack_bottom
    }

    /// Stops and deletes the thread and everything it used.
    pub fn delete(self, k: &mut Kernel, vspace: &mut VSpace, sup: &mut Supervisor) -> Result<(), KernelError> {
        k.destroy(self.tcb)?;
        if self.fault_cap != sel4::Cap::NULL {
            k.delete_cap(self.fault_cap.bits())?;
        }
        for (frame, va) in self.frames {
            vspace.unmap(k, frame.cap, va)?;
            k.destroy(frame)?;
        }
        sup.windows.push(self.window);
        Ok(())
    }
}
