#!/usr/bin/env bash
# Times `concord profile` on a generated SQLite CRM table: ROWS customers (default 1,000,000) with
# 10 mapped fields — text, phone in four layouts (one in 40 invalid), e-mail, enum through a
# value map, decimal with thousands separators, date in three layouts, int, bool, a GBK-free
# name — and duplicate phone numbers; about half the rows break a rule (a stress case for the
# issue paths). Prints one Markdown table row: wall time, CPU time (mapping runs on up to 4
# threads), peak memory, and the load average before the run (the machine may be shared).
#   bash bench/profile_bench.sh [BUILD_DIR] [ROWS]
set -euo pipefail
BUILD="${1:-build}"
ROWS="${2:-1000000}"
CONCORD="$(cd "$BUILD" && pwd)/concord"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

start=$(date +%s.%N)
sqlite3 "$dir/crm.db" <<SQL
CREATE TABLE accounts (account_no TEXT PRIMARY KEY, account_name TEXT, tel TEXT, email TEXT,
                       level TEXT, credit TEXT, since TEXT, visits INTEGER, active TEXT, city TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO accounts
SELECT printf('C%08d', i),
       'Customer ' || i,
       CASE i % 40 WHEN 0 THEN '12' ELSE
         CASE i % 4 WHEN 0 THEN printf('+86-138-%04d-%04d', (i / 3) / 10000 % 10000, (i / 3) % 10000)
                    WHEN 1 THEN printf('138%08d', (i / 3) % 100000000)
                    WHEN 2 THEN printf('138 %04d %04d', (i / 3) / 10000 % 10000, (i / 3) % 10000)
                    ELSE NULL END END,
       CASE WHEN i % 7 = 0 THEN NULL ELSE printf('user%d@Example.COM', i / 2) END,
       CASE i % 5 WHEN 0 THEN 'VIP' WHEN 1 THEN '重要' WHEN 2 THEN '普通' WHEN 3 THEN '冻结'
                  ELSE 'GOLD' END,
       CASE i % 3 WHEN 0 THEN printf('%d.%02d', i % 100000, i % 100)
                  WHEN 1 THEN printf('%d,%03d.5', i % 1000 + 1, i % 1000) ELSE '-1' END,
       CASE i % 3 WHEN 0 THEN date('2020-01-01', '+' || (i % 2000) || ' days')
                  WHEN 1 THEN strftime('%Y/%m/%d', date('2020-01-01', '+' || (i % 2000) || ' days'))
                  ELSE strftime('%Y%m%d', date('2020-01-01', '+' || (i % 2000) || ' days')) END,
       i % 1000,
       CASE i % 2 WHEN 0 THEN 'Y' ELSE 'N' END,
       CASE i % 4 WHEN 0 THEN '上海' WHEN 1 THEN '北京' WHEN 2 THEN '深圳' ELSE '广州' END
FROM n;
SQL
made=$(date +%s.%N)

cat > "$dir/concord.yaml" <<'YAML'
version: 1
state: sqlite:state.db
systems:
  crm: {connector: sqlite, path: crm.db}
entities:
  customer:
    key: code
    fields:
      code:   {type: string, required: true}
      name:   {type: string, required: true, max_length: 100}
      phone:  {type: phone, region: CN, personal: true}
      email:  {type: email, personal: true}
      grade:  {type: enum, values: [A, B, C, D]}
      credit: {type: decimal, scale: 2, min: 0}
      since:  {type: date}
      visits: {type: int, min: 0}
      active: {type: bool}
      city:   {type: string}
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields:
      code: account_no
      name: account_name
      phone: tel
      email: email
      grade: {column: level, map: {VIP: A, 重要: B, 普通: C, 冻结: D}}
      credit: credit
      since: since
      visits: visits
      active: active
      city: city
flows: []
YAML

cd "$dir"
load=$(cut -d" " -f1-3 /proc/loadavg)
/usr/bin/time -f "%e %U %S %M" -o time.txt "$CONCORD" -q profile crm.customer --json --html report.html \
  > report.json
read -r seconds user sys max_kb < time.txt
rows=$(sed -n 's/^  "rows": \([0-9]*\),*$/\1/p' report.json)
issues=$(sed -n 's/^  "rows_with_issues": \([0-9]*\),*$/\1/p' report.json)
echo "table generated in $(awk "BEGIN{printf \"%.1f\", $made - $start}") s (sqlite3)"
echo "load average before the run: $load"
echo
echo "| measurement | rows | wall s | CPU s (user+sys) | rows per wall second | peak RSS | notes |"
echo "|---|---:|---:|---:|---:|---:|---|"
echo "| concord profile --json --html | $rows | $seconds | $(awk "BEGIN{printf \"%.1f\", $user + $sys}") | $(awk "BEGIN{printf \"%d\", $rows / $seconds}") | $((max_kb / 1024)) MiB | $issues rows with issues |"
