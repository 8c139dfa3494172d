#!/bin/bash
# Runs a local demo: a private Prosody on 127.0.0.1 with users alice, bob
# and carol, and backchanneld serving bc.localhost and rooms.bc.localhost,
# with demo identities.  Everything lives in run/demo/ under the checkout.
#
#   scripts/demo.sh                 install deps, build, (re)start the demo
#   scripts/demo.sh stop            stop the demo (by the PIDs in run/demo/)
#   scripts/demo.sh status          show whether it runs
#   scripts/demo.sh restart-daemon  rebuild and restart backchanneld only
#                                   (Prosody, its accounts and the store stay)
#
# Environment: BC_DEMO_SKIP_DEPS=1 skips scripts/deps.sh; JOBS for make.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
run=$top/run/demo
build=$top/build/main
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
HOST=localhost
SERVICE=bc.localhost
ROOMS=rooms.bc.localhost
PASSWORD=password
conf=$run/backchannel.xml
daemon=$build/backchanneld
ctl=$build/backchannelctl

say() { printf 'demo: %s\n' "$*"; }
warn() { printf 'demo: warning: %s\n' "$*" >&2; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

# Prints the PID in run/demo/NAME.pid if that process is alive and is still
# the one we started (its command line names our run directory).
live_pid() {
	local file=$run/$1.pid pid
	[ -f "$file" ] || return 1
	pid=$(cat "$file")
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$run" || return 1
	echo "$pid"
}

stop_one() {
	local name=$1 pid i
	if pid=$(live_pid "$name"); then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			[ -d "/proc/$pid" ] || break
			sleep 0.1
		done
		if [ -d "/proc/$pid" ]; then
			warn "$name ($pid) did not stop: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		say "stopped $name ($pid)"
	fi
	rm -f "$run/$name.pid"
}

stop_all() {
	stop_one backchanneld
	stop_one prosody
}

# Starts backchanneld on the demo's configuration, logging to a file.
start_daemon() {
	nohup "$daemon" -c "$conf" -v --log-file "$run/backchanneld.log" \
		>>"$run/backchanneld.out" 2>&1 </dev/null &
	echo $! >"$run/backchanneld.pid"
	sleep 1
	if ! live_pid backchanneld >/dev/null; then
		tail -n 20 "$run/backchanneld.log" "$run/backchanneld.out" >&2
		return 1
	fi
}

build() {
	say "building in $build"
	[ -x configure ] || ./autogen.sh >/dev/null
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ]; then
		(cd "$build" && ../../configure --enable-werror >configure.out) ||
			die "configure failed (see $build/config.log)"
	fi
	make -C "$build" -j"$JOBS" -s >/dev/null || die "build failed: run make -C $build"
	[ -x "$daemon" ] || die "no backchanneld in $build"
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
	local want=$1 p
	if port_free "$want"; then
		echo "$want"
		return
	fi
	for p in $(seq $((want + 10000)) $((want + 10100))); do
		if port_free "$p"; then
			echo "$p"
			return
		fi
	done
	die "no free port near $want"
}

wait_port() {
	local port=$1 pid=$2 i
	for i in $(seq 1 100); do
		if ! port_free "$port"; then
			return 0
		fi
		[ -d "/proc/$pid" ] || return 1
		sleep 0.1
	done
	return 1
}

case ${1:-start} in
stop)
	stop_all
	exit 0
	;;
status)
	for n in prosody backchanneld; do
		if pid=$(live_pid $n); then say "$n running ($pid)"; else say "$n not running"; fi
	done
	exit 0
	;;
restart-daemon)
	[ -f "$conf" ] || die "no demo to restart: run scripts/demo.sh first"
	live_pid prosody >/dev/null || die "prosody is not running: run scripts/demo.sh"
	cd "$top"
	build
	stop_one backchanneld
	start_daemon || die "backchanneld exited at once"
	say "backchanneld restarted (pid $(cat "$run/backchanneld.pid")), log $run/backchanneld.log"
	exit 0
	;;
start) ;;
*) die "usage: scripts/demo.sh [start|stop|status|restart-daemon]" ;;
esac

cd "$top"
if [ -z "${BC_DEMO_SKIP_DEPS:-}" ]; then
	bash scripts/deps.sh
fi
build

# A re-run starts over with the same data.
stop_all
mkdir -p "$run/prosody/data" "$run/prosody/certs" "$run/store"

c2s_port=$(pick_port 5222)
component_port=$(pick_port 5347)
secret_file=$run/secret
[ -s "$secret_file" ] || od -An -N12 -tx1 /dev/urandom | tr -d ' \n' >"$secret_file"
secret=$(cat "$secret_file")

