//! Prints the Rust the `sel4` crate's build script would generate:
//! `cargo run -p sel4-gen --example render -- <kernel tree> <autoconf.h>`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(source), Some(autoconf)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: render <kernel tree> <autoconf.h>");
        std::process::exit(2);
    };
    match sel4_gen::generate(source.as_ref(), autoconf.as_ref()) {
        Ok(abi) => print!("{}", sel4_gen::rust::render(&abi)),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
