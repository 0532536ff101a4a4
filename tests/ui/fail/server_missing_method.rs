// A server must implement every method of its interface (rustc's own message).
mod clock {
    cellulos::idl!("../../idl/clock.idl");
}

struct Half;

impl clock::ClockServer for Half {
    fn create(
        &mut self,
        _caller: cellulos::runtime::Badge,
        _step: u64,
        _mode: clock::Mode,
    ) -> Result<cellulos::runtime::server::New<clock::resources::CLOCK>, clock::ClockError> {
        Err(clock::ClockError::Frozen)
    }
}

fn main() {}
