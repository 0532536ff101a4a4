// PDs as capabilities, consumed spaces, unmaps; and imports resolving to sibling modules.
mod pds {
    cellulos::idl!("../../../codegen/tests/fixtures/good/pds.idl");
}
mod clock {
    cellulos::idl!("../../../codegen/tests/fixtures/good/clock.idl");
}
mod timer_types {
    cellulos::idl!("../../../codegen/tests/fixtures/good/timer_types.idl");
}
mod timer {
    cellulos::idl!("../../../codegen/tests/fixtures/good/timer.idl");
}

fn main() {
    let _ = pds::methods::SPAWN;
    let _: Option<timer::Mode> = Some(timer::Mode::Repeat);
    let _ = core::marker::PhantomData::<cellulos::runtime::handle::Handle<timer::resources::CLOCK>>;
}
