//! The webhook over HTTPS: receivers on loopback with certificates made here by a test CA, and
//! the `--webhook-ca` and `--webhook-header` options.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;

use crate::harness::{event, start_tls_receiver, temp_dir, Receiver, Watch};

/// A test certificate authority.
struct TestCa {
    certificate: rcgen::Certificate,
    key: KeyPair,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let certificate = params.self_signed(&key).unwrap();
        TestCa { certificate, key }
    }

    /// Writes the CA certificate as PEM into `dir` and returns the file's path.
    fn write_pem(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, self.certificate.pem()).unwrap();
        path
    }

    /// Issues a server certificate for `names` (host names or IP addresses) and returns a
    /// server configuration that presents it. An expired certificate ended in 2020.
    fn server_config(&self, names: &[&str], expired: bool) -> Arc<rustls::ServerConfig> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, "dragnet test receiver");
        if expired {
            params.not_before = rcgen::date_time_ymd(2019, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.certificate, &self.key).unwrap();
        let chain = vec![certificate.der().clone(), self.certificate.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        Arc::new(config)
    }
}

/// Starts `dragnet watch` with HTTP ingest (token `tok`), the test rules and `webhook_args`,
/// and three attempts per detection.
fn webhook_watch(dir: &Path, webhook_args: &[&str], env: &[(&str, &str)]) -> Watch {
    std::fs::write(dir.join("rules.yaral"), crate::harness::RULES).unwrap();
    std::fs::write(dir.join("token"), "tok").unwrap();
    let rules = dir.join("rules.yaral").display().to_string();
    let token = dir.join("token").display().to_string();
    let mut args = vec!["--rules", &rules, "--token-file", &token, "--webhook-attempts", "3"];
    args.extend_from_slice(webhook_args);
    Watch::start(&dir.join("state"), &args, env)
}

