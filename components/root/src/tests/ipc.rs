//! Endpoints and notifications between threads.

use alloc::string::String;

use sel4::{Endpoint, IpcBuffer, MessageInfo, Notification, Word};

use super::{err, Ctx};
use crate::ensure;
use crate::thread::Thread;

/// Replies with the sum of the words it got and their count, forever.
pub extern "C" fn adder(ep: Word, ipc: &'static mut IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let mut r = sel4::syscall::recv(ep);
    loop {
        let n = r.info.length();
        let sum = (0..n).fold(0 as Word, |s, i| s.wrapping_add(ipc.reply_word(&r.mrs, i)));
        r = sel4::syscall::reply_recv(ep, MessageInfo::new(r.info.label() + 1, 0, 0, 2), [sum, n as Word, 0, 0]);
    }
}

/// `seL4_Call` to a server thread and back with 0 words, 4 words (registers) and 100 words
/// (the IPC buffer), label included.
pub fn endpoint_round_trip(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    let ep = c.k.create::<Endpoint>().map_err(err)?;
    let t = Thread::spawn(&mut c.k, &mut c.vspace, &mut c.sup, adder, ep.cap.bits(), 200, 1).map_err(err)?;
    for n in [0usize, 1, 4, 5, 100, 120] {
        let words: alloc::vec::Vec<Word> = (1..=n as Word).collect();
        let (reply, mrs) = c.k.ipc.call(ep.cap.bits(), MessageInfo::new(40, 0, 0, n as Word), &words);
        let want = (n as Word) * (n as Word + 1) / 2;
        ensure!(reply.label() == 41, "{n} words: reply label {}", reply.label());
        ensure!(mrs[0] == want && mrs[1] == n as Word, "{n} words: reply {:?}, expected sum {want}", &mrs[..2]);
    }
    t.delete(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    c.k.destroy(ep).map_err(err)?;
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}

/// Receives one cap per call into slot `arg >> 32` of the root CNode and signals through it.
extern "C" fn cap_receiver(arg: Word, ipc: &'static mut IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let (ep, slot) = (arg & 0xffff_ffff, arg >> 32);
    ipc.set_receive_slot(sel4::init::CNODE.bits(), slot, 64);
    let mut r = sel4::syscall::recv(ep);
    loop {
        let got = r.info.extra_caps() == 1 && r.info.caps_unwrapped() == 0;
        if got {
            sel4::syscall::signal(slot);
        }
        r = sel4::syscall::reply_recv(ep, MessageInfo::new(Word::from(got), 0, 0, 0), [0; 4]);
    }
}

/// A capability travels in a message: the receiver finds it in its receive slot and uses
/// it (a badged notification cap, so the badge shows whose cap arrived).
pub fn cap_transfer(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    let ep = c.k.create::<Endpoint>().map_err(err)?;
    let n = c.k.create::<Notification>().map_err(err)?;
    let badged = c.k.mint(n.cap, sel4::CapRights::ALL, 0b1000).map_err(err)?;
    let slot = c.k.slots.alloc().ok_or("no slot")?;
    let arg = ep.cap.bits() | slot << 32;
    let t = Thread::spawn(&mut c.k, &mut c.vspace, &mut c.sup, cap_receiver, arg, 200, 1).map_err(err)?;
    c.k.ipc.caps_or_badges[0] = badged.bits();
    let (reply, _) = c.k.ipc.call(ep.cap.bits(), MessageInfo::new(0, 0, 1, 0), &[]);
    ensure!(reply.label() == 1, "the receiver got no cap");
    let got = sel4::syscall::wait(n.cap.bits());
    ensure!(got == 0b1000, "signalled with badge {got:#b} through the received cap");
    t.delete(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    c.k.delete_cap(slot).map_err(err)?;
    c.k.delete_cap(badged.bits()).map_err(err)?;
    c.k.destroy(n).map_err(err)?;
    c.k.destroy(ep).map_err(err)?;
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}

/// Signals through badged notification caps accumulate as a bit set.
pub fn notification_badges(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    let n = c.k.create::<Notification>().map_err(err)?;
    let a = c.k.mint(n.cap, sel4::CapRights::ALL, 0b001).map_err(err)?;
    let b = c.k.mint(n.cap, sel4::CapRights::ALL, 0b100).map_err(err)?;
    sel4::syscall::signal(a.bits());
    sel4::syscall::signal(b.bits());
    let got = sel4::syscall::wait(n.cap.bits());
    ensure!(got == 0b101, "badges {got:#b}");
    let polled = sel4::syscall::nb_recv(n.cap.bits()).badge;
    ensure!(polled == 0, "a second wait found {polled:#b}");
    let _: sel4::Cap<Notification> = a;
    c.k.delete_cap(a.bits()).map_err(err)?;
    c.k.delete_cap(b.bits()).map_err(err)?;
    c.k.destroy(n).map_err(err)?;
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}
