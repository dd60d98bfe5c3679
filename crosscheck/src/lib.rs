//! The policy parsers, compiled alone for the cross-check: the same source files as the
//! crate's (their unit tests run here too).

#[path = "../../src/code.rs"]
pub mod code;
#[path = "../../src/policy/mod.rs"]
pub mod policy;
#[path = "../../src/psl.rs"]
pub mod psl;
