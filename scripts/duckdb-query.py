#!/usr/bin/env python3
"""Runs one SQL query with DuckDB and prints the rows tab-separated, one per line.

Used by tests/rfdump_parquet.rs to read rfdump's Parquet output with an independent reader.
Exit status 3 means the duckdb Python module is not installed (the test then skips or, with
RFLOW_REQUIRE_NFDUMP=1, fails); any query error exits 1 with DuckDB's message on stderr.
"""
import sys

try:
    import duckdb
except ImportError:
    sys.stderr.write("duckdb Python module not installed (pip install duckdb)\n")
    sys.exit(3)

if len(sys.argv) != 2:
    sys.stderr.write("usage: duckdb-query.py SQL\n")
    sys.exit(2)
try:
    rows = duckdb.sql(sys.argv[1]).fetchall()
except duckdb.Error as e:
    sys.stderr.write(f"duckdb: {e}\n")
    sys.exit(1)
for row in rows:
    print("\t".join("NULL" if v is None else str(v) for v in row))
