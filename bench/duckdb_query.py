#!/usr/bin/env python3
"""Run one of the benchmark's DuckDB queries over a UDM JSON lines file and print its count.

Each query is the SQL counterpart of a dragnet workload in bench/run.sh:
  single     the rule in bench/rules/okta_admin_login.yaral;
  pack       the bulk-exfiltration rule of the UNC6040 pack: its Salesforce API filters,
             summed rows per user and one-hour bucket, and its 10,000-row threshold;
  parse      read every record (the baseline for the community rules).
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
                   sum(CAST(additional.fields.RowsProcessed AS BIGINT)) AS total_rows
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


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in QUERIES:
        sys.exit("usage: duckdb_query.py FILE.jsonl single|pack|parse")
    path, name = sys.argv[1], sys.argv[2]
    connection = duckdb.connect()
    connection.execute("SET threads = %d" % len(__import__("os").sched_getaffinity(0)))
    print(connection.execute(QUERIES[name], [path]).fetchone()[0])


if __name__ == "__main__":
    main()
