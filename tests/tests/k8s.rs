//! Static checks of the Kubernetes manifests under `deploy/k8s/`: every
//! workload runs non-root on a read-only root filesystem with limits and
//! probes, secrets are only referenced, every variable set is one the
//! README documents, every Service targets a port its pods declare, the
//! front door and tools scale, everything has a disruption budget, and the
//! network is closed by default. The base is read file by file; the `dev`
//! and `production` overlays are also rendered with `kubectl kustomize`
//! when kubectl is installed (it is on the CI image), and checked the same.
//!
//! The renders are also validated by external tools, which
//! `tests/python/setup.sh k8s` installs (pinned, in a venv of their own): every
//! document against the Kubernetes schemas of [`KUBERNETES_VERSION`] in
//! strict mode (kubernetes-validate), and the whole against checkov's
//! security checks, with the skips `deploy/k8s/.checkov.yaml` explains. These
//! need kubectl and fail without it: nothing is skipped quietly.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

/// The Kubernetes release whose schemas the rendered overlays must match (one
/// that kubernetes-validate in `tests/python/requirements-k8s.txt` bundles). Raise it
/// with the oldest cluster version we support.
const KUBERNETES_VERSION: &str = "1.33.0";

/// The overlays, as rendered by `kubectl kustomize`.
const OVERLAYS: [&str; 2] = ["dev", "production"];

fn k8s_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/k8s")
}

/// `overlay` rendered by `kubectl kustomize`; panics, saying why, when
/// kubectl is missing or the overlay does not build.
fn render(overlay: &str) -> String {
    let out = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(k8s_dir().join("overlays").join(overlay))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run kubectl to render {overlay} (install kubectl, which bundles kustomize): {e}")
        });
    assert!(
        out.status.success(),
        "kubectl kustomize {overlay}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("kubectl prints UTF-8")
}

/// Every document of a multi-document YAML text.
fn documents(text: &str) -> Vec<Value> {
    text.split("\n---")
        .filter_map(|doc| serde_yaml::from_str::<Value>(doc).ok())
        .filter(|doc| doc.is_object())
        .collect()
}

/// The base's resources, as its kustomization lists them.
fn base() -> Vec<Value> {
    let dir = k8s_dir().join("base");
    let kustomization: Value = serde_yaml::from_str(
        &std::fs::read_to_string(dir.join("kustomization.yaml")).expect("base kustomization"),
    )
    .expect("kustomization is YAML");
    let files = kustomization["resources"]
        .as_array()
        .expect("resources listed");
    files
        .iter()
        .flat_map(|file| {
            let file = file.as_str().expect("a file name");
            let text = std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("base lists {file}, which cannot be read: {e}"));
            documents(&text)
        })
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn name(doc: &Value) -> &str {
    doc["metadata"]["name"].as_str().unwrap_or("?")
}

