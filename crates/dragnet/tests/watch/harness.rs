//! Starting the real `dragnet watch` binary, talking HTTP to it on loopback, webhook receivers
//! over HTTP and HTTPS, and generating synthetic UDM events.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

pub use crate::test_dir::TestDir;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Rules used by the watch tests: hop, tumbling and sliding windows and a single-event rule.
pub const RULES: &str = r#"
rule failed_logins_burst {
  meta:
    severity = "Medium"
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.security_result.action = "BLOCK"
    $user = $e.principal.user.userid
  match:
    $user over 10m
  outcome:
    $attempts = count($e.metadata.product_log_id)
  condition:
    #e >= 3
}

rule logins_per_half_hour {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $user = $e.principal.user.userid
  match:
    $user by 30m
  condition:
    #e >= 4
}

rule login_then_download {
  events:
    $login.metadata.event_type = "USER_LOGIN"
    $login.principal.user.userid = $user
    $get.metadata.event_type = "NETWORK_HTTP"
    $get.principal.user.userid = $user
    $login.metadata.event_timestamp.seconds < $get.metadata.event_timestamp.seconds
  match:
    $user over 5m after $login
  condition:
    $login and $get
}

rule honeypot_touch {
  meta:
    severity = "High"
  events:
    $e.target.hostname = "honeypot"
  condition:
    $e
}
"#;

/// A small deterministic random number generator (xorshift64*), so runs are repeatable.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Returns a number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// 2025-01-01T00:00:00Z in seconds.
pub const BASE: i64 = 1_735_689_600;

/// A change window for `--suppressions` over the first hour after [`BASE`], covering the
/// honeypot rule's detections of events at `BASE + 0`.
pub const HONEYPOT_CHANGE_WINDOW: &str = "[[suppress]]\nrules = [\"honeypot_*\"]\nmatch = {}\n\
     start = \"2025-01-01T00:00:00Z\"\nend = \"2025-01-01T01:00:00Z\"\n\
     reason = \"approved honeypot test\"\n";

/// Seconds from `BASE` to 9999-12-31T23:59:59Z, the latest time RFC 3339 can write.
pub const FAR_FUTURE: i64 = 253_402_300_799 - BASE;

fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0).expect("valid time").to_rfc3339()
}

/// Builds one synthetic UDM event at `BASE + seconds`.
pub fn event(id: &str, seconds: i64, kind: &str, user: &str, host: &str, blocked: bool) -> Value {
    let mut event = json!({
        "metadata": {
            "event_timestamp": rfc3339(BASE + seconds),
            "event_type": kind,
            "product_log_id": id,
            "log_type": "TEST",
        },
        "principal": {"user": {"userid": user}},
        "target": {"hostname": host},
    });
    if blocked {
        event["security_result"] = json!([{"action": ["BLOCK"]}]);
    }
    event
}

/// `count` events over about `count * 20` seconds from `start` seconds, a mix that fires every
/// test rule, with ids `{prefix}{n}`.
pub fn events(rng: &mut Rng, prefix: &str, start: i64, count: usize) -> Vec<(i64, Value)> {
    let users = ["alice", "bob", "carol", "dave", "erin"];
    let mut out = Vec::with_capacity(count);
    let mut time = start;
    for n in 0..count {
        time += rng.below(40) as i64;
        let user = users[rng.below(users.len() as u64) as usize];
        let kind = if rng.below(3) == 0 { "NETWORK_HTTP" } else { "USER_LOGIN" };
        let host = if rng.below(50) == 0 { "honeypot" } else { "web" };
        let blocked = rng.below(2) == 0;
        out.push((time, event(&format!("{prefix}{n}"), time, kind, user, host, blocked)));
    }
    out
}

/// Builds an event a day after `seconds` that matches no rule and moves the watermark past every
/// window before it.
pub fn flush_event(seconds: i64) -> Value {
    event("flush", seconds + 86_400, "GENERIC_EVENT", "", "", false)
}

/// Reorders events as they might arrive, each at most `lateness` seconds behind the latest
/// event time seen before it, so none is late.
pub fn shuffle_within(rng: &mut Rng, events: &[(i64, Value)], lateness: i64) -> Vec<Value> {
    let mut keyed: Vec<(i64, u64, &Value)> = events
        .iter()
        .map(|(time, event)| (time + rng.below(lateness as u64) as i64, rng.next(), event))
        .collect();
    keyed.sort_by_key(|(key, tie, _)| (*key, *tie));
    keyed.into_iter().map(|(_, _, event)| event.clone()).collect()
}

pub fn jsonl(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

pub fn temp_dir(name: &str) -> TestDir {
    TestDir::new(&format!("dragnet-watch-{name}-"))
}

/// Detection ids of a JSON-lines output, in file order. A last line without its newline is
/// still being written by the service, so it is left for the next read.
pub fn ids_in(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..=end]);
    complete
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let value: Value = serde_json::from_str(l).expect("every output line is JSON");
            value["id"].as_str().expect("a detection has an id").to_owned()
        })
        .collect()
}

/// Counts of each id, to spot repeats.
pub fn counts(ids: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for id in ids {
        *counts.entry(id.clone()).or_insert(0) += 1;
    }
    counts
}

