//! The webhook sink: POSTs each detection as JSON to an `http://` or `https://` URL.
//!
//! Each request carries the detection id in an `Idempotency-Key` header and any
//! `--webhook-header` headers. Failed requests are retried with exponential backoff, and a
//! detection is dead-lettered after `--webhook-attempts` failures or on a 4xx status other
//! than 408 and 429.
//!
//! HTTPS uses rustls with the ring provider, TLS 1.2 or 1.3. The receiver's certificate must
//! be valid now and for the URL's host. It must also chain to a trusted root: a Mozilla root
//! from `webpki-roots`, a root the system trusts, or a certificate from a `--webhook-ca` file.
//! `rustls-native-certs` 0.8 finds the system's roots, on Linux through `SSL_CERT_FILE`,
//! `SSL_CERT_DIR` or OpenSSL's default paths. There is deliberately no option to turn
//! verification off. A failed verification is retried like a refused connection, because a
//! receiver may be between certificates.

use std::env::VarError;
use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use tokio::runtime::Handle;

use super::metrics::{label, Metrics};
use super::sinks::{Sink, Undeliverable, STOPPING};

/// Time allowed for one webhook request, including the connection and TLS handshake.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// The first retry delay; it doubles after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Headers the sink sets itself or that the HTTP client manages, which `--webhook-header`
/// may not add.
const RESERVED_HEADERS: [&str; 6] = [
    "connection",
    "content-length",
    "content-type",
    "host",
    "idempotency-key",
    "transfer-encoding",
];

/// Settings of the webhook sink, from the `--webhook` options.
pub struct WebhookSettings<'a> {
    /// The `--webhook` URL.
    pub url: &'a str,
    /// Attempts per detection before it is dead-lettered.
    pub attempts: u32,
    /// PEM files of CA certificates to trust for an `https://` URL, besides the default roots.
    pub ca_files: &'a [PathBuf],
    /// `--webhook-header` arguments, each `Name: value` or `Name: env:VARIABLE`.
    pub headers: &'a [String],
}

/// POSTs each detection to a URL.
pub struct WebhookSink {
    uri: hyper::Uri,
    /// `webhook:` and the URL's scheme, host and port: a webhook path often contains a secret.
    name: String,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    headers: HeaderMap,
    runtime: Handle,
    attempts: u32,
    stopping: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
}

