//! Endpoints and notifications between threads.

use alloc::string::String;

use sel4::{Endpoint, IpcBuffer, MessageInfo, Notification, Word};

use super::Ctx;
use crate::ensure;
use crate::thread::Thread;

fn err(e: impl core::fmt::Display) -> String {
    alloc::format!("{e}")
}

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