/// Runs `dragnet hunt` over a file and returns the detection ids.
pub fn hunt_ids(rules: &Path, input: &Path) -> Vec<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(["hunt", "--rules"])
        .arg(rules)
        .args(["--output", "jsonl"])
        .arg(input)
        .env_remove("RUST_LOG")
        .output()
        .expect("dragnet hunt runs");
    assert!(output.status.success(), "hunt failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A running `dragnet watch`.
pub struct Watch {
    pub child: Child,
    pub address: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    /// Starts `dragnet watch` with `args` after `--state state`, listening on a free loopback
    /// port, and waits until it serves HTTP.
    pub fn start(state: &Path, args: &[&str], env: &[(&str, &str)]) -> Watch {
        Watch::start_with_stdin(state, args, env, Stdio::null())
    }

    pub fn start_with_stdin(
        state: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Stdio,
    ) -> Watch {
        Watch::start_on("127.0.0.1:0", state, args, env, stdin)
    }

    /// Starts `dragnet watch` listening on `listen`.
    pub fn start_on(
        listen: &str,
        state: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Stdio,
    ) -> Watch {
        let mut command = Command::new(env!("CARGO_BIN_EXE_dragnet"));
        command
            .arg("watch")
            .arg("--state")
            .arg(state)
            .args(["--listen", listen])
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("DRAGNET_WATCH_TOKEN")
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("dragnet watch starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(at) = line.find("HTTP server listening address=") {
                        let address = line[at + "HTTP server listening address=".len()..]
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_owned();
                        let _ = tx.send(address);
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        let address = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            panic!("watch did not start listening; log:\n{}", log.lock().unwrap().join("\n"))
        });
        Watch { child, address, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until the log has a line containing `text`.
    pub fn wait_for_log(&self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.log.lock().unwrap().iter().any(|l| l.contains(text)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        http_request(&self.address, method, path, headers, body)
    }

    pub fn post_events(&self, token: &str, body: &[u8]) -> Response {
        let auth = format!("Bearer {token}");
        self.request("POST", "/v1/events", &[("Authorization", &auth)], body)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "watch did not stop after SIGTERM; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGKILL, as a crash would, and reaps the process.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself.
    pub fn wait(mut self, timeout: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.log());
            }
            assert!(Instant::now() < deadline, "watch did not exit; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

/// Sends one HTTP/1.1 request like [`http_request`], or returns `None` when the connection
/// fails or closes without a complete status line, as it does when the server is killed.
pub fn try_http_request(address: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<Response> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let mut request = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Response { status, head: head.to_owned(), body: body.to_owned() })
}

/// Sends one HTTP/1.1 request with `Connection: close` and reads the whole response.
pub fn http_request(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(address).expect("the server accepts connections");
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    // The server may respond and close before reading a body it rejects, so a failed write
    // is not an error here. The response tells what happened.
    let _ = stream.write_all(request.as_bytes()).and_then(|()| stream.write_all(body));
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    Response { status, head: head.to_owned(), body: body.to_owned() }
}

/// A webhook receiver on loopback that responds with the statuses of its script, then 200.
pub struct Receiver {
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// The head and body of each request received.
    pub requests: Arc<Mutex<Vec<(String, String)>>>,
    /// The server's error for each TLS handshake that failed.
    pub failed_handshakes: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    /// Waits until `n` requests have arrived, or the timeout passes, and returns them.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<(String, String)> {
        let deadline = Instant::now() + timeout;
        while self.requests.lock().unwrap().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.requests.lock().unwrap().clone()
    }
}

/// Starts a plain HTTP receiver.
pub fn start_receiver(script: Vec<u16>) -> Receiver {
    start_receiver_with(script, None)
}

/// Starts an HTTPS receiver that presents the certificate of `tls`.
pub fn start_tls_receiver(script: Vec<u16>, tls: Arc<rustls::ServerConfig>) -> Receiver {
    start_receiver_with(script, Some(tls))
}

fn start_receiver_with(script: Vec<u16>, tls: Option<Arc<rustls::ServerConfig>>) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let failed_handshakes = Arc::new(Mutex::new(Vec::new()));
    let receiver = Receiver {
        address,
        requests: Arc::clone(&requests),
        failed_handshakes: Arc::clone(&failed_handshakes),
    };
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = match &tls {
                None => answer_request(&mut stream, &mut script),
                Some(config) => {
                    let mut connection = rustls::ServerConnection::new(Arc::clone(config)).unwrap();
                    if let Err(e) = complete_handshake(&mut connection, &mut stream) {
                        failed_handshakes.lock().unwrap().push(e.to_string());
                        continue;
                    }
                    let mut stream = rustls::StreamOwned::new(connection, stream);
                    let request = answer_request(&mut stream, &mut script);
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                    request
                }
            };
            if let Some(request) = request {
                requests.lock().unwrap().push(request);
            }
        }
    });
    receiver
}

/// Runs the server side of a TLS handshake to its end.
fn complete_handshake(
    connection: &mut rustls::ServerConnection,
    stream: &mut TcpStream,
) -> std::io::Result<()> {
    while connection.is_handshaking() {
        connection.complete_io(stream)?;
    }
    Ok(())
}

/// Reads one request and responds with the next status of `script`, or 200 when the script
/// has ended. Returns the request's head and body, or `None` when the client sent no request.
fn answer_request(
    stream: &mut (impl Read + Write),
    script: &mut impl Iterator<Item = u16>,
) -> Option<(String, String)> {
    let mut reader = BufReader::new(&mut *stream);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    if head.is_empty() {
        return None;
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    drop(reader);
    let status = script.next().unwrap_or(200);
    let reply = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(reply.as_bytes()).and_then(|()| stream.flush());
    Some((head, String::from_utf8_lossy(&body).into_owned()))
}
