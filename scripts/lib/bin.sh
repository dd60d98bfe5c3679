# Sets $bin to the release binary: MAILCENSUS_BIN when given (CI passes the one its
# `cargo test --release` built), else a `cargo build --release` (which shares every
# dependency's build with the tests).
if [ -n "${MAILCENSUS_BIN:-}" ]; then
  bin=$MAILCENSUS_BIN
else
  cargo build --release --quiet
  bin=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/mailcensus
fi
