// compare_many.mjs: the check of ../shared/tools/duckdb-oracle/compare.mjs
// (DuckDB reads both files; the multiset of rows of ACTUAL, columns matched
// by name and cast to EXPECTED's types, equals EXPECTED's) applied to many
// pairs in one DuckDB instance. Input on stdin: one "EXPECTED<TAB>ACTUAL"
// pair per line. Prints one FAIL line per mismatch and a summary; exit 0
// when every pair matches. Runs from the oracle's folder (for its
// node_modules), where the test copies it.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const con = await (await DuckDBInstance.create(':memory:')).connect();
await con.run('SET threads=1');
const q = async (s) => (await con.runAndReadAll(s)).getRowObjectsJson();
const lit = (s) => "'" + s.replace(/'/g, "''") + "'";
const id = (s) => '"' + s.replace(/"/g, '""') + '"';

async function compare(exp, act) {
  const cols = await q(`DESCRIBE SELECT * FROM read_parquet(${lit(exp)}, hive_partitioning=false)`);
  const acols = new Set((await q(`DESCRIBE SELECT * FROM read_parquet(${lit(act)}, hive_partitioning=false)`)).map(r => r.column_name));
  const missing = cols.filter(c => !acols.has(c.column_name)).map(c => c.column_name);
  if (missing.length) return `missing columns: ${missing.join(',')}`;
  const sel = cols.map(c => `CAST(${id(c.column_name)} AS ${c.column_type}) AS ${id(c.column_name)}`).join(', ');
  const E = `(SELECT * FROM read_parquet(${lit(exp)}, hive_partitioning=false))`;
  const A = `(SELECT ${sel} FROM read_parquet(${lit(act)}, hive_partitioning=false))`;
  const [ne] = await q(`SELECT count(*)::BIGINT AS n FROM ${E}`);
  const [na] = await q(`SELECT count(*)::BIGINT AS n FROM ${A}`);
  const [d1] = await q(`SELECT count(*)::BIGINT AS n FROM (SELECT * FROM ${E} EXCEPT ALL SELECT * FROM ${A})`);
  const [d2] = await q(`SELECT count(*)::BIGINT AS n FROM (SELECT * FROM ${A} EXCEPT ALL SELECT * FROM ${E})`);
  if (ne.n === na.n && d1.n == 0 && d2.n == 0) return null;
  return `expected ${ne.n} rows, got ${na.n}; missing ${d1.n}, extra ${d2.n}`;
}

const pairs = readFileSync(0, 'utf8').split('\n').filter(Boolean).map(l => l.split('\t'));
let failed = 0;
for (const [exp, act] of pairs) {
  let why;
  try { why = await compare(exp, act); } catch (e) { why = `DuckDB error: ${e.message}`; }
  if (why) { failed++; console.log(`FAIL ${exp}: ${why}`); }
}
console.log(`${pairs.length - failed} of ${pairs.length} files equal`);
process.exit(failed ? 1 : 0);
