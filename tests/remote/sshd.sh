# A loopback OpenSSH server for the remote tests (sourced after lib_cli.sh):
# host and user keys generated into $D/sshd, sshd listening on 127.0.0.1 at a
# free port, unprivileged when the test is (as root it needs /run/sshd), and
# an ssh client config naming it "teai-loop" (a second alias "teai-loop2"
# for a second device on the same server). Torn down at exit. The device
# list goes to $D/config (TEAI_CONFIG_DIR), never the user's ~/.config.
#   sshd_start            starts it (skips the test, naming the package,
#                         when sshd or ssh is missing; fails when they are
#                         there but the server does not start or let us in)
#   $SSH_CFG              the client config (teai device add --ssh-config)
#   $SSHD_PID, $SSHD_PORT the listening server
#   sshd_sessions         pids of its session processes ("sshd: USER@notty")
SSHD=${TEAI_SSHD:-/usr/sbin/sshd}
S=$D/sshd
SSH_CFG=$S/ssh_config
SSHD_PID=
SSHD_PORT=
export TEAI_CONFIG_DIR=$D/config

# the server is there but does not work: a failure, not a skip
sshd_broken() {
    fail "$*"
    finish
}

sshd_stop() {
    if [ -n "$SSHD_PID" ]; then
        for p in $(sshd_sessions) $SSHD_PID; do kill "$p" 2>/dev/null; done
        wait "$SSHD_PID" 2>/dev/null
        SSHD_PID=
    fi
}
trap 'sshd_stop; rm -rf "$D"' EXIT

# the session processes of our server: its children's children named
# "sshd: ...@notty" (the privilege-separated child that holds the connection)
sshd_sessions() {
    [ -n "$SSHD_PID" ] || return 0
    for c in $(pgrep -P "$SSHD_PID"); do
        for g in $c $(pgrep -P "$c"); do
            case $(cat "/proc/$g/cmdline" 2>/dev/null | tr '\0' ' ') in
            *@notty*) echo "$g" ;;
            esac
        done
    done
}

sshd_start() {
    [ -x "$SSHD" ] || skip_test "no $SSHD (Debian/Ubuntu: apt-get install openssh-server; scripts/setup.sh)"
    command -v ssh >/dev/null && command -v scp >/dev/null && command -v ssh-keygen >/dev/null ||
        skip_test "no ssh/scp/ssh-keygen (Debian/Ubuntu: apt-get install openssh-client)"
    command -v pgrep >/dev/null || skip_test "no pgrep (procps)"
    mkdir -p "$S" "$TEAI_CONFIG_DIR"
    chmod 700 "$S"
    ssh-keygen -q -t ed25519 -N '' -f "$S/host_key" >/dev/null &&
        ssh-keygen -q -t ed25519 -N '' -f "$S/user_key" >/dev/null || sshd_broken "ssh-keygen failed"
    cp "$S/user_key.pub" "$S/authorized_keys"
    [ "$(id -u)" != 0 ] || mkdir -p /run/sshd
    _try=0
    while [ $_try -lt 20 ]; do
        _try=$((_try + 1))
        SSHD_PORT=$((20000 + ($$ * 13 + _try * 997 + $(date +%N | sed 's/^0*//;s/^$/0/') % 1000) % 40000))
        cat >"$S/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $SSHD_PORT
HostKey $S/host_key
AuthorizedKeysFile $S/authorized_keys
PidFile $S/sshd.pid
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
LogLevel INFO
CFG
        : >"$S/log"
        "$SSHD" -D -e -f "$S/sshd_config" 2>"$S/log" &
        SSHD_PID=$!
        _w=0
        while [ $_w -lt 50 ] && kill -0 "$SSHD_PID" 2>/dev/null && ! grep -q "Server listening" "$S/log"; do
            sleep 0.1
            _w=$((_w + 1))
        done
        grep -q "Server listening" "$S/log" && kill -0 "$SSHD_PID" 2>/dev/null && break
        kill "$SSHD_PID" 2>/dev/null
        wait "$SSHD_PID" 2>/dev/null
        SSHD_PID=
        grep -q "Address already in use" "$S/log" || sshd_broken "sshd does not start: $(tail -n 3 "$S/log")"
    done
    [ -n "$SSHD_PID" ] || sshd_broken "no free port for sshd in 20 tries"
    cat >"$SSH_CFG" <<CFG
Host teai-loop teai-loop2
    HostName 127.0.0.1
    Port $SSHD_PORT
    User $(id -un)
    IdentityFile $S/user_key
    IdentitiesOnly yes
    UserKnownHostsFile $S/known_hosts
    StrictHostKeyChecking accept-new
    LogLevel ERROR
CFG
    ssh -F "$SSH_CFG" -o BatchMode=yes teai-loop true 2>"$S/first" ||
        sshd_broken "cannot log in to the loopback sshd: $(tail -n 2 "$S/first") $(tail -n 3 "$S/log")"
}

# wait_logs DIR SECONDS: waits until DIR holds a log (*.txt); 0 when it does
wait_logs() {
    _w=0
    while [ $_w -lt $(($2 * 10)) ] && [ "$(ls "$1"/*.txt 2>/dev/null | wc -l)" -lt 1 ]; do
        sleep 0.1
        _w=$((_w + 1))
    done
    [ "$(ls "$1"/*.txt 2>/dev/null | wc -l)" -ge 1 ]
}

# wait_gone PATTERN: waits up to 10 s until no process's command line
# matches PATTERN (pgrep -f); 0 when none does
wait_gone() {
    _w=0
    while [ $_w -lt 100 ] && pgrep -f "$1" >/dev/null; do
        sleep 0.1
        _w=$((_w + 1))
    done
    ! pgrep -f "$1" >/dev/null
}

# device_binary ARCH: the static device binary the fixtures built
# ($TEAI_DEVICE_DIR/teai-ARCH), or empty
device_binary() {
    _b=${TEAI_DEVICE_DIR:-}/teai-$1
    [ -n "${TEAI_DEVICE_DIR:-}" ] && [ -x "$_b" ] && echo "$_b"
}