if [ ! -s "$run/prosody/certs/$HOST.crt" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$HOST" \
		-keyout "$run/prosody/certs/$HOST.key" \
		-out "$run/prosody/certs/$HOST.crt" >/dev/null 2>&1 ||
		warn "could not make a certificate"
fi

cfg=$run/prosody/prosody.cfg.lua
cat >"$cfg" <<EOF
-- Demo server: loopback only, plain authentication allowed.
run_as_root = true
pidfile = "$run/prosody/prosody.pid"
data_path = "$run/prosody/data"
certificates = "$run/prosody/certs"
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
component_interfaces = { "127.0.0.1" }
c2s_ports = { $c2s_port }
c2s_direct_tls_ports = { }
s2s_ports = { }
component_ports = { $component_port }
http_ports = { }
https_ports = { }
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = false
log = { { levels = { min = "info" }, to = "file", filename = "$run/prosody.log" } }
modules_enabled = {
  "roster"; "saslauth"; "disco"; "ping"; "presence"; "message"; "iq";
  "version"; "time"; "private"; "vcard"; "blocklist"; "carbons";
}
modules_disabled = { "s2s" }

VirtualHost "$HOST"

Component "$SERVICE"
  component_secret = "$secret"

Component "$ROOMS"
  component_secret = "$secret"
EOF

for u in alice bob carol; do
	prosodyctl --config "$cfg" register "$u" "$HOST" "$PASSWORD" >/dev/null ||
		die "could not register $u@$HOST"
done

nohup prosody -F --config "$cfg" >>"$run/prosody.log" 2>&1 </dev/null &
echo $! >"$run/prosody.pid"
wait_port "$c2s_port" "$(cat "$run/prosody.pid")" &&
	wait_port "$component_port" "$(cat "$run/prosody.pid")" ||
	{
		tail -n 20 "$run/prosody.log" >&2
		stop_all
		die "prosody did not start"
	}
say "prosody running (pid $(cat "$run/prosody.pid")), c2s 127.0.0.1:$c2s_port, components 127.0.0.1:$component_port"

cat >"$conf" <<EOF
<backchannel>
  <server host="127.0.0.1" port="$component_port"/>
  <service domain="$SERVICE" secret="$secret"/>
  <rooms domain="$ROOMS" secret="$secret"/>
  <store path="$run/store"/>
</backchannel>
EOF

ctl_run() {
	if [ ! -x "$ctl" ]; then
		warn "backchannelctl not built: skipped: $*"
		return 0
	fi
	if ! "$ctl" -c "$conf" "$@" >/dev/null 2>"$run/ctl.err"; then
		# On a re-run the demo data is already there.
		grep -q 'already' "$run/ctl.err" ||
			warn "backchannelctl $* failed: $(head -n 1 "$run/ctl.err")"
	fi
}
ctl_run identity add alice --name "Alice"
ctl_run identity add bob --name "Bob"
ctl_run identity add carol --name "Carol"
ctl_run link alice "alice@$HOST"
ctl_run link bob "bob@$HOST"
ctl_run link carol "carol@$HOST"
ctl_run follow alice bob
ctl_run follow bob alice

start_daemon || {
	stop_all
	die "backchanneld exited at once"
}

cat <<EOF

Backchannel demo is running.

  backchanneld  pid $(cat "$run/backchanneld.pid"), log $run/backchanneld.log
  prosody       pid $(cat "$run/prosody.pid"), log $run/prosody.log
  config        $conf

Connect any XMPP client to server 127.0.0.1, port $c2s_port, without TLS
(plain authentication is allowed on this loopback server):

  alice@$HOST   password "$PASSWORD"   (identity alice@$SERVICE)
  bob@$HOST     password "$PASSWORD"   (identity bob@$SERVICE)
  carol@$HOST   password "$PASSWORD"   (identity carol@$SERVICE)

alice and bob follow each other: as alice, write to bob@$SERVICE (and
approve $SERVICE's contact request, so that your identity shows online to
others).  Nobody follows carol: as carol, write to alice@$SERVICE and alice
gets a message request (a contact request from carol@$SERVICE with the
text); she approves it to read the message, or writes "requests" or
"accept carol" to $SERVICE.

Another person:
  prosodyctl --config $cfg register dave $HOST $PASSWORD
  $ctl -c $conf identity add dave --name "Dave"
  $ctl -c $conf link dave dave@$HOST

After changing the code: scripts/demo.sh restart-daemon

Stop it with: scripts/demo.sh stop
EOF
