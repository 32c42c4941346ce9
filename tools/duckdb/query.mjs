// Runs SQL queries with DuckDB and prints each result as one line of JSON: the read-back
// check of segscope's Parquet output (render/parquet's test) and the query step of
// scripts/parquet-archive.sh. Usage: node query.mjs 'SQL' ['SQL' ...]
// Values that JSON has no type for (BIGINT, TIMESTAMP) are printed as strings.
import { DuckDBInstance } from '@duckdb/node-api';

const queries = process.argv.slice(2);
if (queries.length === 0) {
  console.error('usage: node query.mjs SQL [SQL...]');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
for (const q of queries) {
  const reader = await conn.runAndReadAll(q);
  const rows = reader.getRowObjectsJson();
  console.log(JSON.stringify(rows));
}
