#!/usr/bin/env python3
"""Write duckdb_types.parquet and duckdb_map.parquet, the DuckDB-written files that the
Parquet reader's tests decode. Run it from this folder with the `duckdb` Python package (the
files were written with 2.0.1).

duckdb_types.parquet has 2,100 rows in row groups of 2,048, with columns of most Parquet types
that DuckDB writes: nested structs, lists with null elements, lists of structs, lists of lists,
timestamps of each unit, dates, times, decimals, UUIDs, blobs, JSON, NaN and infinite floats,
and nulls at every level. duckdb_map.parquet has 1,100 rows with MAP columns.
"""

import duckdb

QUERY = """
COPY (
    SELECT
        {
            'eventTimestamp': 1700000000000000 + i * 1000003,
            'collectedTimestamp': (TIMESTAMP '2024-03-01 10:00:00'
                + to_microseconds(i * 7))::TIMESTAMP_NS,
            'eventType': CASE i % 3 WHEN 0 THEN 'USER_LOGIN' WHEN 1 THEN 'NETWORK_HTTP'
                ELSE NULL END,
            'productLogId': 'id-' || i,
            'ingestionLabels': CASE WHEN i % 5 = 0 THEN NULL
                ELSE [{'key': 'k' || i, 'value': CASE WHEN i % 4 = 0 THEN NULL
                    ELSE 'v' || i END}] END
        } AS metadata,
        CASE WHEN i % 7 = 0 THEN NULL ELSE {
            'user': {'userid': CASE WHEN i % 11 = 0 THEN NULL ELSE 'adm' || i END,
                     'emailAddresses': CASE i % 4 WHEN 0 THEN [] WHEN 1 THEN NULL
                         ELSE ['a' || i || '@example.com', NULL, 'b"q\\u00e9' || i] END},
            'port': (i % 65536)::INTEGER
        } END AS principal,
        CASE WHEN i % 6 = 0 THEN NULL ELSE ['10.0.' || (i % 256) || '.1', '::' || i] END
            AS "target.ip",
        'host-' || i AS "target.hostname",
        [[i, NULL], [], NULL, [i * 2]] AS nested_lists,
        (TIMESTAMP '2024-01-01' + to_milliseconds(i))::TIMESTAMP_MS AS ts_ms,
        (TIMESTAMP '2024-01-01' + to_microseconds(i))::TIMESTAMP AS ts_us,
        (TIMESTAMP '2024-01-01' + to_microseconds(i))::TIMESTAMP_NS AS ts_ns,
        (TIMESTAMP '2024-01-01' + to_seconds(i))::TIMESTAMP_S AS ts_s,
        (TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i)) AS ts_tz,
        DATE '2024-01-01' + i::INTEGER AS day,
        TIME '01:02:03' + to_milliseconds(i) AS time_of_day,
        (i / 7)::DECIMAL(9, 2) AS small_decimal,
        (i / 7)::DECIMAL(18, 4) AS medium_decimal,
        (i * 1234567.891)::DECIMAL(38, 3) AS large_decimal,
        md5((i % 10)::VARCHAR)::UUID AS uuid_value,
        ('blob' || i)::BLOB AS blob_value,
        i % 2 = 0 AS flag,
        (i % 100)::TINYINT AS tiny,
        (i % 200)::UTINYINT AS utiny,
        i::USMALLINT AS usmall,
        i::UINTEGER AS uint,
        (i * 1000000000000)::UBIGINT AS ubig,
        -i::BIGINT AS big,
        CASE i % 4 WHEN 0 THEN 'nan'::FLOAT WHEN 1 THEN 'inf'::FLOAT ELSE i / 3 END::FLOAT
            AS float_value,
        CASE i % 4 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN '-inf'::DOUBLE ELSE i / 3 END::DOUBLE
            AS double_value,
        CASE WHEN i % 3 = 0 THEN NULL
            ELSE json_object('k', i, 'list', [1, 2], 'text', 'x' || i) END AS json_value,
        CASE WHEN i % 9 = 0 THEN NULL ELSE 'plain ' || i END AS text_value
    FROM range(2100) AS t(i)
) TO 'duckdb_types.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)
"""

# MAP columns: null, empty, with a null value, with text values, and inside a struct.
MAP_QUERY = """
COPY (
    SELECT {'productLogId': 'id-' || i, 'eventType': 'USER_LOGIN'} AS metadata,
           CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN MAP([]::VARCHAR[], []::BIGINT[])
               ELSE MAP(['a', 'b'], [i, NULL]) END AS tags,
           MAP(['x' || (i % 3), 'y'], ['v' || i, 'w']) AS labels,
           {'fields': MAP(['k'], [i::VARCHAR])} AS additional
    FROM range(1100) AS t(i)
) TO 'duckdb_map.parquet' (FORMAT parquet)
"""

duckdb.sql(QUERY)
duckdb.sql(MAP_QUERY)
