#!/usr/bin/env bash
# The quickstart, end to end: make a sample CRM and ERP (SQLite), validate the config, show the
# plan, sync both ways, make a few business changes on each side, sync again, show the result.
# Usage: run.sh path/to/concord [output dir]
set -euo pipefail
CONCORD="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${2:-demo-out}"
rm -rf "$OUT" && mkdir -p "$OUT" && cd "$OUT"
cp "$HERE/concord.yaml" .
sqlite3 crm.db < "$HERE/crm.sql"
sqlite3 erp.db < "$HERE/erp.sql"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "concord validate --connect"
"$CONCORD" validate --connect

step "concord plan   (dry run: nothing changes yet)"
"$CONCORD" plan

step "concord run --once   (initial sync, both ways)"
"$CONCORD" run --once 2>run.log

step "The ERP's customers now"
sqlite3 -header -column erp.db "SELECT cust_code, cust_name, mobile, grade, credit_limit FROM customers ORDER BY cust_code"
step "The CRM's accounts now (levels come from the ERP's grades)"
sqlite3 -header -column crm.db "SELECT account_no, account_name, tel, level FROM accounts ORDER BY account_no"
step "Approved orders in the ERP"
sqlite3 -header -column erp.db "SELECT so_no, cust_code, total, status, so_date FROM sales_orders ORDER BY so_no"

step "Business goes on: the CRM renames C003 and approves SO-1003; the ERP downgrades C004"
sqlite3 crm.db "UPDATE accounts SET account_name = '深圳前海数字科技有限公司' WHERE account_no = 'C003';
                UPDATE orders SET status = 'approved' WHERE order_no = 'SO-1003';"
sqlite3 erp.db "UPDATE customers SET grade = 'D' WHERE cust_code = 'C004';"
"$CONCORD" run --once 2>>run.log
sqlite3 -header -column erp.db "SELECT cust_code, cust_name FROM customers WHERE cust_code = 'C003'"
sqlite3 -header -column crm.db "SELECT account_no, level FROM accounts WHERE account_no = 'C004'"
sqlite3 -header -column erp.db "SELECT so_no, total, status FROM sales_orders WHERE so_no = 'SO-1003'"

step "concord status"
"$CONCORD" status

step "concord dlq list   (records that need a person; the rest went through)"
"$CONCORD" dlq list

printf '\nEverything is in %s/ — try: cd %s && %s status\n' "$OUT" "$OUT" "$CONCORD"
