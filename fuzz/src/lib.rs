//! The policy parsers, compiled alone for fuzzing: the same source files as the crate's.

#[path = "../../src/code.rs"]
pub mod code;
#[path = "../../src/policy/mod.rs"]
pub mod policy;
#[path = "../../src/psl.rs"]
pub mod psl;
