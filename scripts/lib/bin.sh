# Sets $bin to the release binary, as an absolute path (scripts may run it from another folder):
# MAILCENSUS_BIN when given (CI passes the one its `cargo test --release` built), else a
# `cargo build --release` (which shares every dependency's build with the tests).
if [ -n "${MAILCENSUS_BIN:-}" ]; then
  bin=$(realpath "$MAILCENSUS_BIN")
  [ -x "$bin" ] || { echo "MAILCENSUS_BIN=$MAILCENSUS_BIN is not an executable" >&2; exit 1; }
else
  cargo build --release --quiet
  bin=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/mailcensus
fi