impl WebhookSink {
    /// Checks the URL and headers, loads the trusted roots for HTTPS, and builds the client.
    pub fn new(
        settings: &WebhookSettings<'_>,
        runtime: Handle,
        stopping: Arc<AtomicBool>,
        metrics: Arc<Metrics>,
    ) -> Result<WebhookSink> {
        let url = settings.url;
        let uri: hyper::Uri =
            url.parse().with_context(|| format!("invalid --webhook URL {url:?}"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => bail!("--webhook {url:?}: the URL must start with http:// or https://"),
        };
        if uri.host().is_none() {
            bail!("--webhook {url:?}: the URL has no host");
        }
        let authority = uri.authority().map_or("", |a| a.as_str());
        // The URL is not repeated here because its user information is a secret.
        if authority.contains('@') {
            bail!(
                "the --webhook URL contains a user name or password, which the webhook does not \
                 send; pass credentials with --webhook-header, for example \
                 'Authorization: env:WEBHOOK_AUTHORIZATION'"
            );
        }
        if !https && !settings.ca_files.is_empty() {
            bail!("--webhook-ca applies only to https:// URLs, but the --webhook URL is http://");
        }
        let name = format!("webhook:{}://{authority}", if https { "https" } else { "http" });
        let headers = parse_headers(settings.headers, |variable| std::env::var(variable))?;
        if !headers.is_empty() {
            let names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
            tracing::info!(sink = %name, headers = %names.join(","), "webhook requests carry extra headers");
        }

        let connector = if https {
            let roots = trusted_roots(&name, settings.ca_files)?;
            HttpsConnectorBuilder::new()
                .with_tls_config(client_config(roots)?)
                .https_only()
                .enable_http1()
                .build()
        } else {
            // The URL is fixed, so this connector never starts a TLS handshake and needs no
            // trusted roots.
            HttpsConnectorBuilder::new()
                .with_tls_config(client_config(RootCertStore::empty())?)
                .https_or_http()
                .enable_http1()
                .build()
        };
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(WebhookSink {
            uri,
            name,
            client,
            headers,
            runtime,
            attempts: settings.attempts.max(1),
            stopping,
            metrics,
        })
    }

    async fn post(&self, id: &str, line: &[u8]) -> std::result::Result<(), (bool, String)> {
        let mut request = hyper::Request::post(self.uri.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", id);
        for (name, value) in &self.headers {
            request = request.header(name, value.clone());
        }
        let request = request
            .body(Full::new(Bytes::copy_from_slice(line)))
            .map_err(|e| (false, format!("cannot build the request: {e}")))?;
        let response = tokio::time::timeout(WEBHOOK_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| (true, format!("timed out after {}s", WEBHOOK_TIMEOUT.as_secs())))?
            .map_err(|e| (true, describe_request_error(&e)))?;
        let status = response.status();
        // Read the body so the connection can be reused.
        let _ = response.into_body().collect().await;
        if status.is_success() {
            return Ok(());
        }
        let retry = status.is_server_error()
            || status == hyper::StatusCode::TOO_MANY_REQUESTS
            || status == hyper::StatusCode::REQUEST_TIMEOUT;
        Err((retry, format!("the receiver answered {status}")))
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn deliver(&mut self, id: &str, line: &[u8]) -> std::result::Result<(), Undeliverable> {
        let mut delay = FIRST_BACKOFF;
        let name = self.name();
        for attempt in 1..=self.attempts {
            let result = self.runtime.block_on(self.post(id, line));
            match result {
                Ok(()) => return Ok(()),
                Err((false, reason)) => return Err(Undeliverable(reason)),
                Err((true, reason)) if attempt == self.attempts => {
                    return Err(Undeliverable(format!(
                        "{reason} (attempt {attempt} of {})",
                        self.attempts
                    )))
                }
                Err((true, reason)) => {
                    tracing::warn!(sink = %name, id, attempt, retry_in_ms = delay.as_millis() as u64, error = %reason, "webhook delivery failed; retrying");
                    self.metrics.add("dragnet_watch_sink_retries_total", label("sink", &name), 1.0);
                    if self.stopping.load(Ordering::Acquire) {
                        return Err(Undeliverable(STOPPING.into()));
                    }
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        }
        Err(Undeliverable("no attempt made".into()))
    }
}

/// Parses `--webhook-header` arguments into headers marked sensitive, reading a value written
/// `env:VARIABLE` through `lookup`.
///
/// Errors name the header but never show its value, which is often a secret.
fn parse_headers(
    arguments: &[String],
    lookup: impl Fn(&str) -> std::result::Result<String, VarError>,
) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (index, argument) in arguments.iter().enumerate() {
        let Some((name, value)) = argument.split_once(':') else {
            bail!(
                "invalid --webhook-header number {}: expected 'Name: value' \
                 (the argument is not shown because it may contain a secret)",
                index + 1
            );
        };
        let name = name.trim();
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| anyhow!("--webhook-header {name:?}: invalid header name"))?;
        if RESERVED_HEADERS.contains(&name.as_str()) {
            bail!("--webhook-header {name}: the webhook sets this header itself");
        }
        let value = value.trim();
        let value = match value.strip_prefix("env:") {
            Some(variable) => {
                let variable = variable.trim();
                match lookup(variable) {
                    Ok(value) => value,
                    Err(VarError::NotPresent) => bail!(
                        "--webhook-header {name}: the environment variable {variable} is not set"
                    ),
                    Err(VarError::NotUnicode(_)) => bail!(
                        "--webhook-header {name}: the environment variable {variable} is not \
                         valid UTF-8"
                    ),
                }
            }
            None => value.to_owned(),
        };
        if value.is_empty() {
            bail!("--webhook-header {name}: the value is empty");
        }
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            anyhow!(
                "--webhook-header {name}: the value contains a character that a header may not \
                 contain, such as a line break"
            )
        })?;
        value.set_sensitive(true);
        headers.append(name, value);
    }
    Ok(headers)
}

/// Builds the set of trusted roots for an `https://` webhook: the Mozilla roots, the system's
/// and those in the `--webhook-ca` files.
fn trusted_roots(sink: &str, ca_files: &[PathBuf]) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mozilla = roots.len();

    let system = rustls_native_certs::load_native_certs();
    if let Some(first) = system.errors.first() {
        tracing::warn!(
            sink,
            errors = system.errors.len(),
            first_error = %first,
            "cannot load some of the system's trusted certificates; the others, the Mozilla \
             roots and --webhook-ca still apply"
        );
    }
    let (system_added, system_ignored) = roots.add_parsable_certificates(system.certs);
    if system_ignored > 0 {
        tracing::warn!(sink, ignored = system_ignored, "ignored invalid system certificates");
    }

    let mut from_files = 0;
    for path in ca_files {
        for (index, certificate) in read_ca_file(path)?.into_iter().enumerate() {
            roots.add(certificate).with_context(|| {
                format!(
                    "--webhook-ca {}: certificate {} is not a valid X.509 certificate",
                    path.display(),
                    index + 1
                )
            })?;
            from_files += 1;
        }
    }
    tracing::info!(
        sink,
        mozilla,
        system = system_added,
        webhook_ca = from_files,
        "webhook trusts these root certificates"
    );
    Ok(roots)
}

