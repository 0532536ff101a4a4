//! A server's book as it grows: what the generated code does for one object made and ended
//! (add it to a space, grant its handle, map it, release the handle: the object, its MAP
//! edge and its place in the space go) in a book already holding 100, 10,000 and 50,000
//! such objects. The ratios against 100 say whether a server with many objects pays for
//! them on every call (they were 73x at 10,000 before the book kept indexes).
//!
//! Run: `cargo bench -p cellulos --bench book`.

#[path = "report.rs"]
mod report;

use std::hint::black_box;
use std::time::Duration;

use cellulos::runtime::server::{Book, Class, MapTarget, Object, ObjectId};
use criterion::Criterion;

const SIZES: [usize; 3] = [100, 10_000, 50_000];

fn file(key: u64, space: ObjectId) -> Object {
    Object { class: Class::Resource, type_name: "FILE".into(), key, space: Some(space) }
}

/// A book with `n` files in one space, each held by a client and mapped onto the space.
fn book_of(n: usize) -> (Book, ObjectId) {
    let mut book = Book::new();
    let space = book.add(Object { class: Class::Space, type_name: "FILE".into(), key: 0, space: None });
    book.grant(1, space, 3).expect("a handle");
    for key in 0..n {
        let id = book.add(file(key as u64, space));
        book.grant(2, id, 3).expect("a handle");
        book.map(id, MapTarget::Local(space));
    }
    (book, space)
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("book");
        g.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
        for n in SIZES {
            let (mut book, space) = book_of(n);
            g.bench_function(format!("make_and_end_in_{n}"), |b| {
                b.iter(|| {
                    let id = book.add(file(black_box(7), space));
                    let badge = book.grant(2, id, 3).expect("a handle");
                    book.map(id, MapTarget::Local(space));
                    black_box(book.release(badge))
                })
            });
            assert_eq!(book.objects().count(), n + 1, "every object made was ended");
        }
        g.finish();
    }
    c.final_summary();
    report::print_ratios(
        "book",
        &[("make_and_end_in_10000", "make_and_end_in_100"), ("make_and_end_in_50000", "make_and_end_in_100")],
    );
}
