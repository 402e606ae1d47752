//! Benchmark: normalisation throughput per source, from raw bytes to UDM events.
//!
//! Each source gets a synthetic file of [`RECORDS`] records built from one representative
//! record with a new id and time per line. The files are written to
//! `target/bench-data/sources/` (or `$DRAGNET_BENCH_DATA`), so that `compare_jq.sh` beside
//! this file can time `jq -c .` over exactly the same bytes. An iteration splits a file into
//! lines (or CSV rows), parses each and normalises it.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};
use sources::{CsvFile, Format, Identities, Normalizer};

/// Records per synthetic file.
const RECORDS: usize = 5_000;

/// Returns the time of record `i`, one second after the previous record, so that no two
/// records are equal.
fn time_of(i: usize) -> String {
    let seconds = i % 60;
    let minutes = (i / 60) % 60;
    let hours = (i / 3600) % 24;
    format!("2026-03-02T{hours:02}:{minutes:02}:{seconds:02}.250Z")
}

fn salesforce_stream(i: usize) -> Value {
    json!({
        "channel": "/event/ApiEventStream",
        "data": {
            "schema": "Ld1pIHdQYtDoTSN2rl3cCQ",
            "event": {"replayId": i},
            "payload": {
                "EventDate": time_of(i),
                "EventIdentifier": format!("6f3c0d2a-7b1e-4c55-9d0e-{i:012}"),
                "Username": "dana.lee@example.com",
                "UserId": "005Hs00000AbCdEIAV",
                "SourceIp": "203.0.113.7",
                "SessionKey": "vMASKIU6AxEr+Op5",
                "LoginKey": "QfNecrLXSII6fsBq",
                "Operation": "Query",
                "QueriedEntities": "Contact",
                "RowsProcessed": 48213.0,
                "Query": "SELECT Id, Email FROM Contact",
                "Application": "Data Loader Bulk",
                "Client": "DataLoaderBulkUI/",
                "ConnectedAppId": "0H4Hs000000XyZaKAK",
                "UserAgent": "Java/17.0.2",
                "ApiType": "REST",
                "ElapsedTime": 430,
                "PolicyId": null,
                "PolicyOutcome": null
            }
        }
    })
}

fn okta(i: usize) -> Value {
    json!({
        "uuid": format!("2f7e1c0a-d8b3-11ef-9c1e-{i:012}"),
        "published": time_of(i),
        "eventType": "user.session.start",
        "version": "0",
        "severity": "INFO",
        "displayMessage": "User login to Okta",
        "actor": {"id": "00u1a2b3c4D5e6F7g8h9", "type": "User",
                  "alternateId": "dana.lee@example.com", "displayName": "Dana Lee"},
        "client": {"userAgent": {"rawUserAgent": "Mozilla/5.0 (X11; Linux x86_64)", "os": "Linux",
                                 "browser": "FIREFOX"},
                   "zone": "null", "device": "Computer", "ipAddress": "203.0.113.7",
                   "geographicalContext": {"city": "Amsterdam", "state": "North Holland",
                                           "country": "Netherlands", "postalCode": "1012",
                                           "geolocation": {"lat": 52.37, "lon": 4.89}}},
        "authenticationContext": {"authenticationStep": 0,
                                  "externalSessionId": "102bZDNFfWaQSyEZQuDgWt-uQ"},
        "outcome": {"result": "SUCCESS", "reason": null},
        "securityContext": {"asNumber": 9009, "asOrg": "m247 europe srl", "isp": "m247 ltd",
                            "domain": "m247.com", "isProxy": true},
        "debugContext": {"debugData": {"requestId": "Zk1b2c3d4e5f", "requestUri": "/idp/idx/identify",
                                       "threatSuspected": "false", "url": "/idp/idx/identify?"}},
        "request": {"ipChain": [{"ip": "203.0.113.7", "version": "V4", "source": null}]},
        "transaction": {"type": "WEB", "id": "Zk1b2c3d4e5f", "detail": {}}
    })
}

fn m365(i: usize) -> Value {
    json!({
        "CreationTime": time_of(i).trim_end_matches('Z'),
        "Id": format!("11111111-aaaa-4bbb-8ccc-{i:012}"),
        "Operation": "FileDownloaded",
        "RecordType": 6,
        "Workload": "SharePoint",
        "UserId": "dana.lee@example.com",
        "UserKey": "i:0h.f|membership|100320015ed2da21@live.com",
        "ClientIP": "203.0.113.7",
        "ObjectId": "https://example.sharepoint.com/sites/Finance/Shared Documents/q1.xlsx",
        "SiteUrl": "https://example.sharepoint.com/sites/Finance/",
        "SourceFileName": "q1.xlsx",
        "UserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        "AppAccessContext": {"AADSessionId": "c21adbd5-e8d4-44fe-a2a2-43e3251b04b5",
                             "ClientAppName": "Unknown"}
    })
}

