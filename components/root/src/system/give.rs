//! Giving a held resource to another PD (`Component::give`, on the supervisor cap): the
//! giver names the object as its owner identified it (server id, handle badge) and the
//! recipient by instance name. The owning server checks that the giver holds it and grants
//! the recipient a handle of its own (the reserved `GIVE`, through the root's connection:
//! the server's book, so its part of the model, gains the HOLD edge); the root moves the new
//! handle's capability into the recipient's CSpace and answers the giver with the slot.
//!
//! Of the root's own services, the resource-space server's spaces and resources can be
//! given (so a file system maps its FILE space onto a block device's BLOCK space): the
//! root is their server, so it grants in its own book and records the hold in its part of
//! the model (with a REQUEST to the giver for a space's resources: the giver serves them).

use cellulos_runtime::limits::GIVE;
use cellulos_runtime::{Message, Status};
use sel4::{MessageInfo, Word};
use sel4_rt::start::{Name, GIVE_WORDS, NAME_BYTES};

use super::Running;
use crate::kernel::Kernel;
use crate::thread::Supervisor;
use crate::vspace::VSpace;

/// A give request as the supervisor thread passes it on.
pub(super) struct Request {
    server: u32,
    badge: u32,
    rights: u8,
    to: Name,
}

impl Request {
    /// Reads the words of `Component::give`; `None` for values out of range.
    pub(super) fn from_words(w: &[Word; GIVE_WORDS]) -> Option<Request> {
        let mut to = [0u8; NAME_BYTES];
        for (chunk, word) in to.chunks_mut(8).zip(&w[3..]) {
            chunk.copy_from_slice(&word.to_le_bytes()[..chunk.len()]);
        }
        Some(Request {
            server: u32::try_from(w[0]).ok()?,
            badge: u32::try_from(w[1]).ok()?,
            rights: u8::try_from(w[2]).ok()?,
            to,
        })
    }
}

impl Running {
    /// Gives what `req` names, which the instance behind supervisor badge `giver` holds:
    /// the slot of the recipient's CSpace the new handle went to.
    pub(super) fn give(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        giver: Word,
        req: &Request,
    ) -> Result<Word, Status> {
        let giver = self.index_of(giver).ok_or(Status::NotAllowed)?;
        let to_name = sel4_rt::start::name_str(&req.to);
        let to = self.system.instances.iter().position(|i| i.name == to_name).ok_or(Status::NotAllowed)?;
        if req.server == 0 {
            return self.give_space(k, giver, to, req);
        }
        let s = req.server as usize - 1;
        let live = |i: usize| self.processes.get(i).is_some_and(|(_, p, _)| p.is_some());
        // A server gives what it serves itself in its own book (asked for `GIVE` while it
        // waits for this answer, it could not answer; and it holds nothing of its own
        // through a connection: compose refuses one to itself).
        if to == giver || s == giver || !live(to) || !live(s) || !self.processes[s].2 {
            return Err(Status::NotAllowed);
        }
        // The recipient must be able to use it: a connection of its own to the server.
        let recipient = self.uses_to(to, s).map(|u| u.badge).next().ok_or(Status::NotAllowed)?;
        // Where it will go, kept before the server grants anything: a gift with nowhere to
        // go would leave the server's new hold behind.
        let ep = self.root_ep.as_ref().map(|e| e.cap).ok_or(Status::NoHandles)?;
        let at = self.live_process(to)?.reserve_given(k, ep).map_err(|_| Status::NoHandles)?;
        // It is held through one of the giver's connections to the server.
        let mut refused = Status::NotHolder;
        let froms: alloc::vec::Vec<u32> = self.uses_to(giver, s).map(|u| u.badge).collect();
        for from in froms {
            match self.ask_give(k, vs, sup, s, (req.badge, from, recipient, req.rights)) {
                Ok(slot) => {
                    return match self.live_process(to)?.fill_given(k, at, slot) {
                        // The cap moved out: the root's slot is free again.
                        Ok(()) => {
                            k.slots.free(slot);
                            Ok(at)
                        }
                        Err(_) => {
                            let _ = k.delete_cap(slot);
                            Err(Status::NoHandles)
                        }
                    };
                }
                Err(Status::NotHolder) => {}
                Err(other) => refused = other,
            }
        }
        let _ = self.live_process(to)?.clear_given(k, at);
        Err(refused)
    }

