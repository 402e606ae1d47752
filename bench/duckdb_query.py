#!/usr/bin/env python3
"""Run one of the benchmark's DuckDB queries over a UDM JSON lines file and print its count.

Each query is the SQL counterpart of a dragnet workload in bench/run.sh:
  single     the rule in bench/rules/okta_admin_login.yaral;
  pack       the bulk-exfiltration rule of the UNC6040 pack: its Salesforce API filters,
             summed rows per user and one-hour bucket, and its 10,000-row threshold;
  parse      read every record (the baseline for the community rules).
The same names with "-parquet" run the query over a Parquet file in place of the JSON lines,
and "write-parquet OUT" writes the JSON lines to the Parquet file OUT, as DuckDB infers their
schema (nested structs with the JSON field names).
"""

import sys

import duckdb

QUERIES = {
    "single": """
        SELECT count(*) FROM read_json_auto(?, format = 'newline_delimited')
        WHERE metadata.eventType = 'USER_LOGIN' AND metadata.logType = 'OKTA'
          AND regexp_matches(principal."user".userid, '^adm', 'i')
    """,
    "pack": """
        SELECT count(*) FROM (
            SELECT principal."user".userid AS account,
                   time_bucket(INTERVAL 1 hour, CAST(metadata.eventTimestamp AS TIMESTAMP)),
                   sum(CAST(additional.RowsProcessed AS BIGINT)) AS total_rows
            FROM read_json_auto(?, format = 'newline_delimited')
            WHERE metadata.logType = 'SALESFORCE'
              AND metadata.eventType = 'USER_RESOURCE_ACCESS'
              AND regexp_matches(metadata.productEventType,
                  '^(ApiEvent|ReportEvent|ListViewEvent|BulkApiResultEvent|API|RestApi|BulkApi|BulkApi2|Report|ReportExport)$')
            GROUP BY ALL
            HAVING total_rows >= 10000)
    """,
    "parse": "SELECT count(*) FROM read_json_auto(?, format = 'newline_delimited')",
}
for _name, _query in list(QUERIES.items()):
    QUERIES[_name + "-parquet"] = _query.replace(
        "read_json_auto(?, format = 'newline_delimited')", "read_parquet(?)"
    )


def main():
    connection = duckdb.connect()
    connection.execute("SET threads = %d" % len(__import__("os").sched_getaffinity(0)))
    if len(sys.argv) == 4 and sys.argv[2] == "write-parquet":
        source = sys.argv[1].replace("'", "''")
        target = sys.argv[3].replace("'", "''")
        connection.execute(
            f"COPY (SELECT * FROM read_json_auto('{source}', format = 'newline_delimited')) "
            f"TO '{target}' (FORMAT parquet)"
        )
        return
    if len(sys.argv) != 3 or sys.argv[2] not in QUERIES:
        sys.exit(
            "usage: duckdb_query.py FILE single|pack|parse[-parquet], "
            "or duckdb_query.py FILE.jsonl write-parquet OUT.parquet"
        )
    path, name = sys.argv[1], sys.argv[2]
    print(connection.execute(QUERIES[name], [path]).fetchone()[0])


if __name__ == "__main__":
    main()
