//! The recipient of GIVE0001: a server of the `recipient` interface and a client of the
//! counter. The giver gives it a tally and tells it the slot; it checks the slot with the
//! root and bumps the tally through its own counter connection.
#![no_std]
#![no_main]

use cellulos::runtime::Badge;
use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Connection, Error};

mod counter {
    cellulos::idl!("../../../../../idl/counter.idl");
}
mod recipient {
    cellulos::idl!("../../../../../idl/recipient.idl");
}

use counter::CounterClient;
use recipient::{RecipientError, RecipientServer, RecipientService};

struct Taker {
    counter: CounterClient<Connection>,
}

impl RecipientServer for Taker {
    fn bump_given(&mut self, _caller: Badge, slot: u64) -> Result<u64, RecipientError> {
        // The root confirms the slot first: the giver's word alone is not trusted.
        let tally = cellulos_component::given::<counter::resources::TALLY>(slot).map_err(|e| {
            println!("taker: slot {slot} holds nothing given to it: {e}");
            RecipientError::NotUsable
        })?;
        self.counter.bump(&tally).map_err(|e| {
            println!("taker: bumping the given tally failed: {e}");
            RecipientError::NotUsable
        })
    }

    fn mount(&mut self, _caller: Badge, _space: u64, _block: u64) -> Result<(), RecipientError> {
        Err(RecipientError::NotUsable)
    }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let counter = CounterClient::new(c.connect("counter")?);
    let mut service = RecipientService::new(Taker { counter }, c.root_badge());
    service.book.add_space::<recipient::spaces::GIFTS>(0, 0).map_err(|_| Error::NotAServer)?;
    c.serve(service)
}
