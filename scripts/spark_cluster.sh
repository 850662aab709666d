#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the installed pyspark: one master and N workers (default 2), each
# its own JVM, on free ports, with their logs and work directories under one state directory.
#
#   scripts/spark_cluster.sh start     # prints the master URL (spark://127.0.0.1:PORT) as its last line
#   scripts/spark_cluster.sh status    # the master URL and the live processes
#   scripts/spark_cluster.sh stop
#
# Environment: MIRAGE_SPARK_CLUSTER (state directory, default $TMPDIR/graph-mirage-spark-cluster),
# SPARK_WORKERS (2), SPARK_WORKER_CORES (1), SPARK_WORKER_MEMORY (2g), PYTHON (python3).
# Then: mirage distill DIR --engine spark --spark-master "$(scripts/spark_cluster.sh status | head -1)"
set -euo pipefail

STATE=${MIRAGE_SPARK_CLUSTER:-${TMPDIR:-/tmp}/graph-mirage-spark-cluster}
WORKERS=${SPARK_WORKERS:-2}
CORES=${SPARK_WORKER_CORES:-1}
MEMORY=${SPARK_WORKER_MEMORY:-2g}
PY=${PYTHON:-python3}

die() { echo "spark_cluster.sh: $*" >&2; exit 2; }

spark_home() {
  "$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null \
    || die "pyspark is not installed for $PY (pip install 'graph-mirage[spark]')"
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {  # wait_for SECONDS FILE PATTERN COUNT: until FILE has COUNT lines matching PATTERN
  local deadline=$((SECONDS + $1))
  while [ "$(grep -c "$3" "$2" 2>/dev/null || true)" -lt "$4" ]; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

start() {
  if alive "$STATE/master.pid"; then
    die "a cluster is already running ($(cat "$STATE/master")); stop it first"
  fi
  command -v java >/dev/null || [ -n "${JAVA_HOME:-}" ] || die "Spark needs Java 8, 11 or 17 (java on PATH or JAVA_HOME)"
  local home port ui url
  home=$(spark_home)
  rm -rf "$STATE" && mkdir -p "$STATE"
  port=$(free_port); ui=$(free_port)
  url="spark://127.0.0.1:$port"
  export SPARK_HOME="$home" SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON=${PYSPARK_PYTHON:-$(command -v "$PY")}
  nohup "$home/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" \
    --webui-port "$ui" >"$STATE/master.log" 2>&1 &
  echo $! >"$STATE/master.pid"
  wait_for 60 "$STATE/master.log" "I have been elected leader" 1 \
    || { stop >/dev/null; die "the master did not start in 60 s (log: $STATE/master.log)"; }
  for i in $(seq 1 "$WORKERS"); do
    mkdir -p "$STATE/worker-$i"
    nohup "$home/bin/spark-class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$CORES" \
      --memory "$MEMORY" --webui-port "$(free_port)" --work-dir "$STATE/worker-$i" "$url" \
      >"$STATE/worker-$i.log" 2>&1 &
    echo $! >"$STATE/worker-$i.pid"
  done
  wait_for 90 "$STATE/master.log" "Registering worker" "$WORKERS" \
    || { stop >/dev/null; die "$WORKERS workers did not register in 90 s (logs: $STATE/worker-*.log)"; }
  echo "$url" >"$STATE/master"
  echo "master and $WORKERS workers ($CORES core(s), $MEMORY each) running; logs and work directories in $STATE" >&2
  echo "$url"
}

status() {
  alive "$STATE/master.pid" || die "no cluster running (state: $STATE)"
  cat "$STATE/master"
  for f in "$STATE"/*.pid; do
    if alive "$f"; then echo "$(basename "$f" .pid): pid $(cat "$f")"; else echo "$(basename "$f" .pid): stopped"; fi
  done
}

stop() {
  local any=0
  for f in "$STATE"/worker-*.pid "$STATE"/master.pid; do
    [ -f "$f" ] || continue
    if alive "$f"; then
      # the worker's executors are its children: end them with it
      pkill -TERM -P "$(cat "$f")" 2>/dev/null || true
      kill "$(cat "$f")" 2>/dev/null || true
      any=1
    fi
    rm -f "$f"
  done
  [ $any = 1 ] && echo "stopped the cluster in $STATE" >&2 || echo "no cluster was running in $STATE" >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: scripts/spark_cluster.sh start|status|stop" ;;
esac
