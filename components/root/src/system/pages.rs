//! Pages charged to each instance, and its budget (`memory` in `composition.toml`): what
//! the memory server allocated for it and what the PD server copied for the PDs it made
//! count alike, so both servers judge a request here.

use alloc::vec::Vec;

use super::memory::MemoryState;
use super::pds::PdState;

/// A page count per instance.
#[derive(Default)]
pub struct Pages(Vec<u64>);

impl Pages {
    /// Instance `i`'s count.
    pub fn of(&self, i: usize) -> u64 {
        self.0.get(i).copied().unwrap_or(0)
    }

    /// Counts `n` more for instance `i`.
    pub fn add(&mut self, i: usize, n: u64) {
        if self.0.len() <= i {
            self.0.resize(i + 1, 0);
        }
        self.0[i] += n;
    }

    /// Counts `n` fewer for instance `i`.
    pub fn sub(&mut self, i: usize, n: u64) {
        if let Some(c) = self.0.get_mut(i) {
            *c = c.saturating_sub(n);
        }
    }
}

/// Whether instance `i` may have `more` pages within its budget (pages; none: 0).
pub fn within_budget(budgets: &[u32], memory: &MemoryState, made: &PdState, i: usize, more: u64) -> bool {
    let budget = u64::from(budgets.get(i).copied().unwrap_or(0));
    memory.charged_to(i) + made.copied(i) + more <= budget
}
