# Postfix (Debian) as a real MX that offers STARTTLS. Needs $work and the array $pids
# (scripts/lib/common.sh). Each instance lives in $work/postfix-ADDR-PORT (its own main.cf,
# master.cf, queue, data and log), never /etc/postfix: the default instance is neither used nor
# needed (Debian's "No configuration" install has no main.cf at all).

# postfix_serve ADDR PORT CERT KEY [HOST]: start a Postfix smtpd on ADDR:PORT only, offering
# STARTTLS with the PEM chain CERT (end entity first) and the PEM private key KEY (Ed25519 works:
# Postfix >= 3.4 loads any key type OpenSSL knows), EHLO name HOST (default localhost, its banner
# then shows ADDR: Postfix refuses a numeric myhostname). Its master's pid goes in $pids, and
# TERM to the master stops its children too; returns once a STARTTLS handshake succeeds, exits
# at once if smtpd cannot load CERT and KEY, after thirty seconds if it does not answer. It
# speaks EHLO, STARTTLS, QUIT; every RCPT (and VRFY, ETRN) is refused, so no mail is queued.
postfix_serve() {
  local addr=$1 port=$2 cert=$3 key=$4 host=${5:-localhost} banner=${5:-$1}
  local dir=$work/postfix-$addr-$port svc=$addr:$port proto=ipv4 pid
  case $addr in *:*) svc="[$addr]:$port" proto=ipv6 ;; esac
  # Debian's postinst would otherwise ask for (and default to) an Internet Site: the default
  # instance configured, and started where an init system runs.
  [ -x /usr/lib/postfix/sbin/master ] ||
    echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  need_packages /usr/lib/postfix/sbin/master:postfix openssl:openssl
  mkdir -p "$dir/etc" "$dir/spool"
  # The daemons drop to the postfix user and open their lock and data files by full path, so
  # that user must be able to pass through $work (mktemp makes it 0700).
  chmod o+x "$work"
  if ! setpriv --reuid=postfix --regid=postfix --clear-groups test -x "$dir"; then
    echo "the postfix user cannot reach $dir (a folder above it is closed to others)" >&2
    exit 1
  fi
  # inet_interfaces is left to loopback-only: Postfix checks it against the interfaces' own
  # addresses, which 127.26.0.1 is not (lo routes it all the same); the service name in master.cf
  # is what binds ADDR:PORT. The maps emptied would each need a proxymap or a file; the
  # restrictions keep trivial-rewrite the only helper an SMTP dialogue can reach.
  cat > "$dir/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = $host
smtpd_banner = $banner ESMTP Postfix
inet_interfaces = loopback-only
inet_protocols = $proto
mynetworks = 127.0.0.0/8 [::1]/128
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
smtpd_relay_restrictions = reject
smtpd_etrn_restrictions = reject
disable_vrfy_command = yes
smtpd_tls_security_level = may
smtpd_tls_chain_files = $key, $cert
smtpd_tls_loglevel = 1
CONF
  # chroot n: a chroot would need copies of /etc files in the queue. postlogd writes maillog
  # (there is no syslog). smtpd waits, retrying every ten seconds, for a helper that is not
  # there: trivial-rewrite (MAIL FROM), tlsmgr (TLS session tickets), anvil (client counts).
  cat > "$dir/etc/master.cf" <<CONF
$svc inet n - n - - smtpd
rewrite unix - - n - - trivial-rewrite
tlsmgr unix - - n 1000? 1 tlsmgr
anvil unix - - n - 1 anvil
postlog unix-dgram n - n - 1 postlogd
CONF
  # `postfix check` makes the queue and data folders with the owners and modes Postfix wants
  # (post-install create-missing), and finds configuration errors before the master does.
  if ! /usr/sbin/postfix -c "$dir/etc" check; then
    echo "postfix check failed for $dir/etc; see $dir/maillog" >&2
    exit 1
  fi
  # The master itself, not `postfix start`, so that it is our child: it stays in the foreground
  # (its stdio on /dev/null; the log is maillog) and its pid is the one to kill.
  /usr/lib/postfix/sbin/master -c "$dir/etc" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 150); do
    postfix_tls_ready "$svc" && return 0
    kill -0 "$pid" 2>/dev/null || break
    grep -q 'disabling TLS support' "$dir/maillog" 2>/dev/null && break
    sleep 0.2
  done
  echo "Postfix did not complete a STARTTLS handshake on $svc; see $dir/maillog" >&2
  exit 1
}

# postfix_tls_ready ADDR:PORT: true once a STARTTLS handshake there succeeds (a greeting is not
# enough: smtpd lists STARTTLS even when it could not load the key, then answers 454).
postfix_tls_ready() {
  timeout 5 openssl s_client -brief -starttls smtp -connect "$1" </dev/null >/dev/null 2>&1
}
