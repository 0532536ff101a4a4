//! The second serial port (COM2, I/O port 0x2f8), where the root streams the extracted
//! model in frames (`cellulos_system::frame`), never mixed with the console on COM1. QEMU
//! writes it to a file (`-serial file:...`) and sends every byte written to the transmit
//! register straight out, so no line set-up or polling is needed.

use sel4::{init, label, syscall, MessageInfo, Word};

/// COM2's transmit register.
const COM2: Word = 0x2f8;

/// Writes one frame of `kind` around `payload`; an error when the kernel refuses the port.
pub fn send(kind: u8, payload: &[u8]) -> Result<(), &'static str> {
    let mut refused = false;
    cellulos_system::frame::encode(kind, payload, |bytes| {
        for b in bytes {
            // `seL4_X86_IOPort_Out8(port, data)` in registers, through the global I/O port cap.
            let r = syscall::call(
                init::IO_PORT.bits(),
                MessageInfo::new(label::X86_IO_PORT_OUT8, 0, 0, 2),
                [COM2, Word::from(*b), 0, 0],
            );
            refused |= r.info.label() != 0;
        }
    })
    .map_err(|_| "model larger than a frame holds")?;
    if refused {
        return Err("the kernel refused I/O port 0x2f8");
    }
    Ok(())
}