/// Posts one event that the single-event rule turns into a detection.
fn post_honeypot(watch: &Watch, id: &str) {
    let body = format!("{}\n", event(id, 0, "USER_LOGIN", "alice", "honeypot", false));
    let response = watch.post_events("tok", body.as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
}

/// Waits until the dead-letter file of `dir` has `n` entries, or 20 seconds pass.
fn wait_for_dead_letters(dir: &Path, n: usize) -> Vec<Value> {
    let path = dir.join("state/dead-letter.jsonl");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let entries: Vec<Value> = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        if entries.len() >= n || Instant::now() > deadline {
            return entries;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Checks that a detection was dead-lettered after three failed handshakes, none of which
/// reached the receiver as a request, and returns the dead letter's error.
fn assert_rejected_three_times(dir: &Path, receiver: &Receiver) -> String {
    let entries = wait_for_dead_letters(dir, 1);
    assert_eq!(entries.len(), 1, "one detection is dead-lettered: {entries:?}");
    assert_eq!(entries[0]["reason"], "undeliverable");
    let error = entries[0]["error"].as_str().unwrap().to_owned();
    assert!(error.contains("TLS handshake failed: invalid peer certificate"), "{error}");
    assert!(error.contains("attempt 3 of 3"), "{error}");
    assert!(receiver.requests.lock().unwrap().is_empty(), "no request passes a failed handshake");
    // The receiver records a failed handshake when the client's alert reaches it, which can be
    // after the client has written the dead letter.
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.failed_handshakes.lock().unwrap().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(receiver.failed_handshakes.lock().unwrap().len(), 3);
    error
}

#[test]
fn https_webhook_delivers_with_private_ca() {
    let dir = temp_dir("tls-deliver");
    let ca = TestCa::new("dragnet test CA");
    let receiver =
        start_tls_receiver(vec![503], ca.server_config(&["localhost", "127.0.0.1"], false));
    let port = receiver.address.rsplit(':').next().unwrap();
    let url = format!("https://localhost:{port}/hooks/secret-path");
    let ca_file = ca.write_pem(&dir).display().to_string();
    let watch = webhook_watch(
        &dir,
        &[
            "--webhook",
            &url,
            "--webhook-ca",
            &ca_file,
            "--webhook-header",
            "X-Api-Key: env:DRAGNET_TEST_WEBHOOK_KEY",
            "--webhook-header",
            "X-Team: soc",
        ],
        &[("DRAGNET_TEST_WEBHOOK_KEY", "k3y-value-from-env")],
    );
    post_honeypot(&watch, "t1");

    // The first request gets 503, so the detection arrives twice over TLS with the same key.
    let requests = receiver.wait_for_requests(2, Duration::from_secs(20));
    assert_eq!(requests.len(), 2, "one 503 and one success");
    let detection: Value = serde_json::from_str(&requests[1].1).unwrap();
    let id = detection["id"].as_str().unwrap();
    assert_eq!(detection["rule"]["name"], "honeypot_touch");
    for (head, _) in &requests {
        let head = head.to_ascii_lowercase();
        assert!(head.starts_with("post /hooks/secret-path http/1.1"), "{head}");
        assert!(head.contains(&format!("idempotency-key: {id}")), "{head}");
        assert!(head.contains("x-api-key: k3y-value-from-env"), "{head}");
        assert!(head.contains("x-team: soc"), "{head}");
    }
    assert!(receiver.failed_handshakes.lock().unwrap().is_empty());

    let sink = format!("webhook:https://localhost:{port}");
    let delivered = format!("dragnet_watch_sink_deliveries_total{{sink=\"{sink}\"}} 1");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut metrics = String::new();
    while !metrics.contains(&delivered) && Instant::now() < deadline {
        metrics = watch.request("GET", "/metrics", &[], b"").body;
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(metrics.contains(&delivered), "missing {delivered:?} in\n{metrics}");
    let log = watch.log();
    assert!(log.contains("webhook trusts these root certificates"), "{log}");
    assert!(log.contains("webhook_ca=1"), "{log}");
    assert!(!log.contains("k3y-value-from-env"), "a header value must not be logged");
    assert!(!log.contains("secret-path"), "the webhook path must not be logged");
}

#[test]
fn https_webhook_untrusted_ca_dead_letters() {
    let dir = temp_dir("tls-untrusted");
    let ca = TestCa::new("dragnet untrusted test CA");
    let receiver = start_tls_receiver(vec![], ca.server_config(&["localhost", "127.0.0.1"], false));
    let url = format!("https://{}/", receiver.address);
    let watch = webhook_watch(&dir, &["--webhook", &url], &[]);
    post_honeypot(&watch, "u1");
    let error = assert_rejected_three_times(&dir, &receiver);
    assert!(error.contains("UnknownIssuer"), "{error}");
    assert!(error.contains("--webhook-ca"), "the error names the fix: {error}");
    assert!(watch.log().contains("webhook delivery failed; retrying"));
}

#[test]
fn https_webhook_rejects_expired_certificate() {
    let dir = temp_dir("tls-expired");
    let ca = TestCa::new("dragnet test CA");
    let receiver = start_tls_receiver(vec![], ca.server_config(&["127.0.0.1"], true));
    let url = format!("https://{}/", receiver.address);
    let ca_file = ca.write_pem(&dir).display().to_string();
    let watch = webhook_watch(&dir, &["--webhook", &url, "--webhook-ca", &ca_file], &[]);
    post_honeypot(&watch, "x1");
    let error = assert_rejected_three_times(&dir, &receiver);
    assert!(error.contains("certificate expired"), "{error}");
}

#[test]
fn https_webhook_rejects_wrong_host() {
    let dir = temp_dir("tls-wrong-host");
    let ca = TestCa::new("dragnet test CA");
    let receiver = start_tls_receiver(vec![], ca.server_config(&["receiver.example"], false));
    let url = format!("https://{}/", receiver.address);
    let ca_file = ca.write_pem(&dir).display().to_string();
    let watch = webhook_watch(&dir, &["--webhook", &url, "--webhook-ca", &ca_file], &[]);
    post_honeypot(&watch, "h1");
    let error = assert_rejected_three_times(&dir, &receiver);
    assert!(error.contains("certificate not valid for name \"127.0.0.1\""), "{error}");
}

#[test]
fn webhook_options_rejected_at_start() {
    let dir = temp_dir("tls-options");
    std::fs::write(dir.join("rules.yaral"), crate::harness::RULES).unwrap();
    std::fs::write(dir.join("empty.pem"), "").unwrap();
    let rules = dir.join("rules.yaral").display().to_string();
    let empty_pem = dir.join("empty.pem").display().to_string();
    let cases: [(&[&str], &str); 5] = [
        (&["--webhook", "http://127.0.0.1:9/", "--webhook-ca", &empty_pem], "only to https://"),
        (
            &["--webhook", "https://127.0.0.1:9/", "--webhook-ca", &empty_pem],
            "no certificate found",
        ),
        (
            &["--webhook", "https://127.0.0.1:9/", "--webhook-header", "X-Key: env:DRAGNET_UNSET"],
            "the environment variable DRAGNET_UNSET is not set",
        ),
        (&["--webhook", "https://user:s3cret@127.0.0.1:9/"], "contains a user name or password"),
        (&["--webhook", "ftp://127.0.0.1:9/"], "must start with http:// or https://"),
    ];
    for (index, (args, expected)) in cases.iter().enumerate() {
        let state = dir.join(format!("state-{index}"));
        let output = Command::new(env!("CARGO_BIN_EXE_dragnet"))
            .args(["watch", "--listen", "127.0.0.1:0", "--rules", &rules, "--state"])
            .arg(&state)
            .args(*args)
            .env_remove("DRAGNET_UNSET")
            .env_remove("DRAGNET_WATCH_TOKEN")
            .output()
            .expect("dragnet watch runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{args:?} shows a password: {stderr}");
    }
}
