# A terminal for the shell tests: one 80x24 tmux pane on a private server
# (socket and config in $WORK), driven by polling its screen, never by
# sleeping a guessed time. Source after lib.sh.
TTY_SOCK="$WORK/tmux.sock"
printf 'set -g status off\nset -g remain-on-exit on\nset -g history-limit 2000\n' > "$WORK/tmux.conf"
tm() { tmux -S "$TTY_SOCK" -f "$WORK/tmux.conf" "$@"; }
trap 'tm kill-server 2>/dev/null; lib_cleanup' EXIT

# tty_start COMMAND...: run COMMAND in a new 80x24 pane (any earlier one
# ends). Its exit status is written to a file: tmux 3.3 does not always
# keep a dead pane's status.
tty_start() {
	tm kill-server 2>/dev/null
	rm -f "$WORK/tty.status"
	tm new-session -d -x 80 -y 24 "$(printf '%q ' sh -c \
		'"$0" "$@"; echo $? > "$TTY_STATUS.new"; mv "$TTY_STATUS.new" "$TTY_STATUS"' "$@")"
}
export TTY_STATUS="$WORK/tty.status"

# tty_screen [ARGS]: the visible screen as text (ARGS go to capture-pane).
tty_screen() { tm capture-pane -p "$@"; }

# tty_history: everything printed, wrapped lines joined.
tty_history() { tm capture-pane -p -J -S -; }

# poll TEST...: run TEST every 50 ms until it passes, for 15 s at most.
poll() {
	local i
	for ((i = 0; i < 300; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

screen_has() { tty_screen | grep -q -- "$1"; }

# tty_wait REGEX: until the screen shows REGEX; 1 when it never does.
tty_wait() { poll screen_has "$1"; }

# tty_type TEXT: type TEXT and Enter.
tty_type() { tm send-keys -l -- "$1" && tm send-keys Enter; }

# tty_status: wait for the command to end and print its exit status.
tty_status() { poll test -e "$TTY_STATUS" && cat "$TTY_STATUS"; }
