//! Why the keeper refused a change.

use core::fmt;

use osmosis::ModelError;

/// What went wrong keeping the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeeperError {
    /// No live PD with this number.
    NoPd(u32),
    /// The root task cannot be removed, nor given regions (its own memory is not modelled).
    Root,
    /// The change would break the model (a duplicate id, a hold nobody can name ...).
    Model(ModelError),
}

impl fmt::Display for KeeperError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeeperError::NoPd(n) => write!(f, "no PD_{n} in the model"),
            KeeperError::Root => f.write_str("the root task's PD cannot be removed or given regions"),
            KeeperError::Model(e) => write!(f, "model: {e}"),
        }
    }
}

impl From<ModelError> for KeeperError {
    fn from(e: ModelError) -> Self {
        KeeperError::Model(e)
    }
}
