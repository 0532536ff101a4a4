//! A server's book over a long life: object ids are used again (an object that ended on its
//! own too, with every handle to it), a space a cleanup deleted
//! keeps its id empty, and a book naming an id or a handle slot past what the root accepts
//! is refused when decoded rather than costing the root the memory of that many.

use cellulos_runtime::server::{Book, Class, Object, ObjectId, MAX_HANDLE_SLOT, MAX_OBJECT_ID};
use cellulos_runtime::wire::{Reader, Wire, WireError, Writer};

const CLIENT: u32 = 10;

fn object(class: Class, key: u64, space: Option<ObjectId>) -> Object {
    Object { class, type_name: "TALLY".into(), key, space }
}

fn encoded(book: &Book) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 22];
    let mut w = Writer::new(&mut buf);
    book.encode(&mut w).expect("encode");
    let n = w.len();
    buf.truncate(n);
    buf
}

#[test]
fn ids_of_objects_gone_are_used_again() {
    let mut book = Book::new();
    let space = book.add(object(Class::Space, 0, None));
    for key in 0..10_000 {
        let id = book.add(object(Class::Resource, key, Some(space)));
        let badge = book.grant(CLIENT, id, 3).expect("a handle");
        assert!(book.release(badge).is_empty(), "no other handle ended");
    }
    let top = book.objects().map(|(id, _)| id.0).max();
    assert_eq!(top, Some(space.0), "only the space is left");
    let next = book.add(object(Class::Resource, 1, Some(space)));
    assert!(next.0 <= 1, "10,000 objects made and ended one at a time: the next is id {}", next.0);
}

#[test]
fn a_space_deleted_keeps_its_id_and_its_resources_do_not() {
    let mut book = Book::new();
    let space = book.add(object(Class::Space, 7, None));
    let tally = book.add(object(Class::Resource, 1, Some(space)));
    let (key, ended) = book.delete_space(space).expect("a space");
    assert_eq!((key, ended.len()), (7, 0));
    assert!(book.object(space).is_none() && book.object(tally).is_none());
    assert_eq!(book.delete_space(space), Err(cellulos_runtime::Status::BadHandle), "gone already");
    // The resource's id is used again, the space's not: the server's logic may keep it.
    let a = book.add(object(Class::Resource, 2, None));
    let b = book.add(object(Class::Resource, 3, None));
    assert_eq!(a, tally);
    assert_ne!(b, space);
}

#[test]
fn an_object_that_ended_on_its_own_ends_every_handle_and_frees_its_id() {
    let mut book = Book::new();
    let pd = book.add(object(Class::Resource, 4, None));
    let (a, b) = (book.grant(CLIENT, pd, 3).expect("a handle"), book.grant(CLIENT + 1, pd, 1).expect("another"));
    let mut ended = book.end_object(pd);
    ended.sort_unstable();
    assert_eq!(ended, vec![a, b], "both holders' handles end");
    assert!(book.object(pd).is_none() && book.handles().next().is_none());
    assert!(book.end_object(pd).is_empty(), "ended already: nothing more");
    assert_eq!(book.add(object(Class::Resource, 5, None)), pd, "its id names the next object");
}

#[test]
fn a_book_naming_ids_past_the_limit_is_refused() {
    let mut book = Book::new();
    let ids: Vec<ObjectId> =
        (0..=u64::from(MAX_OBJECT_ID) + 1).map(|key| book.add(object(Class::Resource, key, None))).collect();
    let bytes = encoded(&book);
    assert_eq!(Book::decode(&mut Reader::new(&bytes)).err(), Some(WireError::Oversize));
    // Up to the limit it decodes.
    let mut smaller = Book::new();
    for (key, _) in ids.iter().enumerate().take(MAX_OBJECT_ID as usize + 1) {
        smaller.add(object(Class::Resource, key as u64, None));
    }
    let bytes = encoded(&smaller);
    assert_eq!(Book::decode(&mut Reader::new(&bytes)).expect("decodes").objects().count(), MAX_OBJECT_ID as usize + 1);
}

/// A book of one handle in slot `slot` (badge: the first handle badge + slot), as a server
/// could send it.
fn one_handle_at(slot: usize) -> Vec<u8> {
    let mut buf = vec![0u8; 64];
    let mut w = Writer::new(&mut buf);
    0u32.encode(&mut w).expect("no objects");
    1u32.encode(&mut w).expect("one handle");
    let badge = cellulos_runtime::limits::FIRST_HANDLE_BADGE + slot as u32;
    (badge, CLIENT, 0u32, 3u8).encode(&mut w).expect("the handle");
    0u32.encode(&mut w).expect("no maps");
    let n = w.len();
    buf.truncate(n);
    buf
}

#[test]
fn a_book_naming_handle_slots_past_the_limit_is_refused() {
    assert_eq!(Book::decode(&mut Reader::new(&one_handle_at(MAX_HANDLE_SLOT + 1))).err(), Some(WireError::Oversize));
    assert_eq!(Book::decode(&mut Reader::new(&one_handle_at((1 << 24) - 1))).err(), Some(WireError::Oversize));
    let book = Book::decode(&mut Reader::new(&one_handle_at(MAX_HANDLE_SLOT))).expect("up to the limit it decodes");
    assert_eq!(book.handles().count(), 1);
}
