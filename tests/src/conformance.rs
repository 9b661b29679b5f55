//! Runs the official MCP conformance suite (`@modelcontextprotocol/conformance`,
//! pinned in tests/conformance) against a running Portico. The suite and
//! the Node.js 22 it needs are installed by the project's own
//! `tests/conformance/setup.sh` (idempotent, locked), so a fresh machine
//! needs nothing by hand beyond npm.
//!
//! The suite's `authorization` command tests an OAuth authorization server.
//! Its `authorization-code-grant` scenario prints an authorize URL for a
//! person to open and waits for the redirect to its own callback server on
//! `http://127.0.0.1:<port>/callback`; the suite has no hook for automating
//! that step, so [`Suite::authorization`] reads the URL off its stdout and
//! plays the browser: it follows the redirects and answers the simulator's
//! login and allow pages (see `podio_sim::login`) until the suite's callback
//! has been reached.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context;
use podio_sim::login::{
    ALLOW, ALLOW_FORM_ID, DECISION_FIELD, LOGIN_FORM_ID, PASSWORD_FIELD, USERNAME_FIELD, parse_form,
};
use reqwest::Url;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

use crate::script;

/// The line the suite prints just before the authorize URL.
const URL_FOLLOWS: &str = "Access the following URL in your browser";
/// The line the suite prints once its callback server listens.
const CALLBACK_READY: &str = "Callback server started";
/// The most redirects and pages one sign-in may take.
const MAX_STEPS: usize = 12;

/// What `tests/conformance/setup.sh` prepared.
pub struct Suite {
    /// A Node.js >= 22.
    pub node: PathBuf,
    /// The suite's CLI script (`dist/index.js`).
    pub cli: PathBuf,
}

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// Installs (or reuses) the locked suite and Node.js.
pub async fn setup() -> anyhow::Result<Suite> {
    let mut found = script::setup(
        &conformance_dir().join("setup.sh"),
        &["node", "conformance"],
    )
    .await?;
    let mut take = |key: &str| found.remove(key).unwrap_or_default();
    Ok(Suite {
        node: take("node"),
        cli: take("conformance"),
    })
}

/// One run of `conformance authorization` over every authorization-server
/// scenario (the code-grant scenario needs the metadata scenario's result,
/// so they only work run together).
pub struct AuthorizationRun<'a> {
    /// The issuer (the suite derives the well-known URLs from it).
    pub issuer: &'a str,
    /// A client registered with redirect URI [`AuthorizationRun::redirect_uri`].
    pub client_id: &'a str,
    /// The RFC 8707 resource (the MCP endpoint).
    pub resource: &'a str,
    /// The port of the suite's callback server.
    pub callback_port: u16,
    /// Who signs in at the simulator.
    pub username: &'a str,
    /// Their password.
    pub password: &'a str,
    /// How long the whole run may take.
    pub timeout: Duration,
}

impl AuthorizationRun<'_> {
    /// The redirect URI the suite sends, which the client must have registered.
    pub fn redirect_uri(&self) -> String {
        callback_uri(self.callback_port)
    }
}

fn callback_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}/callback")
}

/// What a run produced.
pub struct Outcome {
    /// The suite's exit status (non-zero when a check failed).
    pub status: ExitStatus,
    /// Each scenario's checks, as the suite saved them (`checks.json`).
    pub scenarios: BTreeMap<String, Vec<Value>>,
    /// The suite's stdout and stderr, for failure messages.
    pub transcript: String,
}

impl Outcome {
    /// Every check of `scenario` that is not `SUCCESS` (traffic logs,
    /// `INFO`, aside), or an error if the scenario did not run at all.
    pub fn unmet(&self, scenario: &str) -> anyhow::Result<Vec<&Value>> {
        let checks = self
            .scenarios
            .get(scenario)
            .with_context(|| format!("the suite saved no checks for {scenario}"))?;
        anyhow::ensure!(!checks.is_empty(), "{scenario} has no checks");
        Ok(checks
            .iter()
            .filter(|c| c["status"] != "SUCCESS" && c["status"] != "INFO")
            .collect())
    }
}

