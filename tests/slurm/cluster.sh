#!/usr/bin/env bash
# A real multi-node Slurm for the tests, on one machine: slurmctld, one slurmd per node (nid001 to
# nid004, each in its own UTS namespace so that `hostname` is the node's name, on its own loopback
# address and port), munge and slurmdbd accounting on the local MariaDB. Each node has LUMI-G's
# shape: 8 fake GPUs as GRES, 56 CPUs (7 per GPU) and 480 GiB (60 GiB per GPU), declared over what
# this machine has (SlurmdParameters=config_overrides). Partitions as LUMI's: small-g (shared,
# default, up to 4 nodes a job), standard-g (whole nodes), dev-g (3 hours).
#
#   bash tests/slurm/cluster.sh up|down|status
#
# Runs as root without systemd. `up` is idempotent: it installs missing Debian packages, writes
# the configuration, starts what is not running and returns once the node is idle and sacct works.
# Settings (environment): SLURM_TEST_DB_HOST (127.0.0.1), SLURM_TEST_DB_PORT (3306),
# SLURM_TEST_DB_ROOT (root; empty password), SLURM_TEST_MAX_JOBS (200), SLURM_TEST_MAX_SUBMIT (210).
set -euo pipefail

CLUSTER=sweepstest
CONF=/etc/slurm
DB_HOST=${SLURM_TEST_DB_HOST:-127.0.0.1}
DB_PORT=${SLURM_TEST_DB_PORT:-3306}
DB_ROOT=${SLURM_TEST_DB_ROOT:-root}
MAX_JOBS=${SLURM_TEST_MAX_JOBS:-200}
MAX_SUBMIT=${SLURM_TEST_MAX_SUBMIT:-210}
DB_PASS=slurmtest
STATE=/var/spool/slurmctld
LOGS=/var/log/slurm
NODES=(nid001 nid002 nid003 nid004)
NODE_LIST="nid00[1-4]"

log() { echo "cluster.sh: $*" >&2; }

running() { pgrep -x "$1" >/dev/null 2>&1; }

