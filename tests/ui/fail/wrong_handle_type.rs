// Typed handles: a space handle is not a resource handle (rustc's own message).
mod clock {
    cellulos::idl!("../../idl/clock.idl");
}

fn read_with_space<T: cellulos::runtime::Transport>(
    client: &mut clock::ClockClient<T>,
    space: cellulos::runtime::handle::Handle<clock::spaces::CLOCK>,
) {
    let _ = client.read(&space);
}

fn main() {}
