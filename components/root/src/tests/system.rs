//! Components as protection domains: the composed test system (components/tests.toml)
//! starts, its probe client checks the seL4 transport through the counter server, and
//! stopping it gives every object back.

use alloc::string::String;

use super::{err, Ctx};
use crate::ensure;

/// Starts the embedded system, waits for its client, stops it.
pub fn components_talk_through_generated_stubs(c: &mut Ctx) -> Result<(), String> {
    let system = crate::system::embedded()?.ok_or("no system composed into this root task")?;
    let before = c.k.usage();
    let mut running = crate::system::start(&mut c.k, &mut c.vspace, &mut c.sup, &system)?;
    let bad = running.supervise(&mut c.k, &c.sup).map_err(err)?;
    running.stop(&mut c.k).map_err(err)?;
    ensure!(bad == 0, "{bad} component(s) ended badly");
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}