impl Suite {
    /// Runs `conformance authorization` as described by `run`, signing in
    /// at the simulator when the suite asks for the browser step.
    pub async fn authorization(&self, run: &AuthorizationRun<'_>) -> anyhow::Result<Outcome> {
        let out_dir = std::env::temp_dir().join(format!(
            "portico-conformance-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let outcome = tokio::time::timeout(run.timeout, self.run_authorization(run, &out_dir))
            .await
            .with_context(|| {
                format!(
                    "conformance authorization took over {} s",
                    run.timeout.as_secs()
                )
            })
            .and_then(|outcome| outcome);
        let _ = tokio::fs::remove_dir_all(&out_dir).await;
        outcome
    }

    async fn run_authorization(
        &self,
        run: &AuthorizationRun<'_>,
        out_dir: &Path,
    ) -> anyhow::Result<Outcome> {
        let mut path = self
            .node
            .parent()
            .map(Path::to_path_buf)
            .into_iter()
            .collect::<Vec<_>>();
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let mut command = Command::new(&self.node);
        command
            .arg(&self.cli)
            .arg("authorization")
            .args(["--url", run.issuer])
            .args(["--client-id", run.client_id])
            .args(["--resource", run.resource])
            .args(["--port", &run.callback_port.to_string()])
            .arg("--output-dir")
            .arg(out_dir)
            .env("PATH", std::env::join_paths(path)?)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().context("could not start the suite")?;
        let (tx, mut lines) = mpsc::unbounded_channel();
        let stdout = child.stdout.take().context("no stdout")?;
        let reader = tokio::spawn(forward_lines(stdout, tx));
        let stderr = tokio::spawn(read_all(child.stderr.take().context("no stderr")?));

        let mut transcript = String::new();
        let mut authorize_url = None;
        let mut url_follows = false;
        let mut callback_ready = false;
        let mut signed_in = false;
        while let Some(line) = lines.recv().await {
            transcript.push_str(&line);
            transcript.push('\n');
            if url_follows {
                authorize_url = Some(line.trim().to_owned());
                url_follows = false;
            }
            url_follows |= line.starts_with(URL_FOLLOWS);
            callback_ready |= line.starts_with(CALLBACK_READY);
            if let (Some(url), true, false) = (&authorize_url, callback_ready, signed_in) {
                signed_in = true;
                let redirect = callback_uri(run.callback_port);
                if let Err(err) = sign_in(url, &redirect, run.username, run.password).await {
                    // The suite would wait five minutes for a callback that
                    // will not come.
                    let _ = child.kill().await;
                    let stderr = stderr.await.unwrap_or_default();
                    anyhow::bail!(
                        "signing in for the suite failed: {err:#}\n--- suite output ---\n{transcript}{stderr}"
                    );
                }
            }
        }
        let status = child.wait().await?;
        reader.await??;
        transcript.push_str(&stderr.await.unwrap_or_default());
        let scenarios = read_checks(out_dir)
            .await
            .with_context(|| format!("reading the saved checks; suite output:\n{transcript}"))?;
        Ok(Outcome {
            status,
            scenarios,
            transcript,
        })
    }
}

async fn forward_lines(
    stream: impl AsyncRead + Unpin,
    tx: mpsc::UnboundedSender<String>,
) -> std::io::Result<()> {
    let mut lines = BufReader::new(stream).lines();
    while let Some(line) = lines.next_line().await? {
        if tx.send(line).is_err() {
            break;
        }
    }
    Ok(())
}

async fn read_all(mut stream: impl AsyncRead + Unpin) -> String {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The checks the suite saved under `out_dir`, by scenario: each scenario
/// writes `authorization-server-<scenario>-<timestamp>/checks.json`.
async fn read_checks(out_dir: &Path) -> anyhow::Result<BTreeMap<String, Vec<Value>>> {
    let mut scenarios = BTreeMap::new();
    let mut entries = tokio::fs::read_dir(out_dir)
        .await
        .with_context(|| format!("the suite left no {}", out_dir.display()))?;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("authorization-server-") else {
            continue;
        };
        // `<scenario>-YYYY-MM-DDTHH-MM-SS-mmmZ`: the last six dashes are
        // the timestamp's and the one before it.
        let Some(scenario) = rest.rsplitn(7, '-').nth(6) else {
            continue;
        };
        let text = tokio::fs::read_to_string(entry.path().join("checks.json")).await?;
        let checks: Vec<Value> = serde_json::from_str(&text)
            .with_context(|| format!("{name}/checks.json is not a list of checks"))?;
        scenarios.insert(scenario.to_owned(), checks);
    }
    Ok(scenarios)
}

/// Plays the browser from `authorize_url` on: follows redirects, logs in and
/// allows at the simulator's pages, and stops once a redirect reaches
/// `redirect_uri` (after delivering it, as the browser would).
async fn sign_in(
    authorize_url: &str,
    redirect_uri: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    let http = crate::http_client(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut url = Url::parse(authorize_url).context("the suite printed a bad authorize URL")?;
    let mut form_body: Option<String> = None;
    for _ in 0..MAX_STEPS {
        let request = match form_body.take() {
            Some(body) => http
                .post(url.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
            None => http.get(url.clone()),
        };
        let response = request
            .send()
            .await
            .with_context(|| format!("requesting {url}"))?;
        let status = response.status();
        if url.as_str().starts_with(redirect_uri) {
            anyhow::ensure!(
                status.is_success(),
                "the suite's callback answered {status}"
            );
            return Ok(());
        }
        if status.is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .with_context(|| format!("{status} from {url} without a Location"))?;
            url = url.join(location)?;
            continue;
        }
        let body = response.text().await.unwrap_or_default();
        anyhow::ensure!(status.is_success(), "{status} from {url}: {}", cut(&body));
        let mut form = if let Some(mut form) = parse_form(&body, LOGIN_FORM_ID) {
            form.set(USERNAME_FIELD, username)
                .set(PASSWORD_FIELD, password);
            form
        } else if let Some(mut form) = parse_form(&body, ALLOW_FORM_ID) {
            form.set(DECISION_FIELD, ALLOW);
            form
        } else {
            anyhow::bail!(
                "{url} answered a page with neither a login nor an allow form: {}",
                cut(&body)
            );
        };
        anyhow::ensure!(form.method == "post", "the form at {url} is not a POST");
        form_body = Some(form.encoded());
        url = url.join(&std::mem::take(&mut form.action))?;
    }
    anyhow::bail!("no redirect to {redirect_uri} after {MAX_STEPS} steps (last at {url})")
}

fn cut(text: &str) -> String {
    text.chars().take(2000).collect()
}

/// Registers a public client (PKCE, no secret) for `redirect_uri` at the
/// issuer's RFC 7591 endpoint and returns its `client_id`.
pub async fn register_public_client(issuer: &str, redirect_uri: &str) -> anyhow::Result<String> {
    let http = crate::http_client(Duration::from_secs(10)).build()?;
    let response = http
        .post(format!("{issuer}/oauth/register"))
        .json(&serde_json::json!({
            "client_name": "MCP conformance suite",
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await.context("registration answer")?;
    anyhow::ensure!(
        status.is_success(),
        "registration refused ({status}): {body}"
    );
    body["client_id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("registration answered no client_id: {body}"))
}

/// A loopback port that was free a moment ago, for the suite's callback
/// server (which binds it itself).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
