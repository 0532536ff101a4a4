//! The host loopback: servers and their connections in one process, with exactly the
//! rules of seL4 5.0 IPC, so generated code tested here runs unchanged on seL4:
//! - every message passes [`transport::check`](crate::transport::check) both ways;
//! - a capability to the called server's own endpoint arrives unwrapped, as its badge;
//! - at most one capability to another server's object (the single receive slot);
//! - only capabilities a server minted and has not revoked are alive;
//! - the callee sees the badge of the connection the caller used (who is calling);
//! - a server that is gone answers every call with [`TransportError::ServerGone`].

use alloc::collections::BTreeSet;
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::handle::Badge;
use crate::message::{Cap, Message};
pub use crate::server::Serve;
use crate::server::ServeCtx;
use crate::transport::{check, Transport, TransportError};

/// Bytes in each connection's shared buffer.
pub const SHARED_BYTES: usize = 64 * 1024;

struct Bus {
    servers: Vec<Option<Rc<RefCell<dyn Serve>>>>,
    live: BTreeSet<(u32, Badge)>,
}

/// Servers and connections in one process.
#[derive(Clone)]
pub struct Loopback {
    bus: Rc<RefCell<Bus>>,
}

impl Default for Loopback {
    fn default() -> Self {
        Loopback::new()
    }
}

impl Loopback {
    /// No servers yet.
    pub fn new() -> Loopback {
        Loopback { bus: Rc::new(RefCell::new(Bus { servers: Vec::new(), live: BTreeSet::new() })) }
    }

    /// Adds a server; returns its endpoint. Keep a clone of the `Rc` to look at its state.
    pub fn add_server<S: Serve + 'static>(&self, server: Rc<RefCell<S>>) -> u32 {
        let mut bus = self.bus.borrow_mut();
        bus.servers.push(Some(server));
        u32::try_from(bus.servers.len() - 1).unwrap_or(u32::MAX)
    }

    /// A connection to `endpoint` for the client whose connection badge is `badge`.
    pub fn connect(&self, endpoint: u32, badge: Badge) -> Connection {
        Connection { bus: self.bus.clone(), endpoint, badge, shared: vec![0; SHARED_BYTES] }
    }

    /// A capability minted at boot (the root mints these from the system description):
    /// `badge` at `endpoint`, alive from now on.
    pub fn grant(&self, endpoint: u32, badge: Badge) -> Cap {
        self.bus.borrow_mut().live.insert((endpoint, badge));
        Cap::Endpoint { endpoint, badge }
    }

    /// Ends a server: every later call to it fails, and its capabilities die.
    pub fn kill(&self, endpoint: u32) {
        let mut bus = self.bus.borrow_mut();
        if let Some(slot) = bus.servers.get_mut(endpoint as usize) {
            *slot = None;
        }
        bus.live.retain(|(e, _)| *e != endpoint);
    }
}

/// One client's connection to one server.
pub struct Connection {
    bus: Rc<RefCell<Bus>>,
    endpoint: u32,
    badge: Badge,
    shared: Vec<u8>,
}

impl Connection {
    /// The endpoint this connection calls.
    pub fn endpoint(&self) -> u32 {
        self.endpoint
    }
}

impl Transport for Connection {
    fn call(&mut self, msg: &mut Message) -> Result<(), TransportError> {
        check(msg)?;
        let server = {
            let bus = self.bus.borrow();
            let server =
                bus.servers.get(self.endpoint as usize).cloned().flatten().ok_or(TransportError::ServerGone)?;
            let mut foreign = 0;
            for cap in msg.caps.iter_mut().flatten() {
                let Cap::Endpoint { endpoint, badge } = *cap else {
                    // A client cannot forge an unwrapped badge: only the kernel makes those.
                    return Err(TransportError::DeadCapability);
                };
                if !bus.live.contains(&(endpoint, badge)) {
                    return Err(TransportError::DeadCapability);
                }
                if endpoint == self.endpoint {
                    *cap = Cap::Unwrapped(badge);
                } else {
                    foreign += 1;
                }
            }
            if foreign > crate::limits::MAX_FOREIGN_CAPS {
                return Err(TransportError::TooManyForeignCaps);
            }
            server
        };
        msg.badge = self.badge;
        let mut ctx = ServeCtx::new(&mut self.shared, self.endpoint);
        // A server that calls itself would deadlock on seL4; here it is refused the same way.
        let mut server = server.try_borrow_mut().map_err(|_| TransportError::ServerGone)?;
        // As on seL4: a message all in registers first goes to the register path.
        let mut words = [msg.words[0], msg.words[1], msg.words[2], msg.words[3]];
        let mut len = msg.len;
        let fast =
            if msg.in_registers() { server.serve_registers(msg.label, msg.badge, &mut words, &mut len) } else { None };
        match fast {
            Some(label) => {
                msg.label = label;
                msg.len = len;
                msg.words[..4].copy_from_slice(&words);
                msg.caps = [None; crate::limits::MAX_CAPS];
            }
            None => server.serve(&mut ctx, msg),
        }
        drop(server);
        let revoked = ctx.take_revoked();
        let mut bus = self.bus.borrow_mut();
        for badge in revoked {
            bus.live.remove(&(self.endpoint, badge));
        }
        check(msg)?;
        for cap in msg.caps.iter().flatten() {
            if let Cap::Endpoint { endpoint, badge } = *cap {
                if endpoint == self.endpoint {
                    bus.live.insert((endpoint, badge));
                }
            }
        }
        msg.badge = 0;
        Ok(())
    }

    fn shared(&mut self) -> &mut [u8] {
        &mut self.shared
    }
}
