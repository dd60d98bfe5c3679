# What the scripts share: Debian packages and virtualenvs installed when missing, free loopback
# ports, and one cleanup on exit. Sourced from the repository root (every script cds there).

# apt_install PACKAGE...: install from Debian, quietly (needs root).
apt_install() {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# need_packages WHAT:PACKAGE...: install each PACKAGE whose WHAT is missing, in one apt-get.
# WHAT is a command looked up in PATH, or an absolute path (a file or a folder) that must exist.
need_packages() {
  local spec what missing=()
  for spec in "$@"; do
    what=${spec%%:*}
    case $what in
      /*) [ -e "$what" ] ;;
      *) command -v "$what" >/dev/null ;;
    esac || missing+=("${spec#*:}")
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

# need_venv DIR MODULES PIP_SPEC...: a virtualenv at DIR whose python imports MODULES (a comma
# list), made (or completed) with `pip install PIP_SPEC...` when it does not.
need_venv() {
  local dir=$1 modules=$2; shift 2
  [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import $modules" 2>/dev/null && return 0
  # Debian splits venv's pip bootstrap into python3-venv.
  python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  python3 -m venv "$dir" && "$dir/bin/pip" install -q "$@"
}

# free_port: a TCP port on 127.0.0.1 that nothing holds now (the kernel's pick; the scripts bind
# UDP and TCP on it right after).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The cleanup registry. make_work sets $work to a fresh folder and arms the exit trap (a script
# that makes its folder otherwise sets $work and calls cleanup_on_exit); every background
# server's pid goes in $pids; at_exit FUNCTION adds a function to run first; keep_work=1 leaves
# $work in place (for its logs). A signal exits, which runs the trap.
pids=()
exit_hooks=()
keep_work=0
at_exit() { exit_hooks+=("$1"); }
cleanup() {
  local hook p
  for hook in "${exit_hooks[@]}"; do "$hook" || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$keep_work" = 1 ] || [ -z "${work:-}" ] || rm -rf "$work"
}
cleanup_on_exit() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
make_work() { work=$(mktemp -d); cleanup_on_exit; }
