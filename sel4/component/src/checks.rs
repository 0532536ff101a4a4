//! For in-system test components: a check prints `ok: what` or `FAILED: what` on the
//! console (where the root's test and a person read it) and counts the failures, which the
//! component then returns as its exit code (0: all passed).

use sel4_rt::println;

/// A running count of failed checks.
#[derive(Debug, Default)]
pub struct Checks {
    /// How many failed so far.
    pub failed: u64,
}

impl Checks {
    /// Records one check.
    pub fn check(&mut self, ok: bool, what: &str) {
        if ok {
            println!("  ok: {what}");
        } else {
            self.failed += 1;
            println!("  FAILED: {what}");
        }
    }
}
