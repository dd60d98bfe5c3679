//! The policy parsers, compiled alone for fuzzing: the same source files as the crate's.

#[path = "../../src/policy/mod.rs"]
pub mod policy;
