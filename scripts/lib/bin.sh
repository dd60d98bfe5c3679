# Sets $bin to the release binary: MAILCENSUS_BIN when given (CI passes the one its
# `cargo test --release` built: a plain `cargo build` resolves features without the
# dev-dependencies and would compile Polars a second time), else a fresh `cargo build`.
if [ -n "${MAILCENSUS_BIN:-}" ]; then
  bin=$MAILCENSUS_BIN
else
  cargo build --release --quiet
  bin=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/mailcensus
fi
