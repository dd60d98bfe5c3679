# The simulated .jp of `mailcensus sim world` and a cold Unbound recursing through it, for
# scripts/e2e-world and scripts/bench --world. Needs $bin, $work and the array $pids
# (scripts/lib/common.sh: every server started here is added to it, for the caller's cleanup).
. scripts/lib/unbound.sh

# world_serve SCALE: serve the world (the 2018 population divided by SCALE) on 127.53.x.y:53;
# writes $work/root.hints, $work/world.csv (the zone list with its ground truth) and keeps
# $work/world.stats up to date.
world_serve() {
  "$bin" sim world --scale "$1" --parts types --hints "$work/root.hints" --list "$work/world.csv" \
    --stats "$work/world.stats" > "$work/world.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do python3 scripts/lib/dns_ask.py 127.53.0.1 53 2>/dev/null && return 0; sleep 0.2; done
  echo "the world did not start; see:" >&2; cat "$work/world.log" >&2; exit 1
}

# world_stat KEY: a counter of the world (`questions`, `over_limit`), as of its last quarter second.
world_stat() { awk -v k="$1" '$1 == k {print $2}' "$work/world.stats"; }

# world_unbound_conf ADDR PORT: $work/unbound.conf, an Unbound on ADDR@PORT that recurses from
# the world's root hints.
world_unbound_conf() { unbound_conf "$1" "$2" "root-hints: \"$work/root.hints\""; }

# world_unbound_start ADDR PORT: a cold Unbound (unbound_start), then a wait for the world's stats
# to be rewritten, so that counters read next are this client's start. unbound_stop stops it.
world_unbound_start() {
  unbound_start "$1" "$2"
  sleep 0.3
}
