# nginx (Debian) as a real HTTPS server, e.g. for an MTA-STS policy. Needs $work and the array
# $pids (scripts/lib/common.sh). Each instance lives in $work/nginx-ADDR-PORT (its own
# configuration, pid file, logs and temp folders), never /etc/nginx: Debian's default site is
# neither read nor started.

# nginx_serve ADDR PORT CERT KEY ROOT: start nginx on ADDR:PORT only, TLS with the PEM chain
# CERT (end entity first) and the PEM private key KEY (Ed25519 works with Debian's OpenSSL 3),
# serving the files under ROOT, .txt as text/plain (RFC 8461 wants that of
# /.well-known/mta-sts.txt). Its pid goes in $pids; returns once it accepts connections on
# ADDR:PORT, exits after ten seconds without.
nginx_serve() {
  local addr=$1 port=$2 cert=$3 key=$4 root=$5
  local dir=$work/nginx-$addr-$port listen=$addr:$port pid
  case $addr in *:*) listen="[$addr]:$port" ;; esac
  # Debian's package is nginx (nginx-light is only nginx plus the echo module).
  need_packages /usr/sbin/nginx:nginx
  mkdir -p "$dir"
  # daemon off: the master stays our child, its pid the one to kill (TERM: it stops its worker
  # and exits). user root: the worker reads ROOT and the temp folders under $work, which mktemp
  # keeps closed to others. Every path nginx would otherwise take from its compiled-in prefix
  # (/var/lib/nginx, /var/log/nginx, /run/nginx.pid) is set here.
  cat > "$dir/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events {
    worker_connections 64;
}
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    types {
        text/plain txt;
        text/html html;
    }
    default_type application/octet-stream;
    server {
        listen $listen ssl;
        ssl_certificate $cert;
        ssl_certificate_key $key;
        # nginx before 1.23.4 (bookworm has 1.22) leaves TLS 1.3 out of its default.
        ssl_protocols TLSv1.2 TLSv1.3;
        root $root;
    }
}
CONF
  # -e: the error log before the configuration is read (else /var/log/nginx/error.log).
  /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 50); do
    # nginx binds only after loading the certificate and key, so a connection means TLS is up.
    (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "nginx did not listen on $listen; see $dir/error.log" >&2
  exit 1
}
