# knot_serve ZONE_FILE ADDR PORT PROBE_NAME PROBE_TYPE: start Knot DNS serving ZONE_FILE as the
# root zone on ADDR@PORT, its files under $work/knot, its pid added to $pids; returns once it
# answers PROBE_NAME PROBE_TYPE (the zone of the full population takes a minute or two to load).
knot_serve() {
  local zone=$1 addr=$2 port=$3 probe=$4 type=$5
  mkdir -p "$work/knot"
  cat > "$work/knot.conf" <<CONF
server:
    listen: $addr@$port
    rundir: $work/knot
log:
  - target: stderr
    any: error
database:
    storage: $work/knot
zone:
  - domain: .
    file: $zone
    storage: $work/knot
    journal-content: none
    zonefile-sync: -1
CONF
  knotd -c "$work/knot.conf" 2>"$work/knot.log" &
  pids+=($!)
  for _ in $(seq 1 600); do
    kdig +short +time=1 +retry=0 @"$addr" -p "$port" "$probe" "$type" 2>/dev/null | grep -q . && return 0
    sleep 1
  done
  echo "Knot did not answer $probe $type on $addr@$port in ten minutes; see $work/knot.log" >&2
  return 1
}
