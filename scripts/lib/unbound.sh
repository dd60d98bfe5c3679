# Unbound (Debian) as the recursive resolver in front of the scripts' servers. Needs $work and the
# array $pids (scripts/lib/common.sh); one Unbound at a time, from $work/unbound.conf.

# unbound_conf ADDR PORT [SETTING...]: write $work/unbound.conf, an Unbound on ADDR@PORT for
# loopback clients that may recurse to loopback servers, iterator only (the simulated zones are
# unsigned), no QNAME minimisation (the upstream gets the client's own questions). Each SETTING is one more `server:` line; the upstream comes from a SETTING
# (`root-hints: ...`) or from unbound_stub.
unbound_conf() {
  local addr=$1 port=$2 setting; shift 2
  {
    cat <<CONF
server:
    interface: $addr@$port
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
    num-threads: 2
    so-rcvbuf: 4m
    num-queries-per-thread: 4096
    outgoing-range: 8192
    qname-minimisation: no
CONF
    for setting in "$@"; do printf '    %s\n' "$setting"; done
    printf 'remote-control:\n    control-enable: no\n'
  } > "$work/unbound.conf"
}

# unbound_stub ZONE ADDR@PORT...: append a stub zone to $work/unbound.conf: Unbound asks ZONE's
# questions of these servers (any of them, by their round trips).
unbound_stub() {
  local zone=$1 addr; shift
  printf 'stub-zone:\n    name: "%s"\n' "$zone"
  for addr in "$@"; do printf '    stub-addr: %s\n' "$addr"; done
} >> "$work/unbound.conf"

# unbound_start ADDR PORT: a cold Unbound from $work/unbound.conf, its pid in $unbound_pid (and
# $pids, for the cleanup); returns once it answers on ADDR PORT, exits after ten seconds without.
unbound_start() {
  unbound -c "$work/unbound.conf" 2>>"$work/unbound.log" &
  unbound_pid=$!
  pids+=("$unbound_pid")
  for _ in $(seq 1 50); do
    python3 scripts/lib/dns_ask.py "$1" "$2" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "Unbound did not answer on $1@$2; see $work/unbound.log" >&2
  exit 1
}

unbound_stop() { kill "$unbound_pid" 2>/dev/null || true; wait "$unbound_pid" 2>/dev/null || true; }
