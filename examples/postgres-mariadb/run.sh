#!/usr/bin/env bash
# A CRM on MariaDB and an ERP on PostgreSQL, end to end: starts both servers on loopback in a
# temp directory (tests/servers/*.sh), loads the two schemas, validates the config against the
# live databases, syncs both ways, makes business changes on each side, syncs again, and proves
# the copies agree with `concord check`. Stops both servers at the end.
# Usage: run.sh path/to/concord [work dir]
set -euo pipefail
CONCORD="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
SERVERS="$HERE/../../tests/servers"
WORK="$(realpath -m "${2:-pg-mariadb-out}")"
rm -rf "$WORK" && mkdir -p "$WORK/pg" "$WORK/mariadb" && chmod 777 "$WORK/pg"
cd "$WORK"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
stop() {
  bash "$SERVERS/postgres.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
  bash "$SERVERS/mariadb.sh" stop "$WORK/mariadb" >/dev/null 2>&1 || true
}
trap stop EXIT

step "Starting PostgreSQL and MariaDB on loopback"
PG_URL="$(bash "$SERVERS/postgres.sh" start "$WORK/pg")"
PG_PORT="$(echo "$PG_URL" | sed 's/.*:\([0-9]*\)\/.*/\1/')"
eval "$(bash "$SERVERS/mariadb.sh" start "$WORK/mariadb" | tr ' ' '\n' | sed 's/^/MY_/')"
echo "PostgreSQL on port $PG_PORT, MariaDB on port $MY_port"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
maria() { mariadb --socket="$MY_socket" -uroot "$@"; }
psql -d postgres -c "CREATE DATABASE erp"
psql -d erp -f "$HERE/erp_postgres.sql"
maria -e "CREATE DATABASE crm CHARACTER SET utf8mb4"
maria crm < "$HERE/crm_mariadb.sql"

export CRM_PORT="$MY_port" ERP_URL="${PG_URL%/postgres}/erp"
cp "$HERE/concord.yaml" .

step "concord validate --connect"
"$CONCORD" validate --connect
step "concord plan   (dry run)"
"$CONCORD" plan
step "concord run --once   (initial sync, both ways)"
"$CONCORD" run --once 2>run.log
step "ERP customers (PostgreSQL)"
psql -d erp -c "SELECT cust_code, cust_name, mobile, grade, credit_limit FROM erp.customers ORDER BY 1"
step "CRM accounts and stock (MariaDB)"
maria crm -t -e "SELECT account_no, account_name, tel, level, credit FROM crm_accounts ORDER BY 1;
                 SELECT s.sku, p.title, s.qty FROM crm_stock s JOIN crm_products p USING (sku) ORDER BY 1"
step "Business goes on: the CRM approves SO-1002 and renames C003; the ERP ships SO-1001"
maria crm -e "UPDATE crm_orders SET status = 'approved' WHERE order_no = 'SO-1002';
              UPDATE crm_accounts SET account_name = '北京远航国际贸易有限公司' WHERE account_no = 'C003'"
psql -d erp -c "UPDATE erp.sales_orders SET state = 'shipped' WHERE so_no = 'SO-1001'"
"$CONCORD" run --once 2>>run.log
psql -d erp -c "SELECT so_no, cust_code, amount, state FROM erp.sales_orders ORDER BY 1"
maria crm -t -e "SELECT order_no, status FROM crm_orders ORDER BY 1"

step "concord check: do the two systems agree?"
status=0
for entity in customer product inventory order; do
  printf '%-10s ' "$entity"
  "$CONCORD" check "$entity" --settle-ms 0 | tail -1 || status=1
done
step "concord status"
"$CONCORD" status
exit "$status"
