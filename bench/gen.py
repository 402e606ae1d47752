#!/usr/bin/env python3
"""Write synthetic UDM events as JSON lines, for the hunt benchmark.

The events look like a company's identity, SaaS and endpoint logs: Okta, Entra ID and
Microsoft 365 sign-ins, Microsoft Graph calls, Salesforce API use and logins, web proxy
requests and Windows process launches, in event-time order. A fraction of users, set by
--attack-density, show the UNC6040 pattern: a sign-in from a VPN exit followed by bulk
Salesforce API pulls and Graph mailbox reads from the same address.

Only the Python standard library is used, so the script runs wherever python3 does.
"""

import argparse
import json
import random
import sys

START = 1749513600  # 2025-06-10T00:00:00Z
DAY = 86400

SF_API_TYPES = ["ApiEvent", "BulkApiResultEvent", "ReportEvent", "RestApi"]
OBJECTS = ["Account", "Contact", "Opportunity", "Lead", "Case"]
PROCESSES = [
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
]
DOMAINS = ["intranet.northwind.example", "news.example", "cdn.example", "mail.example"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/125.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
]


def timestamp(seconds):
    whole = int(seconds)
    millis = int((seconds - whole) * 1000)
    day = (whole - START) // DAY
    rest = (whole - START) % DAY
    return "2025-06-%02dT%02d:%02d:%02d.%03dZ" % (
        10 + day,
        rest // 3600,
        rest // 60 % 60,
        rest % 60,
        millis,
    )


def corporate_ip(rng):
    return "198.51.100.%d" % rng.randrange(1, 60)


def user_name(index):
    # Every fiftieth account is an administrator, which the single-event rule looks for.
    prefix = "adm" if index % 50 == 0 else "user"
    return "%s%05d@northwind.example" % (prefix, index)


def metadata(time, log_id, event_type, log_type, product_event_type="", product_name=""):
    meta = {
        "eventTimestamp": timestamp(time),
        "eventType": event_type,
        "logType": log_type,
        "productLogId": log_id,
    }
    if product_event_type:
        meta["productEventType"] = product_event_type
    if product_name:
        meta["productName"] = product_name
    return meta


def login(time, log_id, user, ip, log_type, action, geo=None):
    principal = {"user": {"userid": user, "emailAddresses": [user]}, "ip": [ip]}
    if geo:
        principal["ipGeoArtifact"] = [geo]
    return {
        "metadata": metadata(time, log_id, "USER_LOGIN", log_type, "user.session.start"),
        "principal": principal,
        "target": {"application": "Okta" if log_type == "OKTA" else "Office 365"},
        "securityResult": [{"action": [action]}],
    }


def salesforce_api(rng, time, log_id, user, ip, rows, geo=None):
    principal = {"user": {"userid": user, "emailAddresses": [user]}, "ip": [ip]}
    if geo:
        principal["ipGeoArtifact"] = [geo]
    return {
        "metadata": metadata(
            time, log_id, "USER_RESOURCE_ACCESS", "SALESFORCE", rng.choice(SF_API_TYPES)
        ),
        "principal": principal,
        "target": {"application": "Salesforce"},
        # `additional` is a google.protobuf.Struct, which proto3 JSON writes as a plain
        # object. Rules read its keys as `additional.fields["RowsProcessed"]`.
        "additional": {
            "RowsProcessed": str(rows),
            "QueriedEntities": rng.choice(OBJECTS),
        },
    }


def graph_call(time, log_id, user, ip):
    return {
        "metadata": metadata(time, log_id, "NETWORK_HTTP", "AZURE_AD", "", "Microsoft"),
        "principal": {"user": {"userid": user}, "ip": [ip]},
        "target": {"url": "https://graph.microsoft.com/v1.0/users/%s/messages" % user},
        "network": {"http": {"method": "GET", "responseCode": 200}},
    }


def proxy(rng, time, log_id, user_index, ip):
    return {
        "metadata": metadata(time, log_id, "NETWORK_HTTP", "SQUID_WEBPROXY", "proxy_allow"),
        "principal": {"hostname": "nw-lt-%05d" % user_index, "ip": [ip]},
        "target": {"hostname": rng.choice(DOMAINS), "port": 443},
        "network": {
            "http": {"method": "GET", "responseCode": 200, "userAgent": rng.choice(USER_AGENTS)},
            "sentBytes": str(rng.randrange(200, 5000)),
        },
    }


def process(rng, time, log_id, user_index):
    path = rng.choice(PROCESSES)
    return {
        "metadata": metadata(time, log_id, "PROCESS_LAUNCH", "WINDOWS_SYSMON", "1"),
        "principal": {"hostname": "nw-lt-%05d" % user_index, "user": {"userid": "u%05d" % user_index}},
        "target": {"process": {"file": {"fullPath": path}, "commandLine": path}},
    }


