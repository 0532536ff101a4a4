//! The greeter server of the example system.
#![no_std]
#![no_main]

use core::fmt::Write;

use cellulos::runtime::heapless::String;
use cellulos::runtime::server::Foreign;
use cellulos::runtime::{Badge, Cap};
use cellulos_component::{Component, Error};

mod counter {
    cellulos::idl!("../../../../idl/counter.idl");
}
mod greeter {
    cellulos::idl!("../../../../idl/greeter.idl");
}

use greeter::{GreeterError, GreeterServer, GreeterService};

struct Greeter {
    greeted: u32,
}

impl GreeterServer for Greeter {
    fn greet(&mut self, caller: Badge, name: String<64>) -> Result<String<128>, GreeterError> {
        if name.is_empty() {
            return Err(GreeterError::Empty);
        }
        self.greeted += 1;
        let mut out = String::new();
        let _ = write!(out, "Hello, {name}! (greeting {} for client {caller})", self.greeted);
        Ok(out)
    }

    fn greeted(&mut self, _caller: Badge) -> Result<u32, GreeterError> {
        Ok(self.greeted)
    }

    fn inspect(
        &mut self,
        _caller: Badge,
        tally: Foreign<counter::resources::TALLY>,
    ) -> Result<(u32, u32), GreeterError> {
        match tally.cap {
            Cap::Endpoint { endpoint, badge } => Ok((endpoint, badge)),
            Cap::Unwrapped(_) => Err(GreeterError::Empty),
        }
    }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut service = GreeterService::new(Greeter { greeted: 0 }, c.root_badge());
    // The GREETING space it serves, held by the server itself (badge 0 is no client's).
    service.book.add_space::<greeter::spaces::GREETING>(0, 0).map_err(|_| Error::NotAServer)?;
    c.serve(service)
}
