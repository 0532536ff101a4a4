//! Generated stubs against hand-written ones doing the same work, over the same loopback
//! and codec: encode, deliver, dispatch, decode, call, reply, decode. Requests of 0
//! arguments, 4 words (the register fast path), 64 bytes (IPC buffer) and 1 KiB (shared
//! buffer). The table at the end gives generated / hand-written per size; the target is
//! 1.1x or less.
//!
//! Run: `cargo bench -p cellulos --bench stubs`.

#[path = "report.rs"]
mod report;

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use cellulos::runtime::heapless::Vec as HVec;
use cellulos::runtime::loopback::{Connection, Loopback};
use cellulos::runtime::server::Serve;
use cellulos::runtime::{Badge, Message, ServeCtx, Status, Transport};
use criterion::Criterion;

mod bench {
    cellulos::idl!("idl/bench.idl");
}

/// The same logic for both servers.
fn four(a: u64, b: u64, c: u64, d: u64) -> u64 {
    a ^ b ^ c ^ d
}

fn sum(data: &[u8]) -> u32 {
    data.iter().map(|b| u32::from(*b)).sum()
}

struct Logic;

impl bench::BenchServer for Logic {
    fn nothing(&mut self, _: Badge) -> Result<(), bench::BenchError> {
        Ok(())
    }
    fn four(&mut self, _: Badge, a: u64, b: u64, c: u64, d: u64) -> Result<u64, bench::BenchError> {
        Ok(four(a, b, c, d))
    }
    fn bytes64(&mut self, _: Badge, data: HVec<u8, 64>) -> Result<u32, bench::BenchError> {
        Ok(sum(&data))
    }
    fn kib(&mut self, _: Badge, data: HVec<u8, 1024>) -> Result<u32, bench::BenchError> {
        Ok(sum(&data))
    }
}

/// The hand-written server: the same decoding, logic and replies, written out.
struct HandServer;

impl Serve for HandServer {
    fn serve(&mut self, ctx: &mut ServeCtx<'_>, msg: &mut Message) {
        let reply = |msg: &mut Message, ctx: &mut ServeCtx<'_>, r: Result<(), Status>| {
            if let Err(s) = r {
                msg.label = s as u32;
                msg.len = 0;
            }
            let _ = ctx;
        };
        let result = match msg.code() {
            1 => msg.decode::<()>(ctx.shared).map_err(Status::from).and_then(|()| {
                msg.label = 0;
                msg.encode(&(), ctx.shared).map_err(Status::from)
            }),
            2 => msg.decode::<(u64, u64, u64, u64)>(ctx.shared).map_err(Status::from).and_then(|(a, b, c, d)| {
                msg.label = 0;
                msg.encode(&four(a, b, c, d), ctx.shared).map_err(Status::from)
            }),
            3 => msg.decode::<HVec<u8, 64>>(ctx.shared).map_err(Status::from).and_then(|data| {
                msg.label = 0;
                msg.encode(&sum(&data), ctx.shared).map_err(Status::from)
            }),
            4 => msg.decode::<HVec<u8, 1024>>(ctx.shared).map_err(Status::from).and_then(|data| {
                msg.label = 0;
                msg.encode(&sum(&data), ctx.shared).map_err(Status::from)
            }),
            _ => Err(Status::UnknownMethod),
        };
        reply(msg, ctx, result);
    }
}

/// The hand-written client calls: arguments by value, like the generated client's.
fn hand_call<A: cellulos::runtime::Wire, R: cellulos::runtime::Wire>(conn: &mut Connection, label: u32, args: A) -> R {
    let mut msg = Message::new(label);
    msg.encode(&args, conn.shared()).expect("encode");
    conn.call(&mut msg).expect("call");
    assert_eq!(msg.code(), 0);
    msg.decode(conn.shared()).expect("decode")
}

fn main() {
    let bus = Loopback::new();
    let generated = bus.add_server(Rc::new(RefCell::new(bench::BenchService::new(Logic, 1))));
    let hand = bus.add_server(Rc::new(RefCell::new(HandServer)));
    let mut client = bench::BenchClient::new(bus.connect(generated, 7));
    let mut conn = bus.connect(hand, 7);
    let small: HVec<u8, 64> = HVec::from_slice(&[3; 64]).expect("64");
    let big: HVec<u8, 1024> = HVec::from_slice(&[5; 1024]).expect("1024");
    // Both give the same answers.
    assert_eq!(client.four(1, 2, 3, 4).expect("four"), hand_call::<_, u64>(&mut conn, 2, (1u64, 2u64, 3u64, 4u64)));
    assert_eq!(client.kib(big.clone()).expect("kib"), hand_call::<_, u32>(&mut conn, 4, big.clone()));

    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("stubs");
        g.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
        g.bench_function("generated_nothing", |b| b.iter(|| client.nothing().expect("call")));
        g.bench_function("hand_nothing", |b| b.iter(|| hand_call::<_, ()>(&mut conn, 1, ())));
        g.bench_function("generated_four_words", |b| b.iter(|| client.four(black_box(1), 2, 3, 4).expect("call")));
        g.bench_function("hand_four_words", |b| {
            b.iter(|| hand_call::<_, u64>(&mut conn, 2, (black_box(1u64), 2u64, 3u64, 4u64)))
        });
        g.bench_function("generated_64_bytes", |b| b.iter(|| client.bytes64(black_box(small.clone())).expect("call")));
        g.bench_function("hand_64_bytes", |b| b.iter(|| hand_call::<_, u32>(&mut conn, 3, black_box(small.clone()))));
        g.bench_function("generated_1_kib", |b| b.iter(|| client.kib(black_box(big.clone())).expect("call")));
        g.bench_function("hand_1_kib", |b| b.iter(|| hand_call::<_, u32>(&mut conn, 4, black_box(big.clone()))));
        g.finish();
    }
    c.final_summary();
    report::print_ratios(
        "stubs",
        &[
            ("generated_nothing", "hand_nothing"),
            ("generated_four_words", "hand_four_words"),
            ("generated_64_bytes", "hand_64_bytes"),
            ("generated_1_kib", "hand_1_kib"),
        ],
    );

    // Criterion measures one benchmark after the other, so a drift of the machine between
    // them moves the ratio (we saw 0.8x-1.4x for the same code). Paired rounds cancel it:
    // each round times a batch of both, in alternating order; the ratio is per round.
    println!("\npaired rounds (31 rounds of 2 x 20,000 calls; median and quartiles of generated / hand-written):");
    println!("| request | median | quartiles |\n|---|---|---|");
    report::paired("0 arguments", || client.nothing().expect("call"), || hand_call::<_, ()>(&mut conn, 1, ()));
    let (client_cell, conn_cell) = (RefCell::new(client), RefCell::new(conn));
    report::paired(
        "4 words",
        || client_cell.borrow_mut().four(black_box(1), 2, 3, 4).expect("call"),
        || hand_call::<_, u64>(&mut conn_cell.borrow_mut(), 2, (black_box(1u64), 2u64, 3u64, 4u64)),
    );
    report::paired(
        "64 bytes",
        || client_cell.borrow_mut().bytes64(black_box(small.clone())).expect("call"),
        || hand_call::<_, u32>(&mut conn_cell.borrow_mut(), 3, black_box(small.clone())),
    );
    report::paired(
        "1 KiB",
        || client_cell.borrow_mut().kib(black_box(big.clone())).expect("call"),
        || hand_call::<_, u32>(&mut conn_cell.borrow_mut(), 4, black_box(big.clone())),
    );
}