install_packages() {
    local missing=()
    for pkg in slurm-wlm slurmdbd munge mariadb-client; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

start_munge() {
    install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge /var/lib/munge
    install -d -o munge -g munge -m 0755 /run/munge
    if [[ ! -s /etc/munge/munge.key ]]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    if ! running munged; then
        log "starting munged"
        su -s /bin/sh munge -c "/usr/sbin/munged --force"
    fi
}

write_config() {
    install -d -m 0755 "$CONF" "$STATE" /var/spool/slurmd "$LOGS" /var/lib/fakegpu /run/slurm
    for i in 0 1 2 3 4 5 6 7; do : >"/var/lib/fakegpu/gpu$i"; done
    local new
    new=$(mktemp)
    cat >"$new" <<CONF
# Written by tests/slurm/cluster.sh: a multi-node test cluster on one machine.
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=root
SlurmctldPort=6817
StateSaveLocation=$STATE
SlurmdSpoolDir=/var/spool/slurmd/%n
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd-%n.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd-%n.log
# Nodes declare LUMI-G's CPUs, memory and GPUs, more than this machine has.
SlurmdParameters=config_overrides
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
MessageTimeout=10
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
KillWait=5
OverTimeLimit=0
JobRequeue=1
# standard-g jobs preempt (cancel) small-g jobs: the tests use it to produce PREEMPTED.
PreemptType=preempt/partition_prio
PreemptMode=CANCEL
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageEnforce=associations,limits
AccountingStorageTRES=gres/gpu
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=2
# Without cgroups, the gatherer enforces --mem (the job ends OUT_OF_MEMORY).
JobAcctGatherParams=OverMemoryKill
$(node_lines)
PartitionName=small-g Nodes=$NODE_LIST Default=YES MaxNodes=4 MaxTime=3-00:00:00 State=UP PriorityTier=1 DefMemPerCPU=500
PartitionName=standard-g Nodes=$NODE_LIST Default=NO OverSubscribe=EXCLUSIVE MaxTime=2-00:00:00 State=UP PriorityTier=2 DefMemPerCPU=500
PartitionName=dev-g Nodes=$NODE_LIST Default=NO MaxNodes=4 MaxTime=03:00:00 State=UP PriorityTier=1 DefMemPerCPU=500
CONF
    CHANGED=0
    replace "$new" "$CONF/slurm.conf" 0644
    new=$(mktemp)
    echo "NodeName=$NODE_LIST Name=gpu File=/var/lib/fakegpu/gpu[0-7]" >"$new"
    replace "$new" "$CONF/gres.conf" 0644
    new=$(mktemp)
    cat >"$new" <<CONF
# Written by tests/slurm/cluster.sh.
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=root
PidFile=/run/slurm/slurmdbd.pid
LogFile=$LOGS/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=$DB_HOST
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
CONF
    replace "$new" "$CONF/slurmdbd.conf" 0600
}

# One line per node: its own loopback address and slurmd port (a port range in one line is refused).
node_lines() {
    local i=0 node
    for node in "${NODES[@]}"; do
        i=$((i + 1))
        echo "NodeName=$node NodeHostname=$node NodeAddr=127.0.1.$i Port=$((17000 + i))" \
            "CPUs=56 RealMemory=491520 Gres=gpu:8 State=UNKNOWN"
    done
}

# Each node's name resolves to its address (a rendezvous on the first node's name works).
write_hosts() {
    local i=0 node
    for node in "${NODES[@]}"; do
        i=$((i + 1))
        grep -q "^127.0.1.$i $node\$" /etc/hosts || echo "127.0.1.$i $node" >>/etc/hosts
    done
}

slurmd_running() { pgrep -f "^/usr/sbin/slurmd -N $1\$" >/dev/null 2>&1; }

# slurmd for one node, in a UTS namespace of its own: its jobs see the node's hostname.
start_slurmd() {
    local node=$1
    install -d -m 0755 "/var/spool/slurmd/$node"
    log "starting slurmd $node"
    unshare --uts sh -c "hostname $node; exec /usr/sbin/slurmd -N $node"
}

# Move $1 over $2 when it differs; remember that a restart is needed.
replace() {
    if ! cmp -s "$1" "$2"; then
        install -m "$3" "$1" "$2"
        CHANGED=1
    fi
    rm -f "$1"
}

prepare_database() {
    mysql -h "$DB_HOST" -P "$DB_PORT" -u "$DB_ROOT" <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
SQL
}

wait_for() { # seconds, description, command...
    local limit=$1 what=$2
    shift 2
    for ((i = 0; i < limit * 2; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    log "timed out waiting for $what"
    return 1
}

stop_daemon() {
    local name=$1
    if running "$name"; then
        pkill -x "$name" || true
        wait_for 20 "$name to stop" bash -c "! pgrep -x $name"
    fi
}

nodes_idle() { ! sinfo -h -N -n "$NODE_LIST" -o '%t' | grep -Evq '^(idle|mix|alloc)$'; }

up() {
    install_packages
    start_munge
    write_hosts
    write_config
    prepare_database
    if ((CHANGED)); then
        stop_daemon slurmd
        stop_daemon slurmctld
    fi
    if ! running slurmdbd; then
        log "starting slurmdbd"
        /usr/sbin/slurmdbd
    fi
    wait_for 30 "slurmdbd" sacctmgr -n show cluster
    if ! sacctmgr -n -P show cluster format=Cluster | grep -qx "$CLUSTER"; then
        sacctmgr -i add cluster "$CLUSTER" >/dev/null
    fi
    if ! running slurmctld; then
        log "starting slurmctld"
        /usr/sbin/slurmctld
    fi
    wait_for 30 "slurmctld" scontrol ping
    local node
    for node in "${NODES[@]}"; do
        slurmd_running "$node" || start_slurmd "$node"
    done
    set_limits
    if ! wait_for 30 "nodes idle" nodes_idle; then
        scontrol update nodename="$NODE_LIST" state=resume || true
        wait_for 30 "nodes idle" nodes_idle
    fi
    wait_for 30 "sacct" sacct -n -X -S now-1minute
    status
}

# The association limits the politeness code reads (LUMI's small-g: 210 queued / 200 running).
set_limits() {
    local account=sweeps user
    user=$(id -un)
    if ! sacctmgr -n -P show account "$account" format=Account | grep -qx "$account"; then
        sacctmgr -i add account "$account" cluster="$CLUSTER" >/dev/null
    fi
    if ! sacctmgr -n -P show assoc user="$user" account="$account" format=User | grep -q .; then
        sacctmgr -i add user "$user" account="$account" cluster="$CLUSTER" \
            defaultaccount="$account" >/dev/null
    fi
    sacctmgr -i modify user where name="$user" set \
        MaxJobs="$MAX_JOBS" MaxSubmitJobs="$MAX_SUBMIT" >/dev/null || true
}

down() {
    if command -v scancel >/dev/null && running slurmctld; then scancel --full -u "$(id -un)" || true; fi
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon slurmdbd
    log "stopped (munged and MariaDB left running)"
}

status() {
    for daemon in munged slurmdbd slurmctld slurmd; do
        if running "$daemon"; then echo "$daemon: running"; else echo "$daemon: stopped"; fi
    done
    if running slurmctld; then
        sinfo -o '%P %a %D %t %G %c %m %N'
        sacctmgr -n -P show assoc format=Cluster,Account,User,MaxJobs,MaxSubmit
    fi
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
*)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
