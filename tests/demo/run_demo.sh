#!/usr/bin/env bash
# `make demo`: start the local lab, run the whole migration against it, print where the
# report is, and stop the lab unless KEEP_LAB=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
lab_dir=${LAB_DIR:-$repo/.lab}
py=$repo/.venv/bin/python
workdir=${MIGRATION_WORKDIR:-$repo/.migration}

stop_lab() {
  if [ "${KEEP_LAB:-0}" != "1" ]; then
    "$py" tests/lab/labctl.py down --dir "$lab_dir" >/dev/null 2>&1 || true
  else
    echo "lab left running (KEEP_LAB=1): . $lab_dir/env.sh; make lab-down to stop it"
  fi
}
trap stop_lab EXIT

start=$(date +%s)
echo "== starting the lab"
"$py" tests/lab/labctl.py up --dir "$lab_dir"
# shellcheck disable=SC1091
. "$lab_dir/env.sh"

rm -rf "$workdir"
# users: requests through the lab's public entry (a real HAProxy the CTyun ELB simulation programs)
# for the whole run; the cutover moves them with the replicas (cutover_traffic)
traffic_vars=$("$py" tests/demo/traffic.py vars "$lab_dir" "$workdir-traffic")
"$py" tests/demo/traffic.py users "$lab_dir" "$workdir-traffic" &
users=$!
echo "== running playbooks/migrate.yml against $lab_dir/inventory.yml"
rc=0
ANSIBLE_CONFIG=$repo/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$repo/.collections \
  "$repo/.venv/bin/ansible-playbook" -i "$lab_dir/inventory.yml" playbooks/migrate.yml \
  -e "migration_workdir=$workdir" -e @tests/demo/demo_vars.yml -e "@$traffic_vars" ${DEMO_ARGS:-} || rc=$?
kill -TERM "$users" 2>/dev/null || true
users_rc=0
wait "$users" || users_rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
[ "$users_rc" -eq 0 ] || { echo "== some users' requests failed"; exit "$users_rc"; }

end=$(date +%s)
echo "== migration finished in $((end - start)) s"
echo "== report: $workdir/report.html (and report.md)"
