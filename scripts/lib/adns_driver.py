"""Feed adnshost (Debian's adns-tools) the survey's query mix with a bounded number of queries
outstanding, so that it neither idles nor drops: fed a whole list at once it overruns its own
socket and the server's, and its figure would not be its best.

Usage: adns_driver.py NAMES_FILE SERVER_IP WINDOW TIME_FILE [FAILED_FILE]
Prints: queries answered, and how many ended ok / nxdomain / nodata / other. FAILED_FILE gets
the names with a question that ended in a temporary failure (timeout, SERVFAIL, REFUSED: adns's
localfail, remotefail and tempfail), one a line.
"""
import subprocess
import sys
import threading

names_path, server, window, time_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
failed_path = sys.argv[5] if len(sys.argv) > 5 else None
TEMPORARY = {"localfail", "remotefail", "tempfail"}
names = [l.strip() for l in open(names_path) if l.strip()]
proc = subprocess.Popen(
    ["/usr/bin/time", "-f", "%e %U %S %M", "-o", time_file,
     "adnshost", "-a", "-f", "-Vq", "--config", f"nameserver {server}"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1 << 20)
slots = threading.Semaphore(window)
counts = {}
failed = set()


def feed():
    out = proc.stdin
    # -Qq: `_dmarc` labels need it. mx- is the raw MX type: no address lookups of the hosts,
    # the same single query per name the other clients make.
    out.write(b"-Qq\n")
    for n in names:
        b = n.encode()
        for q in (b"-tmx-\n" + b + b"\n", b"-ttxt\n" + b + b"\n", b"_dmarc." + b + b"\n"):
            slots.acquire()
            out.write(q)
        out.flush()
    out.close()


t = threading.Thread(target=feed)
t.start()
answered = 0
lines = proc.stdout
while True:
    head = lines.readline()
    if not head:
        break
    parts = head.split(b" ", 5)
    nrrs = int(parts[1])
    for _ in range(nrrs):
        lines.readline()
    status = parts[4].decode()
    counts[status] = counts.get(status, 0) + 1
    if parts[2].decode() in TEMPORARY:
        # Ids count the questions from 0 in the order asked, three a name.
        failed.add(names[int(parts[0]) // 3])
    answered += 1
    slots.release()
t.join()
proc.wait()
if failed_path:
    with open(failed_path, "w") as f:
        f.writelines(n + "\n" for n in sorted(failed))
print(answered, " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
