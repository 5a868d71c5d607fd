// duckdb_run.mjs [--threads N] SQL...: runs setup statements then times the
// last one, printing "seconds=S" (wall time of the last statement only, so
// Node and DuckDB start-up are not counted).
import { DuckDBInstance } from '@duckdb/node-api';
let args = process.argv.slice(2);
let threads = 1;
if (args[0] === '--threads') { threads = +args[1]; args = args.slice(2); }
const con = await (await DuckDBInstance.create(':memory:')).connect();
await con.run(`SET threads=${threads}`);
for (const s of args.slice(0, -1)) await con.run(s);
const t0 = performance.now();
const r = await con.runAndReadAll(args.at(-1));
const t = (performance.now() - t0) / 1000;
const rows = r.getRowObjectsJson();
if (rows.length && rows.length <= 3) console.error(JSON.stringify(rows));
console.log(`seconds=${t.toFixed(3)}`);