/// The checks every rendering (the base, each overlay) must pass.
fn check(docs: &[Value], what: &str) {
    let documented = portico_tests::readme_variables();
    let workloads: Vec<(&str, &Value)> = of_kind(docs, "Deployment")
        .into_iter()
        .chain(of_kind(docs, "Job"))
        .map(|d| (name(d), &d["spec"]["template"]))
        .collect();
    assert!(!workloads.is_empty(), "{what}: no workloads");
    let third_party = |image: &str| !image.starts_with("portico") && !image.contains("/portico");
    for (workload, template) in &workloads {
        let pod = &template["spec"];
        assert_eq!(
            pod["securityContext"]["runAsNonRoot"], true,
            "{what}: {workload} must run as non-root"
        );
        assert_eq!(
            pod["automountServiceAccountToken"], false,
            "{what}: {workload} needs no API token"
        );
        for container in pod["containers"].as_array().expect("containers") {
            let security = &container["securityContext"];
            assert_eq!(
                security["readOnlyRootFilesystem"], true,
                "{what}: {workload}"
            );
            assert_eq!(
                security["allowPrivilegeEscalation"], false,
                "{what}: {workload}"
            );
            assert_eq!(
                security["capabilities"]["drop"][0], "ALL",
                "{what}: {workload}"
            );
            for side in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        !container["resources"][side][resource].is_null(),
                        "{what}: {workload} lacks resources.{side}.{resource}"
                    );
                }
            }
            let image = container["image"].as_str().unwrap_or_default();
            for env in container["env"].as_array().into_iter().flatten() {
                let var = env["name"].as_str().unwrap_or_default();
                if !third_party(image) {
                    assert!(
                        documented.contains(var),
                        "{what}: {workload} sets {var}, which the README does not document"
                    );
                }
                let secret_like = ["SECRET", "PASSWORD", "KEYS", "DATABASE_URL", "REDIS_URL"]
                    .iter()
                    .any(|s| var.contains(s));
                if secret_like && !third_party(image) {
                    assert!(
                        env["value"].is_null() && !env["valueFrom"]["secretKeyRef"].is_null(),
                        "{what}: {workload} must take {var} from a Secret, not a literal"
                    );
                }
            }
        }
    }
    for deployment in of_kind(docs, "Deployment") {
        let deployment_name = name(deployment);
        for container in deployment["spec"]["template"]["spec"]["containers"]
            .as_array()
            .expect("containers")
        {
            assert!(
                !container["readinessProbe"].is_null(),
                "{what}: {deployment_name} has no readiness probe"
            );
        }
    }
    // No secret values in the repository.
    assert!(
        of_kind(docs, "Secret").is_empty(),
        "{what}: Secrets are created by the operator, not committed"
    );
    for config in of_kind(docs, "ConfigMap") {
        for key in config["data"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            assert!(
                documented.contains(key),
                "{what}: ConfigMap {} sets {key}, which the README does not document",
                name(config)
            );
        }
    }
    // Each Service targets a named port its pods declare.
    for service in of_kind(docs, "Service") {
        let selected = service["spec"]["selector"]["app.kubernetes.io/name"].clone();
        let pods: Vec<&Value> = of_kind(docs, "Deployment")
            .into_iter()
            .filter(|d| {
                d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == selected
            })
            .collect();
        assert_eq!(
            pods.len(),
            1,
            "{what}: Service {} selects no Deployment",
            name(service)
        );
        let declared: BTreeSet<String> = pods[0]["spec"]["template"]["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        for port in service["spec"]["ports"].as_array().into_iter().flatten() {
            let target = port["targetPort"].as_str().unwrap_or_default();
            assert!(
                declared.contains(target),
                "{what}: Service {} targets {target}, not one of {declared:?}",
                name(service)
            );
        }
    }
    let scaled: BTreeSet<&str> = of_kind(docs, "HorizontalPodAutoscaler")
        .into_iter()
        .map(|h| {
            h["spec"]["scaleTargetRef"]["name"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    for service in ["frontdoor", "tools"] {
        assert!(scaled.contains(service), "{what}: {service} has no HPA");
    }
    let budgeted: BTreeSet<&str> = of_kind(docs, "PodDisruptionBudget")
        .into_iter()
        .map(|p| {
            p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    for service in ["frontdoor", "auth", "tools", "connector"] {
        assert!(
            budgeted.contains(service),
            "{what}: {service} has no PodDisruptionBudget"
        );
    }
    // Closed by default; only the front door takes traffic from anywhere.
    let policies = of_kind(docs, "NetworkPolicy");
    assert!(
        policies.iter().any(|p| name(p) == "default-deny"
            && p["spec"]["podSelector"] == serde_json::json!({})
            && p["spec"]["ingress"].is_null()),
        "{what}: no default-deny NetworkPolicy"
    );
    for policy in policies {
        for rule in policy["spec"]["ingress"].as_array().into_iter().flatten() {
            if rule["from"].is_null() {
                assert_eq!(
                    policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
                    "frontdoor",
                    "{what}: NetworkPolicy {} lets anyone in",
                    name(policy)
                );
            }
        }
    }
}

#[test]
fn the_base_is_production_shaped() {
    let docs = base();
    check(&docs, "base");
    // The gRPC services answer grpc.health.v1; the front door its /ready.
    for deployment in of_kind(&docs, "Deployment") {
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        let probe = &container["readinessProbe"];
        if name(deployment) == "frontdoor" {
            assert_eq!(probe["httpGet"]["path"], "/ready");
        } else {
            assert!(
                !probe["grpc"]["port"].is_null(),
                "{}: grpc readiness",
                name(deployment)
            );
        }
    }
    let job = of_kind(&docs, "Job");
    assert_eq!(job.len(), 1, "one migration Job");
    assert_eq!(
        job[0]["spec"]["template"]["spec"]["containers"][0]["args"][0],
        "migrate"
    );
}

#[test]
fn both_overlays_render_and_pass_the_same_checks() {
    let kubectl = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output();
    if !kubectl.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "kubectl is not installed: the overlays are not rendered here (the base is checked by the other test)"
        );
        return;
    }
    for overlay in OVERLAYS {
        let docs = documents(&render(overlay));
        check(&docs, overlay);
        assert!(
            docs.iter()
                .all(|d| d["kind"] == "Namespace" || d["metadata"]["namespace"] == "portico"),
            "{overlay}: everything in the portico namespace"
        );
        if overlay == "production" {
            let ingress = of_kind(&docs, "Ingress");
            assert_eq!(ingress.len(), 1);
            assert!(
                !ingress[0]["spec"]["tls"].is_null(),
                "the Ingress serves TLS"
            );
            assert_eq!(
                ingress[0]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
                "frontdoor"
            );
        }
    }
}

/// Both overlays rendered into files of a fresh directory under the target
/// dir (removed on drop), for the external validators.
struct Renders {
    dir: PathBuf,
    /// The file names in `dir`: `dev.yaml`, `production.yaml`.
    files: Vec<String>,
    /// How many documents the renders hold, all told.
    documents: usize,
}

impl Renders {
    fn new(test: &str) -> anyhow::Result<Renders> {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("k8s-{test}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut renders = Renders {
            dir,
            files: Vec::new(),
            documents: 0,
        };
        for overlay in OVERLAYS {
            let text = render(overlay);
            renders.documents += documents(&text).len();
            let file = format!("{overlay}.yaml");
            std::fs::write(renders.dir.join(&file), text)
                .with_context(|| format!("writing the render of {overlay}"))?;
            renders.files.push(file);
        }
        Ok(renders)
    }
}

impl Drop for Renders {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The validators' executables, installed (or found up to date) in the
/// `k8s` venv of `tests/python/setup.sh`.
async fn validators() -> anyhow::Result<HashMap<String, PathBuf>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/setup.sh");
    let found = portico_tests::script::setup_with(&script, &["k8s"], &["k8s"])
        .await
        .context("installing the manifest validators (tests/python/setup.sh k8s)")?;
    let bin = found["k8s"]
        .parent()
        .context("the k8s venv's python has no directory")?
        .to_owned();
    Ok(["kubernetes-validate", "checkov"]
        .into_iter()
        .map(|tool| (tool.to_owned(), bin.join(tool)))
        .collect())
}

/// Runs `command` within `timeout`: its exit status, stdout and stderr.
async fn output(
    mut command: tokio::process::Command,
    name: &str,
    timeout: Duration,
) -> anyhow::Result<(std::process::ExitStatus, String, String)> {
    let out = tokio::time::timeout(timeout, command.kill_on_drop(true).output())
        .await
        .with_context(|| format!("{name} took over {} s", timeout.as_secs()))?
        .with_context(|| format!("could not start {name}"))?;
    Ok((
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[tokio::test]
async fn rendered_overlays_match_the_kubernetes_schemas() -> anyhow::Result<()> {
    let tools = validators().await?;
    let renders = Renders::new("schemas")?;
    let mut command = tokio::process::Command::new(&tools["kubernetes-validate"]);
    command
        .current_dir(&renders.dir)
        .args(["--kubernetes-version", KUBERNETES_VERSION, "--strict"])
        .args(&renders.files);
    let (status, stdout, stderr) =
        output(command, "kubernetes-validate", Duration::from_secs(120)).await?;
    // One `INFO <file> passed for resource <kind>/<name> …` line per
    // document; anything else (an ERROR naming the resource and the field, a
    // WARN for a kind it has no schema of) is a finding.
    let passed = stdout
        .lines()
        .filter(|l| l.starts_with("INFO ") && l.contains(" passed for resource "))
        .count();
    let findings: Vec<&str> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| !l.trim().is_empty() && !l.starts_with("INFO "))
        .collect();
    anyhow::ensure!(
        status.success() && findings.is_empty(),
        "the rendered overlays do not match the Kubernetes {KUBERNETES_VERSION} schemas \
         (strict: unknown fields fail) ({status}):\n{}",
        findings.join("\n")
    );
    anyhow::ensure!(
        passed == renders.documents,
        "kubernetes-validate passed {passed} of the {} rendered documents:\n{stdout}",
        renders.documents
    );
    Ok(())
}

#[tokio::test]
async fn rendered_overlays_pass_checkov() -> anyhow::Result<()> {
    let tools = validators().await?;
    let renders = Renders::new("checkov")?;
    let mut command = tokio::process::Command::new(&tools["checkov"]);
    command
        .current_dir(&renders.dir)
        // No look-up of a newer checkov on the network.
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .arg("--config-file")
        .arg(k8s_dir().join(".checkov.yaml"))
        .args(["--framework", "kubernetes", "--quiet", "--compact"])
        .args(["--output", "json"]);
    for file in &renders.files {
        command.args(["--file", file]);
    }
    // One invocation for both overlays: checkov takes seconds to start.
    let (status, stdout, stderr) = output(command, "checkov", Duration::from_secs(300)).await?;
    // Exit code 1 means failed checks, which the report lists; others a crash.
    anyhow::ensure!(
        matches!(status.code(), Some(0 | 1)),
        "checkov failed ({status}): {stdout}\n{stderr}"
    );
    let report: Value = serde_json::from_str(&stdout)
        .with_context(|| format!("checkov printed no JSON report: {stdout}\n{stderr}"))?;
    // One report per framework: an object, or an array of them.
    let reports = match report {
        Value::Array(reports) => reports,
        report => vec![report],
    };
    let mut findings = Vec::new();
    let mut resources = 0;
    for report in &reports {
        let summary = &report["summary"];
        anyhow::ensure!(
            summary["parsing_errors"] == 0,
            "checkov could not parse the renders: {report}"
        );
        resources += summary["resource_count"].as_u64().unwrap_or_default();
        for failed in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let field = |key: &str| failed[key].as_str().unwrap_or("?").to_owned();
            let lines = &failed["file_line_range"];
            findings.push(format!(
                "{} \"{}\" fails for {} ({}, lines {}-{}; keys {})",
                field("check_id"),
                field("check_name"),
                field("resource"),
                field("file_path").trim_start_matches('/'),
                lines[0],
                lines[1],
                failed["check_result"]["evaluated_keys"],
            ));
        }
    }
    anyhow::ensure!(
        findings.is_empty(),
        "checkov: {} failed check(s) in the rendered overlays; fix the manifests, or skip the \
         check in deploy/k8s/.checkov.yaml and the README's Validation section with the reason:\n{}",
        findings.len(),
        findings.join("\n")
    );
    anyhow::ensure!(
        status.success(),
        "checkov exited with {status} and no failed check: {stderr}"
    );
    // Each document is a resource to checkov (each container one more).
    anyhow::ensure!(
        resources >= renders.documents as u64,
        "checkov scanned {resources} resources of the {} rendered documents",
        renders.documents
    );
    Ok(())
}

#[test]
fn every_checkov_skip_is_explained_in_the_readme() {
    let config: Value = serde_yaml::from_str(
        &std::fs::read_to_string(k8s_dir().join(".checkov.yaml"))
            .expect("deploy/k8s/.checkov.yaml"),
    )
    .expect(".checkov.yaml is YAML");
    let readme =
        std::fs::read_to_string(k8s_dir().join("README.md")).expect("deploy/k8s/README.md");
    let validation = readme
        .split("\n## ")
        .find(|section| section.starts_with("Validation"))
        .expect("deploy/k8s/README.md has a Validation section");
    for check in config["skip-check"].as_array().into_iter().flatten() {
        let check = check.as_str().expect("a check id");
        assert!(
            validation
                .lines()
                .any(|line| line.contains(&format!("`{check}`"))),
            "deploy/k8s/.checkov.yaml skips {check}, which the README's Validation section does not explain"
        );
    }
}
