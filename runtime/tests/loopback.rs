//! The loopback enforces seL4's rules: limits, unwrapped own capabilities, one foreign
//! capability, live capabilities only, the caller's connection badge, dead servers.

use std::cell::RefCell;
use std::rc::Rc;

use cellulos_runtime::limits::SHARED_FLAG;
use cellulos_runtime::loopback::{Loopback, Serve};
use cellulos_runtime::ServeCtx;
use cellulos_runtime::{Cap, HandleEntry, HandleTable, Message, Status, Transport, TransportError};

/// Records what it received; method 1 mints a handle, method 2 revokes one.
#[derive(Default)]
struct Probe {
    seen: Vec<(u32, Vec<Option<Cap>>)>,
    handles: HandleTable<8>,
}

impl Serve for Probe {
    fn serve(&mut self, ctx: &mut ServeCtx<'_>, msg: &mut Message) {
        self.seen.push((msg.badge, msg.caps.to_vec()));
        let caller = msg.badge;
        msg.caps = [None; 3];
        match msg.code() {
            1 => {
                let badge = self.handles.insert(HandleEntry { holder: caller, resource: 1, rights: 3 }).unwrap_or(0);
                msg.caps[0] = Some(ctx.mint(badge));
                msg.label = Status::Ok as u32;
            }
            2 => {
                let badge = msg.words[0] as u32;
                self.handles.remove(badge);
                ctx.revoke(badge);
                msg.label = Status::Ok as u32;
            }
            _ => msg.label = Status::UnknownMethod as u32,
        }
        msg.len = 0;
    }
}

fn mint(conn: &mut impl Transport) -> Cap {
    let mut msg = Message::new(1);
    conn.call(&mut msg).expect("mint");
    msg.caps[0].expect("a capability")
}

#[test]
fn limits_and_capability_rules() {
    let bus = Loopback::new();
    let (a, b) = (Rc::new(RefCell::new(Probe::default())), Rc::new(RefCell::new(Probe::default())));
    let (ea, eb) = (bus.add_server(a.clone()), bus.add_server(b.clone()));
    let mut to_a = bus.connect(ea, 11);
    let mut to_b = bus.connect(eb, 22);

    // The callee sees the caller's connection badge; two clients are told apart.
    let own = mint(&mut to_a);
    let mut other_client = bus.connect(ea, 12);
    mint(&mut other_client);
    assert_eq!(a.borrow().seen.iter().map(|(badge, _)| *badge).collect::<Vec<_>>(), [11, 12]);

    // A capability to the callee's own object arrives unwrapped, as its badge.
    let Cap::Endpoint { badge, .. } = own else { panic!("minted capabilities are endpoint capabilities") };
    let mut msg = Message::new(99);
    msg.caps[0] = Some(own);
    to_a.call(&mut msg).expect("call");
    assert_eq!(msg.label, Status::UnknownMethod as u32);
    assert_eq!(a.borrow().seen.last().expect("seen").1[0], Some(Cap::Unwrapped(badge)));

    // One capability to another server's object lands in the receive slot: allowed.
    let foreign1 = mint(&mut to_b);
    let foreign2 = mint(&mut to_b);
    let mut msg = Message::new(99);
    msg.caps = [Some(own), Some(foreign1), None];
    to_a.call(&mut msg).expect("one foreign capability");
    assert_eq!(a.borrow().seen.last().expect("seen").1[1], Some(foreign1));
    // Two cannot arrive.
    let mut msg = Message::new(99);
    msg.caps = [Some(foreign1), Some(foreign2), None];
    assert_eq!(to_a.call(&mut msg), Err(TransportError::TooManyForeignCaps));

    // Labels over 20 bits, messages over 120 words, badges over 28 bits.
    let mut msg = Message::new(1 << 20);
    assert_eq!(to_a.call(&mut msg), Err(TransportError::BadLabel));
    let mut msg = Message::new(1);
    msg.len = 121;
    assert_eq!(to_a.call(&mut msg), Err(TransportError::TooLong));
    let mut msg = Message::new(1);
    msg.caps[0] = Some(Cap::Endpoint { endpoint: ea, badge: 1 << 28 });
    assert_eq!(to_a.call(&mut msg), Err(TransportError::BadBadge));

    // Forged and revoked capabilities are dead.
    let mut msg = Message::new(1);
    msg.caps[0] = Some(Cap::Endpoint { endpoint: ea, badge: 7 });
    assert_eq!(to_a.call(&mut msg), Err(TransportError::DeadCapability));
    let mut msg = Message::new(1);
    msg.caps[0] = Some(Cap::Unwrapped(badge));
    assert_eq!(to_a.call(&mut msg), Err(TransportError::DeadCapability), "only the kernel unwraps");
    let mut msg = Message::new(2);
    msg.len = 1;
    msg.words[0] = u64::from(badge);
    to_a.call(&mut msg).expect("revoke");
    let mut msg = Message::new(99);
    msg.caps[0] = Some(own);
    assert_eq!(to_a.call(&mut msg), Err(TransportError::DeadCapability));

    // A dead server answers nothing, and its capabilities die with it.
    bus.kill(eb);
    assert_eq!(to_b.call(&mut Message::new(1)), Err(TransportError::ServerGone));
    let mut msg = Message::new(99);
    msg.caps[0] = Some(foreign1);
    assert_eq!(to_a.call(&mut msg), Err(TransportError::DeadCapability));
}

#[test]
fn shared_buffer_payloads_cross() {
    struct Echo;
    impl Serve for Echo {
        fn serve(&mut self, ctx: &mut ServeCtx<'_>, msg: &mut Message) {
            let data: heapless::Vec<u8, 4096> = msg.decode(ctx.shared).unwrap_or_default();
            msg.label = Status::Ok as u32;
            let _ = msg.encode(&data, ctx.shared);
        }
    }
    let bus = Loopback::new();
    let e = bus.add_server(Rc::new(RefCell::new(Echo)));
    let mut conn = bus.connect(e, 5);
    let data: heapless::Vec<u8, 4096> = heapless::Vec::from_slice(&[9u8; 1024]).expect("1 KiB");
    let mut msg = Message::new(3);
    msg.encode(&data, conn.shared()).expect("encode");
    assert!(msg.label & SHARED_FLAG != 0);
    conn.call(&mut msg).expect("call");
    assert!(msg.is_shared());
    assert_eq!(msg.decode::<heapless::Vec<u8, 4096>>(conn.shared()).expect("reply"), data);
}

#[test]
fn handle_table() {
    let mut t: HandleTable<2> = HandleTable::new();
    let a = t.insert(HandleEntry { holder: 1, resource: 10, rights: 1 }).expect("a");
    let b = t.insert(HandleEntry { holder: 2, resource: 20, rights: 1 }).expect("b");
    assert!(a != 0 && b != 0 && a != b);
    assert_eq!(t.insert(HandleEntry { holder: 3, resource: 30, rights: 1 }), None, "full");
    assert_eq!(t.check(a, 1).map(|e| e.resource), Ok(10));
    assert_eq!(t.check(a, 2), Err(Status::NotHolder));
    assert_eq!(t.check(0, 1), Err(Status::BadHandle));
    assert_eq!(t.check(99, 1), Err(Status::BadHandle));
    assert_eq!(t.remove(a).map(|e| e.holder), Some(1));
    assert_eq!(t.check(a, 1), Err(Status::BadHandle));
    assert_eq!(t.len(), 1);
    assert_eq!(t.iter().map(|(badge, _)| badge).collect::<Vec<_>>(), [b]);
}
