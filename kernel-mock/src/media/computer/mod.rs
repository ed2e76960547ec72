//! What a fake browser's computer controls remember, and the actions of the
//! "Browser Computer Controls" operations (plus `getMousePosition` and
//! `batchComputerAction`) parsed from their JSON bodies.
//!
//! Parsing ([`Action::from_operation`], in `parse`) checks the shape the spec
//! gives (required fields, types, enum values, no unknown fields);
//! [`ComputerState::apply`] checks the ranges, so a batch runs its items in
//! order and stops at the first bad one, leaving the earlier ones applied, as
//! the real service does.

mod action;
mod parse;
mod state;
#[cfg(test)]
mod tests;

use std::fmt;

pub(crate) use action::{Action, ClickType, MouseButton};
pub(crate) use state::{ActionOutput, ComputerState};

/// A 400-worthy problem with an action, as a message for the `Error` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionError(pub(crate) String);

impl fmt::Display for ActionError {
    /// Writes the message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ActionError {}

/// Shorthand for action results.
type Result<T, E = ActionError> = std::result::Result<T, E>;

/// Builds an [`ActionError`].
fn err<T>(message: impl Into<String>) -> Result<T> {
    Err(ActionError(message.into()))
}
