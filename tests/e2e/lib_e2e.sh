# Shared by the end-to-end tests: root only; a local user with a known
# password; sshd instances on 127.0.0.1 under private names (sshd takes its
# PAM service name from the name it runs as); expect drives the clients.
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: end-to-end tests need root (real sshd, sudo, useradd)"
	echo "# $(basename "$0"): 0 passed, 0 failed"
	exit 0
fi
for tool in sshd ssh expect sudo; do
	command -v $tool >/dev/null || { echo "# $tool missing: scripts/deps.sh e2e"; exit 1; }
done
E2E_USER="otpe2e$$"
E2E_PASS="e2e Pass-$$"
TAG="otp-e2e-$$"
pids=()
# cleanup_e2e: also every sshd whose pid file is in WORK (start_sshd runs
# in a subshell, where pids+= does not reach this shell)
cleanup_e2e() {
	local p
	for p in "${pids[@]}" $(cat "$WORK"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null; done
	rm -f /etc/pam.d/$TAG-* /etc/sudoers.d/$TAG
	userdel -r "$E2E_USER" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup_e2e EXIT
useradd -m -s /bin/sh "$E2E_USER"
echo "$E2E_USER:$E2E_PASS" | chpasswd
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/user_key"
mkdir -p "$WORK/keys"
cp "$WORK/user_key.pub" "$WORK/keys/$E2E_USER"
# sshd reads authorized keys as the user: let it reach them
chmod 0711 "$WORK"
chmod 0755 "$WORK/keys"
chmod 0644 "$WORK/keys/$E2E_USER"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sshd_up NAME METHODS [LINE...]: an sshd called NAME (its PAM service) on
# a free port, AuthenticationMethods METHODS, each LINE added to its
# sshd_config. PORT is its port ("" and status 1 when it did not start);
# its pid is killed at exit.
sshd_up() {
	local name=$1 methods=$2 i; shift 2
	PORT=$(free_port)
	ln -sf "$(command -v sshd)" "$WORK/$name"
	{
		cat <<EOC
Port $PORT
ListenAddress 127.0.0.1
HostKey $WORK/host_key
PidFile $WORK/$name.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication yes
AuthenticationMethods $methods
AuthorizedKeysFile $WORK/keys/%u
StrictModes no
PermitRootLogin no
LogLevel VERBOSE
EOC
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} > "$WORK/$name.conf"
	"$WORK/$name" -f "$WORK/$name.conf" -E "$WORK/$name.log" || { PORT=""; return 1; }
	for i in $(seq 100); do  # ready when it accepts connections
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break
		sleep 0.05
	done
	[ -s "$WORK/$name.pid" ] && pids+=("$(cat "$WORK/$name.pid")")
	return 0
}

# start_sshd NAME METHODS [LINE...]: sshd_up for port=$(start_sshd ...):
# prints the port (nothing when sshd did not start).
start_sshd() {
	sshd_up "$@" || return 1
	echo "$PORT"
}

# The pieces of an expect script driving ssh (for a here-document):
# ssh_spawn PORT [KEY]: the spawn line, ssh to E2E_USER on PORT by
# keyboard-interactive only, or with KEY by publickey first;
# expect_password: the clause typing $env(PW) at "Password:" ("-": that
# prompt must not appear, exit 3); expect_code: $env(CODE) at
# "Verification code:" ("-": exit 4); expect_shell: the clauses that end it:
# a login shell ran (exit 0), refused (1), timeout (2).
ssh_spawn() {
	local auth="-o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no"
	[ -n "${2:-}" ] && auth="-i $2 -o PreferredAuthentications=publickey,keyboard-interactive"
	echo "spawn ssh -tt -p $1 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o NumberOfPasswordPrompts=1 -o BatchMode=no $auth $E2E_USER@127.0.0.1"
}
expect_password() {
	cat <<'EOX'
	"Password:" {
		if {$env(PW) eq "-"} { exit 3 }
		send -- "$env(PW)\r"; exp_continue
	}
EOX
}
expect_code() {
	cat <<'EOX'
	"Verification code:" {
		if {$env(CODE) eq "-"} { exit 4 }
		send -- "$env(CODE)\r"; exp_continue
	}
EOX
}
expect_shell() {
	cat <<'EOX'
	"\$ " { send "echo E2E_LOGGED_IN | tr A-Z a-z; exit\r"; exp_continue }
	"e2e_logged_in" { exit 0 }
	"Permission denied" { exit 1 }
	timeout { exit 2 }
	eof { exit 1 }
EOX
}

# ssh_login PORT PASSWORD CODE [KEY]: answer the prompts that come; exit 0
# when a login shell ran, 1 when refused. PASSWORD or CODE "-" means that
# prompt must not appear. What the user saw is in $WORK/ssh.out (an
# interactive session, as sshd shows PAM's messages only to those).
ssh_login() {
	local port=$1 pw=$2 code=$3 key=${4:-}
	PW=$pw CODE=$code expect -f - >"$WORK/ssh.out" 2>&1 <<EOX
set timeout 20
log_user 1
$(ssh_spawn "$port" "$key")
expect {
$(expect_password)
$(expect_code)
$(expect_shell)
}
EOX
}

# saw DESCRIPTION TEXT: the user saw TEXT (a fixed string) in the last
# session's transcript, the file TRANSCRIPT names (carriage returns dropped).
TRANSCRIPT="$WORK/ssh.out"
saw() {
	if tr -d '\r' < "$TRANSCRIPT" | grep -qF -- "$2"; then ok "$1"; else
		not_ok "$1"; tr -d '\r' < "$TRANSCRIPT" | sed 's/^/#   /' | tail -8; fi
}
