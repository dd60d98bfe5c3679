# `scripts/bench --world`: clients side by side through the same recursive resolver over the
# simulated .jp of `mailcensus sim world` (a root, `jp.`, 133 DNS operators of Zipf sizes:
# fast, slow, lossy, rate-limited at 20 questions a second per source, dead, half-dead, lame).
# Each client gets a cold Unbound (started afresh from the root hints) on 127.0.0.3:53, the
# one port adnshost talks to:
#   mailcensus   `survey` at its defaults (the list's `ns` column schedules names per operator;
#                the last pass asks the failures again), and at --concurrency 2048;
#   adnshost     the same MX / TXT / _dmarc TXT questions, 768 outstanding (what mailcensus's
#                256 names in flight ask), through scripts/lib/adns_driver.py;
#   dnsperf      the same questions once each, 768 outstanding: no retries, a floor for
#                unresolved and a ceiling for speed.
# Per client: names/s, names unresolved (reachable ones apart: the dead and lame operators'
# names cannot resolve), the questions the world received, and those its rate-limited operators
# refused (read from `sim world --stats` before and after). Sourced by scripts/bench with $bin,
# $work, $names and $pids (scripts/lib/common.sh); the world and Unbound come from
# scripts/lib/world.sh, the table from scripts/lib/bench_world_table.py.

want=$names
[ "$want" -gt 0 ] || want=20000
scale=$(( (1485224 + want - 1) / want ))  # the world is the 2018 population divided
. scripts/lib/world.sh
world_serve "$scale"
echo "world: $(head -1 "$work/world.log")"
tail -n +2 "$work/world.csv" | cut -d, -f1 > "$work/names.txt"
awk -F, 'NR > 1 && $NF != "1" {print $1}' "$work/world.csv" > "$work/unreachable.txt"
n=$(wc -l < "$work/names.txt")
awk '{print $1" MX"; print $1" TXT"; print "_dmarc."$1" TXT"}' "$work/names.txt" > "$work/queries.txt"
echo "names: $n ($(wc -l < "$work/unreachable.txt") at dead or lame operators), queries: $((n * 3))"

resolver=127.0.0.3
world_unbound_conf "$resolver" 53
# One line per client: label seconds unresolved unresolved_reachable questions refused cpu kib
rows=$work/world.tsv
through_cold_unbound() { # command...: run it through a cold Unbound; sets secs cpu kib asked refused
  world_unbound_start "$resolver" 53
  local q0 r0 usr sys; q0=$(world_stat questions); r0=$(world_stat over_limit)
  /usr/bin/time -f '%e %U %S %M' -o "$work/t-world" "$@" > "$work/client.out" 2>&1 || true
  sleep 0.5
  asked=$(( $(world_stat questions) - q0 )); refused=$(( $(world_stat over_limit) - r0 ))
  unbound_stop
  read -r secs usr sys kib < <(tail -1 "$work/t-world")
  cpu=$(echo "$usr $sys" | awk '{print $1 + $2}')
}
row() { # label failed_names_file: the client's line, from through_cold_unbound's figures
  local bad reach
  bad=$(sort -u "$2" | wc -l)
  reach=$(sort -u "$2" | comm -23 - <(sort -u "$work/unreachable.txt") | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$secs" "$bad" "$reach" "$asked" "$refused" "$cpu" "$kib" >> "$rows"
  echo "$1: $secs s, $bad names unresolved ($reach of them reachable), $refused questions refused by rate-limited operators"
}
settled="('answer','nxdomain','nodata')"
mailcensus_world() { # label [survey options]
  local label=$1; shift
  rm -rf "$work/run"
  through_cold_unbound "$bin" survey "$work/world.csv" --resolver "$resolver:53" --out "$work/run" --quiet "$@"
  "$bin" query "SELECT name FROM results WHERE NOT (mx_outcome IN $settled AND txt_outcome IN $settled AND dmarc_outcome IN $settled)" \
    "$work/run" --format csv | tail -n +2 > "$work/failed"
  row "$label" "$work/failed"
}

echo "== mailcensus (defaults)"
mailcensus_world "mailcensus survey"
echo "== mailcensus (--concurrency 2048)"
mailcensus_world "mailcensus survey --concurrency 2048" --concurrency 2048
echo "== adnshost (768 outstanding)"
through_cold_unbound python3 scripts/lib/adns_driver.py "$work/names.txt" "$resolver" 768 "$work/t-adns" "$work/failed"
row "adnshost" "$work/failed"
echo "== dnsperf (each question once, 768 outstanding)"
through_cold_unbound dnsperf -s "$resolver" -p 53 -d "$work/queries.txt" -n 1 -q 768 -t 5 -v
# A question dnsperf never saw answered, or answered anything but NOERROR or NXDOMAIN, leaves
# its name unresolved.
python3 scripts/lib/dnsperf_failed.py "$work/client.out" "$work/queries.txt" > "$work/failed"
row "dnsperf" "$work/failed"

echo "== results (world of $n names, Unbound $(unbound -V | awk 'NR==1 {print $2}'), $(nproc) cores, $(date -u +%F))"
python3 scripts/lib/bench_world_table.py "$rows" "$n"