    /// Instance `i`'s process, if it lives.
    fn live_process(&mut self, i: usize) -> Result<&mut crate::process::Process, Status> {
        self.processes.get_mut(i).and_then(|(_, p, _)| p.as_mut()).ok_or(Status::NotAllowed)
    }

    /// Gives a space or resource of the root's resource-space server (the root's own
    /// services' other objects are shared through the PD server: `share_region`).
    fn give_space(&mut self, k: &mut Kernel, giver: usize, to: usize, req: &Request) -> Result<Word, Status> {
        use super::serve::RootService;
        if !self.space_book.names(req.badge) || to == giver {
            return Err(Status::NotAllowed);
        }
        let conn = |i: usize| -> alloc::vec::Vec<u32> {
            self.root_clients
                .iter()
                .filter(|c| c.instance == i && c.service == RootService::Spaces)
                .map(|c| c.badge)
                .collect()
        };
        let recipient = *conn(to).first().ok_or(Status::NotAllowed)?;
        let given =
            conn(giver).into_iter().find_map(|from| self.space_book.give(req.badge, from, recipient, req.rights).ok());
        let (badge, object) = given.ok_or(Status::NotHolder)?;
        let object = self.space_book.object(object);
        let node =
            object.and_then(|o| self.space_state.node_of(o.class == cellulos_runtime::server::Class::Space, o.key));
        let (Some(node), Some(ep)) = (node, self.root_ep.as_ref().map(|e| e.cap)) else {
            self.space_book.release(badge);
            return Err(Status::BadHandle);
        };
        let perms = osmosis::Perms::from_bits(req.rights & (osmosis::Perms::READ | osmosis::Perms::WRITE).bits());
        let placed = k.mint(ep, sel4::CapRights::WRITE_GRANT, Word::from(badge)).ok().and_then(|slot| {
            if let Some(old) = self.handle_caps.insert(badge, slot.bits()) {
                let _ = k.delete_cap(old);
            }
            self.processes[to].1.as_mut()?.place_given(k, slot.bits(), true).ok()
        });
        let perms = perms.unwrap_or(osmosis::Perms::READ);
        let modelled = placed.filter(|_| self.keeper.give(self.pds[giver], self.pds[to], node, perms).is_ok());
        if modelled.is_none() {
            // Undone: the hold, and every copy of its cap (revoking the root's original).
            for gone in self.space_book.release(badge).into_iter().chain([badge]) {
                let _ = self.revoke_handle(k, gone);
            }
        }
        modelled.ok_or(Status::NoHandles)
    }

    /// Asks server `s` for `GIVE`: the slot of the root's CSpace the new handle's
    /// capability arrived in.
    fn ask_give(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        s: usize,
        give: (u32, u32, u32, u8),
    ) -> Result<Word, Status> {
        let mut msg = Message::new(GIVE);
        msg.encode(&give, &mut []).map_err(|_| Status::Overflow)?;
        let slot = k.slots.alloc().ok_or(Status::NoHandles)?;
        let info = MessageInfo::new(Word::from(GIVE), 0, 0, msg.len as Word);
        let (info, _) = self.call_server(k, vs, sup, s, info, &msg.words[..msg.len], slot);
        let status = Status::from_code(info.label() as u32);
        match (status, info.extra_caps(), info.caps_unwrapped()) {
            (Some(Status::Ok), 1, 0) => Ok(slot),
            (Some(Status::Ok), ..) | (None, ..) => {
                let _ = k.delete_cap(slot);
                Err(Status::CapCount)
            }
            (Some(refused), ..) => {
                k.slots.free(slot);
                Err(refused)
            }
        }
    }
}