fn entra(i: usize) -> Value {
    json!({
        "time": time_of(i),
        "category": "SignInLogs",
        "operationName": "Sign-in activity",
        "resultType": "0",
        "callerIpAddress": "203.0.113.7",
        "properties": {
            "id": format!("5f0e0000-0000-4000-8000-{i:012}"),
            "createdDateTime": time_of(i),
            "userPrincipalName": "dana.lee@example.com",
            "userId": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d",
            "appId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "appDisplayName": "Microsoft Azure CLI",
            "ipAddress": "203.0.113.7",
            "status": {"errorCode": 0},
            "location": {"city": "Amsterdam", "countryOrRegion": "NL",
                         "geoCoordinates": {"latitude": 52.37, "longitude": 4.89}},
            "riskLevelDuringSignIn": "none"
        }
    })
}

fn graph(i: usize) -> Value {
    json!({
        "time": time_of(i),
        "category": "MicrosoftGraphActivityLogs",
        "operationName": "Microsoft Graph Activity",
        "properties": {
            "requestId": format!("q-{i}"),
            "requestMethod": "GET",
            "responseStatusCode": 200,
            "requestUri": "https://graph.microsoft.com/v1.0/me/messages?$top=1000",
            "userId": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d",
            "ipAddress": "203.0.113.7",
            "userAgent": "python-requests/2.31",
            "appId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "responseSizeBytes": 52311
        }
    })
}

fn udm(i: usize) -> Value {
    json!({
        "metadata": {"event_timestamp": time_of(i), "event_type": "USER_LOGIN",
                     "product_log_id": format!("u-{i}"), "log_type": "OKTA"},
        "principal": {"ip": ["203.0.113.7"], "user": {"userid": "dana.lee@example.com"}},
        "security_result": [{"action": ["ALLOW"]}]
    })
}

const ELF_HEADER: &str =
    "\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ORGANIZATION_ID\",\"USER_ID\",\
\"RUN_TIME\",\"CPU_TIME\",\"URI\",\"SESSION_KEY\",\"LOGIN_KEY\",\"API_TYPE\",\"API_VERSION\",\
\"CLIENT_NAME\",\"ENTITY_NAME\",\"METHOD_NAME\",\"REQUEST_SIZE\",\"RESPONSE_SIZE\",\
\"ROWS_PROCESSED\",\"USER_TYPE\",\"TIMESTAMP_DERIVED\",\"USER_ID_DERIVED\",\"CLIENT_IP\"";

fn salesforce_csv_row(i: usize) -> String {
    format!(
        "\"API\",\"20260302091502.250\",\"4lGJ1R0ZSWVX{i:08}\",\"00DHs0000001abc\",\"005Hs00000AbCdE\",\
\"97\",\"48\",\"Api\",\"vMASKIU6AxEr+Op5\",\"QfNecrLXSII6fsBq\",\"P\",\"58.0\",\
\"DataLoaderBulkUI/\",\"Contact\",\"query\",\"1382\",\"38019\",\"27\",\"Standard\",\"{}\",\
\"005Hs00000AbCdEIAV\",\"203.0.113.7\"",
        time_of(i)
    )
}

fn data_dir() -> PathBuf {
    std::env::var_os("DRAGNET_BENCH_DATA").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-data/sources"))
    })
}

/// Writes a synthetic file and returns its bytes.
fn write_file(name: &str, lines: impl Iterator<Item = String>) -> Vec<u8> {
    let mut text = String::new();
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    let dir = data_dir();
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(name), &text));
    if let Err(e) = written {
        eprintln!("cannot write {}: {e}; measuring from memory only", dir.join(name).display());
    }
    text.into_bytes()
}

fn bench_json(c: &mut Criterion, name: &str, record: fn(usize) -> Value) {
    let bytes = write_file(&format!("{name}.jsonl"), (0..RECORDS).map(|i| record(i).to_string()));
    let mut group = c.benchmark_group("normalize");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(20);
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut normalizer = Normalizer::new(Identities::new());
            let mut events = 0;
            for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let value: Value = serde_json::from_slice(line).expect("synthetic JSON");
                events +=
                    normalizer.normalize(&value, Format::Auto).expect("synthetic record").len();
            }
            assert_eq!(events, RECORDS);
        })
    });
    group.finish();
}

fn bench_csv(c: &mut Criterion) {
    let lines = std::iter::once(ELF_HEADER.to_owned()).chain((0..RECORDS).map(salesforce_csv_row));
    let bytes = write_file("salesforce_elf.csv", lines);
    let mut group = c.benchmark_group("normalize");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(20);
    group.bench_function("salesforce_elf_csv", |b| {
        b.iter(|| {
            let file = CsvFile::parse(&bytes).expect("synthetic CSV");
            let headers: Vec<&str> = file.headers.iter().map(String::as_str).collect();
            let mut normalizer = Normalizer::new(Identities::new());
            let mut events = 0;
            for row in &file.rows {
                let values = row.values.as_ref().expect("synthetic row");
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                events += normalizer.normalize_csv_row(&headers, &values, None).expect("row").len();
            }
            assert_eq!(events, RECORDS);
        })
    });
    group.finish();
}

fn normalize(c: &mut Criterion) {
    bench_json(c, "salesforce_stream", salesforce_stream);
    bench_csv(c);
    bench_json(c, "okta", okta);
    bench_json(c, "m365", m365);
    bench_json(c, "entra", entra);
    bench_json(c, "graph", graph);
    bench_json(c, "udm", udm);
}

criterion_group!(benches, normalize);
criterion_main!(benches);
