# The simulated .jp of `mailcensus sim world` and a cold Unbound recursing through it, for
# scripts/e2e-world and scripts/bench --world. Needs $bin, $work and the array $pids (every
# server started here is added to it, for the caller's cleanup).

# world_ask ADDR PORT: whether a DNS server there answers `. NS`.
world_ask() {
  python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)
s.sendto(bytes.fromhex("abcd01000001000000000000") + b"\x00\x00\x02\x00\x01", (sys.argv[1], int(sys.argv[2])))
s.recv(512)
PY
}

# world_serve SCALE: serve the world (the 2018 population divided by SCALE) on 127.53.x.y:53;
# writes $work/root.hints, $work/world.csv (the zone list with its ground truth) and keeps
# $work/world.stats up to date.
world_serve() {
  "$bin" sim world --scale "$1" --parts types --hints "$work/root.hints" --list "$work/world.csv" \
    --stats "$work/world.stats" > "$work/world.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do world_ask 127.53.0.1 53 && break; sleep 0.2; done
  world_ask 127.53.0.1 53 || { echo "the world did not start; see:" >&2; cat "$work/world.log" >&2; exit 1; }
}

# world_stat KEY: a counter of the world (`questions`, `over_limit`), as of its last quarter second.
world_stat() { awk -v k="$1" '$1 == k {print $2}' "$work/world.stats"; }

# world_unbound_conf ADDR PORT: $work/unbound.conf, an Unbound on ADDR@PORT that recurses from
# the world's root hints.
world_unbound_conf() {
  cat > "$work/unbound.conf" <<CONF
server:
    interface: $1@$2
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$work"
    pidfile: "$work/unbound.pid"
    use-syslog: no
    verbosity: 0
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    module-config: "iterator"
    root-hints: "$work/root.hints"
    num-threads: 2
    so-rcvbuf: 4m
    num-queries-per-thread: 4096
    outgoing-range: 8192
    qname-minimisation: no
remote-control:
    control-enable: no
CONF
}

# world_unbound_start ADDR PORT: a cold Unbound from $work/unbound.conf, once it answers; its
# pid in $unbound_pid. Then a wait for the world's stats to be rewritten, so that counters read
# next are this client's start.
world_unbound_start() {
  unbound -c "$work/unbound.conf" 2>>"$work/unbound.log" &
  unbound_pid=$!
  for _ in $(seq 1 50); do world_ask "$1" "$2" && break; sleep 0.2; done
  sleep 0.3
}

world_unbound_stop() { kill "$unbound_pid" 2>/dev/null || true; wait "$unbound_pid" 2>/dev/null || true; }