def background(rng, time, log_id, users):
    index = rng.randrange(users)
    user = user_name(index)
    ip = corporate_ip(rng)
    roll = rng.random()
    if roll < 0.15:
        action = "BLOCK" if rng.random() < 0.05 else "ALLOW"
        return login(time, log_id, user, ip, "OKTA", action)
    if roll < 0.22:
        return login(time, log_id, user, ip, "OFFICE_365", "ALLOW")
    if roll < 0.30:
        return graph_call(time, log_id, user, ip)
    if roll < 0.50:
        return salesforce_api(rng, time, log_id, user, ip, rng.randrange(1, 200))
    if roll < 0.75:
        return proxy(rng, time, log_id, index, ip)
    return process(rng, time, log_id, index)


def attack(rng, time, log_id, users):
    """Return the events of one UNC6040 intrusion, starting at `time`, over a few minutes."""
    user = user_name(rng.randrange(users))
    ip = "203.0.113.%d" % rng.randrange(10, 120)
    geo = {"network": {"asn": "64500", "organizationName": "NIMBUS-VPN Nimbus VPN GmbH"}}
    events = [(time, login(time, log_id + "-0", user, ip, "OKTA", "ALLOW", geo))]
    events.append((time + 20, login(time + 20, log_id + "-1", user, ip, "OFFICE_365", "ALLOW")))
    for step in range(6):
        at = time + 60 + step * 30
        rows = rng.randrange(5000, 40000)
        events.append((at, salesforce_api(rng, at, "%s-%d" % (log_id, step + 2), user, ip, rows, geo)))
    for step in range(3):
        at = time + 120 + step * 45
        events.append((at, graph_call(at, "%s-g%d" % (log_id, step), user, ip)))
    return events


def widen(event, n):
    """Adds fields that exported UDM events carry and the UNC6040 rules do not read: the
    exporter, network session details, the collector, an asset and a relay. Lines grow from
    about 400 to about 1,200 bytes."""
    metadata = event["metadata"]
    metadata.update(
        {
            "vendorName": "Northwind Export",
            "ingestedTimestamp": metadata["eventTimestamp"],
            "urlBackToProduct": "https://siem.northwind.example/events/ev-%d" % n,
        }
    )
    event.setdefault("network", {}).update(
        {
            "sessionId": "sess-%08x-%05d" % (n, n * 7919 % 100000),
            "applicationProtocol": "HTTPS",
            "direction": "OUTBOUND",
            "ipProtocol": "TCP",
            "sentBytes": str(1000 + n % 5000),
            "receivedBytes": str(20000 + n % 70000),
        }
    )
    event["observer"] = {
        "hostname": "collector-%02d.logging.northwind.example" % (n % 40),
        "application": "siem-export",
        "labels": [
            {"key": "pipeline", "value": "siem-export"},
            {"key": "region", "value": "europe-west1"},
        ],
    }
    event["about"] = [
        {
            "hostname": "asset-%05d.inventory.northwind.example" % (n % 5000),
            "labels": [{"key": "owner", "value": "it-operations"}],
        }
    ]
    event["intermediary"] = [
        {
            "hostname": "relay-%02d.edge.northwind.example" % (n % 16),
            "application": "log-relay",
            "resource": {"name": "queue-%d" % (n % 8), "resourceType": "STORAGE_OBJECT"},
        }
    ]
    return event


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100000, help="number of background events")
    parser.add_argument("--users", type=int, default=1000, help="number of distinct accounts")
    parser.add_argument(
        "--attack-density",
        type=float,
        default=0.0001,
        help="intrusions per background event (each adds 11 events)",
    )
    parser.add_argument("--days", type=float, default=1.0, help="time span of the events, in days")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default="-", help="output file, or - for standard output")
    parser.add_argument(
        "--wide", action="store_true", help="add fields that exported UDM events carry"
    )
    args = parser.parse_args()

    rng = random.Random(args.seed)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    step = args.days * DAY / max(args.events, 1)
    pending = []  # attack events not yet written, as (time, event), sorted
    encode = json.JSONEncoder(separators=(",", ":")).encode
    written = [0]

    def dumps(event):
        written[0] += 1
        return encode(widen(event, written[0]) if args.wide else event)

    for n in range(args.events):
        time = START + n * step
        while pending and pending[0][0] <= time:
            out.write(dumps(pending.pop(0)[1]))
            out.write("\n")
        out.write(dumps(background(rng, time, "ev-%d" % n, args.users)))
        out.write("\n")
        if rng.random() < args.attack_density:
            pending.extend(attack(rng, time + step / 2, "atk-%d" % n, args.users))
            pending.sort(key=lambda item: item[0])
    for _, event in pending:
        out.write(dumps(event))
        out.write("\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
