//! The integration tests, one binary (linking Polars once instead of once a file): DNS over
//! real loopback sockets to the embedded server, the binary run as a user runs it.

mod common;

mod check;
mod checks;
mod corpus;
mod encodings;
mod faults;
mod hostile;
mod mail_hosts;
mod periods;
mod pipeline;
mod politeness;
mod private_suffix;
mod readme;
mod rejudge;
mod research;
mod results_schema;
mod resume;
mod retry;
mod shards;
mod spf_space;
mod transport;
mod zone_localgov;