/// Reads the certificates of a PEM file, of which there must be at least one.
fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path)
        .with_context(|| format!("cannot read the --webhook-ca file {}", path.display()))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .with_context(|| format!("--webhook-ca {}: invalid PEM", path.display()))?;
    if certificates.is_empty() {
        bail!(
            "--webhook-ca {}: no certificate found; expected PEM blocks that start with \
             -----BEGIN CERTIFICATE-----",
            path.display()
        );
    }
    Ok(certificates)
}

/// Builds a TLS client configuration with the ring provider and the given roots.
fn client_config(roots: RootCertStore) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the TLS provider supports no protocol version")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// Describes a failed request with the causes that the client error's own text leaves out,
/// such as the refused connection or the rejected certificate.
fn describe_request_error(error: &hyper_util::client::legacy::Error) -> String {
    if let Some(tls) = find_tls_error(error) {
        let mut message = format!("TLS handshake failed: {tls}");
        if matches!(tls, rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer))
        {
            message.push_str(
                " (no trusted root signed the receiver's certificate; if a private CA signed it, \
                 pass that CA with --webhook-ca)",
            );
        }
        return message;
    }
    let mut message = format!("request failed: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Finds the rustls error behind a failed request. The connector wraps it in `io::Error`s,
/// whose `source` skips the wrapped error, so this also looks inside each `io::Error`.
fn find_tls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = match error.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
            None => error.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(variable: &str) -> std::result::Result<String, VarError> {
        match variable {
            "WEBHOOK_KEY" => Ok("k3y-from-env".into()),
            _ => Err(VarError::NotPresent),
        }
    }

    fn parse(arguments: &[&str]) -> Result<HeaderMap> {
        let arguments: Vec<String> = arguments.iter().map(|a| a.to_string()).collect();
        parse_headers(&arguments, environment)
    }

    #[test]
    fn headers_parse_literal_and_env_values() {
        let headers = parse(&["X-Api-Key: env:WEBHOOK_KEY", "X-Team:soc", "x-team: cti "]).unwrap();
        assert_eq!(headers["x-api-key"], "k3y-from-env");
        assert!(headers["x-api-key"].is_sensitive());
        let teams: Vec<_> = headers.get_all("x-team").iter().collect();
        assert_eq!(teams, ["soc", "cti"]);
    }

    #[test]
    fn header_errors_never_show_values() {
        let cases = [
            ("s3cret-without-colon", "expected 'Name: value'"),
            ("Bad Name: s3cret", "invalid header name"),
            ("Content-Type: s3cret", "sets this header itself"),
            ("Idempotency-Key: s3cret", "sets this header itself"),
            ("X-Api-Key: env:MISSING_VARIABLE", "MISSING_VARIABLE is not set"),
            ("X-Api-Key:  ", "the value is empty"),
            ("X-Api-Key: s3cret\u{7f}", "a character that a header may not contain"),
        ];
        for (argument, expected) in cases {
            let error = format!("{:#}", parse(&[argument]).unwrap_err());
            assert!(error.contains(expected), "{argument:?}: {error}");
            assert!(!error.contains("s3cret"), "{argument:?} shows its value: {error}");
        }
    }

    #[test]
    fn ca_file_reads_every_certificate() {
        let dir = std::env::temp_dir().join(format!("dragnet-webhook-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut pem = String::new();
        for name in ["first test CA", "second test CA"] {
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params.distinguished_name.push(rcgen::DnType::CommonName, name);
            let key = rcgen::KeyPair::generate().unwrap();
            pem.push_str(&params.self_signed(&key).unwrap().pem());
        }
        let two = dir.join("two.pem");
        std::fs::write(&two, &pem).unwrap();
        assert_eq!(read_ca_file(&two).unwrap().len(), 2);
        let roots = trusted_roots("test", &[two]).unwrap();
        assert!(roots.len() > webpki_roots::TLS_SERVER_ROOTS.len() + 1);

        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no PEM here\n").unwrap();
        let error = format!("{:#}", read_ca_file(&empty).unwrap_err());
        assert!(error.contains("no certificate found"), "{error}");

        let garbage = dir.join("garbage.pem");
        std::fs::write(&garbage, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .unwrap();
        let error = format!("{:#}", trusted_roots("test", &[garbage]).unwrap_err());
        assert!(error.contains("certificate 1 is not a valid X.509 certificate"), "{error}");

        let error = format!("{:#}", read_ca_file(&dir.join("missing.pem")).unwrap_err());
        assert!(error.contains("cannot read the --webhook-ca file"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
