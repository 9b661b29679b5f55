//! Static checks of `docker-compose.yml` and `deploy/Dockerfile`.
//!
//! No Docker engine is needed: the compose file is parsed as YAML and checked
//! against the configuration contract of Portico's services (subcommands,
//! listen ports, environment variable names, health checks, start order,
//! tracing, published ports and the absence of real secrets).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

const COMPOSE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docker-compose.yml");

/// Credentials that are documented local demo values (podio-sim's seeded
/// client and user, and the compose-only Postgres password), never secrets.
const DEMO_CREDENTIALS: &[&str] = &[
    "portico-dev",
    "portico-dev-secret",
    "demo@example.com",
    "demo-password",
    "portico",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Grpc,
    Http(&'static str),
}

struct PorticoService {
    /// Compose service name (also its DNS name on the compose network).
    name: &'static str,
    /// `portico <subcommand>`.
    subcommand: &'static str,
    /// Variable holding the listen address, and the default port.
    listen_var: &'static str,
    default_port: u16,
    health: Health,
}

const PORTICO_SERVICES: &[PorticoService] = &[
    PorticoService {
        name: "frontdoor",
        subcommand: "frontdoor",
        listen_var: "PORTICO_FRONTDOOR_LISTEN",
        default_port: 8080,
        health: Health::Http("/ready"),
    },
    PorticoService {
        name: "auth",
        subcommand: "auth",
        listen_var: "PORTICO_AUTH_LISTEN",
        default_port: 50051,
        health: Health::Grpc,
    },
    PorticoService {
        name: "tools",
        subcommand: "tools",
        listen_var: "PORTICO_TOOLS_LISTEN",
        default_port: 50052,
        health: Health::Grpc,
    },
    PorticoService {
        name: "connector",
        subcommand: "connector",
        listen_var: "PORTICO_CONNECTOR_LISTEN",
        default_port: 50053,
        health: Health::Grpc,
    },
    PorticoService {
        name: "podio-sim",
        subcommand: "podio-sim",
        listen_var: "PODIO_SIM_LISTEN",
        default_port: 8090,
        health: Health::Http("/health"),
    },
];

/// Where each dependency URL must point: (variable, compose service).
const URL_TARGETS: &[(&str, &str)] = &[
    ("PORTICO_AUTH_URL", "auth"),
    ("PORTICO_TOOLS_URL", "tools"),
    ("PORTICO_CONNECTOR_URL", "connector"),
    ("PORTICO_PODIO_API_URL", "podio-sim"),
    ("DATABASE_URL", "postgres"),
    ("REDIS_URL", "redis"),
];

/// Ports of the third-party services, which have no listen variable.
const THIRD_PARTY_PORTS: &[(&str, &[u16])] = &[
    ("postgres", &[5432]),
    ("redis", &[6379]),
    // Jaeger all-in-one: OTLP gRPC, OTLP HTTP, UI.
    ("jaeger", &[4317, 4318, 16686]),
    // OpenTelemetry collector, if one is used instead of or besides Jaeger.
    ("otel-collector", &[4317, 4318]),
    ("prometheus", &[9090]),
];

/// The only host ports compose may publish: (service, container port).
const PUBLISHABLE: &[(&str, u16)] = &[
    ("frontdoor", 8080),
    ("podio-sim", 8090),
    ("jaeger", 16686),
    ("prometheus", 9090),
];

// ------------------------------------------------------------------ helpers --

fn compose_dir() -> PathBuf {
    Path::new(COMPOSE_PATH)
        .parent()
        .expect("docker-compose.yml has a parent directory")
        .to_path_buf()
}

fn load_compose() -> Value {
    let text = std::fs::read_to_string(COMPOSE_PATH)
        .unwrap_or_else(|e| panic!("cannot read {COMPOSE_PATH}: {e}"));
    serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("{COMPOSE_PATH} is not valid YAML for compose: {e}"))
}

fn services(doc: &Value) -> &serde_json::Map<String, Value> {
    doc.get("services")
        .and_then(Value::as_object)
        .expect("docker-compose.yml has a `services:` mapping")
}

fn service<'a>(doc: &'a Value, name: &str) -> &'a Value {
    services(doc)
        .get(name)
        .unwrap_or_else(|| panic!("docker-compose.yml has no service `{name}`"))
}

fn scalar_to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A service's environment, whether written as a mapping or as `KEY=VALUE` list.
fn environment(svc: &Value) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    match svc.get("environment") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                env.insert(k.clone(), scalar_to_string(v));
            }
        }
        Some(Value::Array(items)) => {
            for item in items {
                let s = scalar_to_string(item);
                let (k, v) = s.split_once('=').unwrap_or((s.as_str(), ""));
                env.insert(k.to_string(), v.to_string());
            }
        }
        Some(other) => panic!("`environment` must be a mapping or a list, found {other}"),
    }
    env
}

/// `depends_on` as (service, condition); the short list form has no condition.
fn depends_on(svc: &Value) -> Vec<(String, Option<String>)> {
    match svc.get("depends_on") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(|i| (scalar_to_string(i), None)).collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let cond = v.get("condition").map(scalar_to_string);
                (k.clone(), cond)
            })
            .collect(),
        Some(other) => panic!("`depends_on` must be a mapping or a list, found {other}"),
    }
}

/// The healthcheck test as a list of words, or None when absent or disabled.
fn healthcheck(svc: &Value) -> Option<Vec<String>> {
    let hc = svc.get("healthcheck")?;
    if hc.get("disable").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    match hc.get("test")? {
        Value::Array(items) => {
            let words: Vec<String> = items.iter().map(scalar_to_string).collect();
            if words.first().map(String::as_str) == Some("NONE") || words.is_empty() {
                None
            } else {
                Some(words)
            }
        }
        Value::String(s) if !s.trim().is_empty() => Some(vec!["CMD-SHELL".to_string(), s.clone()]),
        _ => None,
    }
}

fn command(svc: &Value) -> Vec<String> {
    match svc.get("command") {
        Some(Value::Array(items)) => items.iter().map(scalar_to_string).collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// The parts of a URL these checks need (no dependency on a URL crate).
#[derive(Debug)]
struct SimpleUrl {
    scheme: String,
    password: Option<String>,
    host: String,
    port: Option<u16>,
    path: String,
}

fn parse_url(s: &str) -> Option<SimpleUrl> {
    let (scheme, rest) = s.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let password = userinfo
        .and_then(|u| u.split_once(':'))
        .map(|(_, p)| p.to_string());
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => (h.to_string(), Some(p.parse::<u16>().ok()?)),
        _ => (hostport.to_string(), None),
    };
    if host.is_empty() {
        return None;
    }
    Some(SimpleUrl {
        scheme: scheme.to_ascii_lowercase(),
        password,
        host: host.to_ascii_lowercase(),
        port,
        path: path.to_string(),
    })
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "grpc" => Some(80),
        "https" | "grpcs" => Some(443),
        "postgres" | "postgresql" => Some(5432),
        "redis" => Some(6379),
        "rediss" => Some(6380),
        _ => None,
    }
}

fn listen_port(doc: &Value, spec: &PorticoService) -> u16 {
    let env = environment(service(doc, spec.name));
    match env.get(spec.listen_var) {
        None => spec.default_port,
        Some(addr) => addr
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "service `{}`: {}={addr:?} is not a HOST:PORT listen address",
                    spec.name, spec.listen_var
                )
            }),
    }
}

/// Ports each compose service listens on inside the network.
fn service_ports(doc: &Value) -> BTreeMap<String, Vec<u16>> {
    let mut ports = BTreeMap::new();
    for spec in PORTICO_SERVICES {
        ports.insert(spec.name.to_string(), vec![listen_port(doc, spec)]);
    }
    for (name, p) in THIRD_PARTY_PORTS {
        ports.insert((*name).to_string(), p.to_vec());
    }
    ports
}

fn portico_spec(name: &str) -> &'static PorticoService {
    PORTICO_SERVICES
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no spec for Portico service `{name}`"))
}

/// The environment variables `portico <subcommand> --help` lists (the
/// service's own and the common ones).
fn help_variables(subcommand: &str) -> BTreeSet<String> {
    let binary = portico_tests::processes::portico_binary().expect("the portico binary");
    let output = std::process::Command::new(binary)
        .args([subcommand, "--help"])
        .output()
        .expect("portico runs");
    assert!(
        output.status.success(),
        "`portico {subcommand} --help` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let variables: BTreeSet<String> = text
        .lines()
        .skip_while(|line| !line.starts_with("Environment"))
        .skip(1)
        .map_while(|line| line.strip_prefix("  "))
        .map(|name| name.trim().to_owned())
        .collect();
    assert!(
        !variables.is_empty(),
        "`portico {subcommand} --help` lists no environment:\n{text}"
    );
    variables
}

fn is_config_var(name: &str) -> bool {
    name.starts_with("PORTICO_")
        || name.starts_with("PODIO_SIM_")
        || name == "DATABASE_URL"
        || name == "REDIS_URL"
}

// -------------------------------------------------------------------- tests --

#[test]
fn compose_file_parses_and_has_every_service() {
    let doc = load_compose();
    let names: BTreeSet<&str> = services(&doc).keys().map(String::as_str).collect();
    for required in [
        "postgres",
        "redis",
        "frontdoor",
        "auth",
        "tools",
        "connector",
        "podio-sim",
    ] {
        assert!(
            names.contains(required),
            "docker-compose.yml must define service `{required}`; it defines {names:?}"
        );
    }
    assert!(
        names.contains("jaeger") || names.contains("otel-collector"),
        "docker-compose.yml must run an OpenTelemetry collector / trace viewer (`jaeger` or `otel-collector`); it defines {names:?}"
    );
}

#[test]
fn dockerfile_builds_the_portico_binary_and_runs_it() {
    let path = compose_dir().join("deploy/Dockerfile");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let entrypoint = text
        .lines()
        .map(str::trim)
        .rfind(|l| l.to_ascii_uppercase().starts_with("ENTRYPOINT"))
        .unwrap_or_else(|| panic!("{} has no ENTRYPOINT instruction", path.display()));
    let compact: String = entrypoint.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        compact.contains("[\"portico\"") || compact.contains("[\"/usr/local/bin/portico\""),
        "{}: ENTRYPOINT must run the `portico` binary in exec form, found `{entrypoint}`",
        path.display()
    );
    assert!(
        text.contains("--bin portico") && text.contains("--locked") && text.contains("--release"),
        "{}: the builder stage must run `cargo build --release --locked --bin portico`",
        path.display()
    );
    assert!(
        text.lines()
            .any(|l| l.trim().to_ascii_uppercase().starts_with("USER ")),
        "{}: the runtime image must switch to a non-root USER",
        path.display()
    );
    let exposed: BTreeSet<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.to_ascii_uppercase().starts_with("EXPOSE"))
        .flat_map(|l| {
            l.split_whitespace()
                .skip(1)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    for port in ["8080", "50051", "50052", "50053", "8090"] {
        assert!(
            exposed.contains(port),
            "{}: EXPOSE must list port {port}; it lists {exposed:?}",
            path.display()
        );
    }
}

#[test]
fn portico_services_build_from_the_dockerfile_and_run_their_subcommand() {
    let doc = load_compose();
    for spec in PORTICO_SERVICES {
        let svc = service(&doc, spec.name);
        let build = svc
            .get("build")
            .unwrap_or_else(|| panic!("service `{}` must have a `build:` section", spec.name));
        let (context, dockerfile) = match build {
            Value::String(ctx) => (ctx.clone(), "Dockerfile".to_string()),
            Value::Object(_) => (
                build
                    .get("context")
                    .map(scalar_to_string)
                    .unwrap_or_else(|| ".".into()),
                build
                    .get("dockerfile")
                    .map(scalar_to_string)
                    .unwrap_or_else(|| "Dockerfile".into()),
            ),
            other => panic!("service `{}`: unexpected `build:` value {other}", spec.name),
        };
        let dockerfile_path = compose_dir().join(&context).join(&dockerfile);
        assert!(
            dockerfile_path.canonicalize().ok()
                == compose_dir().join("deploy/Dockerfile").canonicalize().ok()
                && dockerfile_path.is_file(),
            "service `{}` must build from deploy/Dockerfile with the repository root as context; it builds {} (context `{context}`)",
            spec.name,
            dockerfile_path.display()
        );
        let image = svc.get("image").map(scalar_to_string).unwrap_or_default();
        assert!(
            image.starts_with("portico"),
            "service `{}` should tag its image `portico:<tag>` so all services share one build; found image {image:?}",
            spec.name
        );
        // The subcommand exists (its --help answers and lists its environment).
        help_variables(spec.subcommand);
        let cmd = command(svc);
        assert_eq!(
            cmd,
            vec![spec.subcommand.to_string()],
            "service `{}` must run `portico {}` (command: [\"{}\"])",
            spec.name,
            spec.subcommand,
            spec.subcommand
        );
        let restart = svc.get("restart").map(scalar_to_string).unwrap_or_default();
        assert!(
            restart == "unless-stopped" || restart == "always",
            "service `{}` should restart on failure (restart: unless-stopped); found {restart:?}",
            spec.name
        );
    }
}

#[test]
fn portico_services_have_healthchecks_on_their_listen_port() {
    let doc = load_compose();
    for spec in PORTICO_SERVICES {
        let port = listen_port(&doc, spec);
        let test = healthcheck(service(&doc, spec.name))
            .unwrap_or_else(|| panic!("service `{}` must have an enabled healthcheck", spec.name));
        // The image has no shell or curl: only the exec form of `portico healthcheck` works.
        assert!(
            test.len() == 5 && test[0] == "CMD" && test[1] == "portico" && test[2] == "healthcheck",
            "service `{}`: healthcheck must be [\"CMD\", \"portico\", \"healthcheck\", \"--grpc|--http\", URL]; found {test:?}",
            spec.name
        );
        let url = parse_url(&test[4]).unwrap_or_else(|| {
            panic!(
                "service `{}`: healthcheck URL {:?} is not a URL",
                spec.name, test[4]
            )
        });
        assert!(
            url.host == "127.0.0.1" || url.host == "localhost",
            "service `{}`: healthcheck must probe the container itself (127.0.0.1), found host {:?}",
            spec.name,
            url.host
        );
        assert_eq!(
            url.port.or_else(|| default_port(&url.scheme)),
            Some(port),
            "service `{}` listens on {port}, but its healthcheck probes {:?}",
            spec.name,
            test[4]
        );
        match spec.health {
            Health::Grpc => assert_eq!(
                test[3], "--grpc",
                "service `{}` is a gRPC service: its healthcheck must use --grpc (grpc.health.v1)",
                spec.name
            ),
            Health::Http(path) => {
                assert_eq!(
                    test[3], "--http",
                    "service `{}` is an HTTP service: its healthcheck must use --http",
                    spec.name
                );
                assert_eq!(
                    url.path, path,
                    "service `{}`: the HTTP healthcheck must probe {path}",
                    spec.name
                );
            }
        }
    }
}

#[test]
fn postgres_and_redis_have_healthchecks() {
    let doc = load_compose();
    for name in ["postgres", "redis"] {
        let test = healthcheck(service(&doc, name))
            .unwrap_or_else(|| panic!("service `{name}` must have an enabled healthcheck"));
        let joined = test.join(" ");
        let expected = if name == "postgres" {
            "pg_isready"
        } else {
            "redis-cli"
        };
        assert!(
            joined.contains(expected),
            "service `{name}`: healthcheck should use {expected}, found {test:?}"
        );
    }
    let pg = service(&doc, "postgres");
    let volumes = pg
        .get("volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(
        volumes
            .iter()
            .map(scalar_to_string)
            .any(|v| v.ends_with(":/var/lib/postgresql/data")
                && !v.starts_with('.')
                && !v.starts_with('/')),
        "service `postgres` must keep its data in a named volume mounted at /var/lib/postgresql/data; found {volumes:?}"
    );
}

#[test]
fn depends_on_names_existing_healthy_services() {
    let doc = load_compose();
    let all = services(&doc);
    for (name, svc) in all {
        for (dep, condition) in depends_on(svc) {
            let target = all.get(&dep).unwrap_or_else(|| {
                panic!(
                    "service `{name}` depends on `{dep}`, which docker-compose.yml does not define"
                )
            });
            assert!(
                healthcheck(target).is_some(),
                "service `{name}` depends on `{dep}`, which has no healthcheck, so its start order cannot wait for it to be ready"
            );
            assert_eq!(
                condition.as_deref(),
                Some("service_healthy"),
                "service `{name}`: depends_on `{dep}` must use `condition: service_healthy`"
            );
        }
    }
}

#[test]
fn environment_variables_are_documented_and_belong_to_their_service() {
    let doc = load_compose();
    let read: BTreeMap<&str, BTreeSet<String>> = PORTICO_SERVICES
        .iter()
        .map(|spec| (spec.name, help_variables(spec.subcommand)))
        .collect();
    let documented: BTreeSet<&String> = read.values().flatten().collect();
    for (name, svc) in services(&doc) {
        let env = environment(svc);
        for var in env.keys().filter(|v| is_config_var(v)) {
            assert!(
                documented.contains(var),
                "service `{name}` sets {var}, which no `portico <service> --help` lists (typo?)"
            );
        }
        if let Some(spec) = PORTICO_SERVICES.iter().find(|s| s.name == name) {
            let reads = &read[spec.name];
            for var in env.keys() {
                let foreign = is_config_var(var) || var.starts_with("OTEL_");
                assert!(
                    reads.contains(var) || !foreign,
                    "service `{name}` sets {var}, but `portico {} --help` does not list it; it lists {reads:?}",
                    spec.subcommand
                );
            }
        } else if let Some(var) = env.keys().find(|v| is_config_var(v)) {
            panic!("service `{name}` is not a Portico service but sets Portico variable {var}");
        }
    }
    // And the README documents every variable any service reads.
    let readme = portico_tests::readme_variables();
    for (service, variables) in &read {
        for var in variables {
            assert!(
                readme.contains(var),
                "`portico {service} --help` lists {var}, which the README's configuration table does not document"
            );
        }
    }
    let auth = environment(service(&doc, "auth"));
    assert!(
        auth.contains_key("DATABASE_URL"),
        "service `auth` requires DATABASE_URL"
    );
    let frontdoor = environment(service(&doc, "frontdoor"));
    assert!(
        frontdoor.contains_key("REDIS_URL"),
        "service `frontdoor` requires REDIS_URL"
    );
    let format = frontdoor.get("PORTICO_LOG_FORMAT").map(String::as_str);
    assert!(
        matches!(format, None | Some("json") | Some("text")),
        "PORTICO_LOG_FORMAT must be `json` or `text`, found {format:?}"
    );
}

#[test]
fn urls_point_at_services_by_name_and_listen_port() {
    let doc = load_compose();
    let ports = service_ports(&doc);
    let all = services(&doc);
    let mut checked_targets = 0;
    for (name, svc) in all {
        let deps: BTreeSet<String> = depends_on(svc).into_iter().map(|(d, _)| d).collect();
        for (var, value) in environment(svc) {
            // A variable holds one URL or a comma-separated list of them.
            for item in value
                .split(',')
                .map(str::trim)
                .filter(|s| s.contains("://"))
            {
                let url = parse_url(item).unwrap_or_else(|| {
                    panic!("service `{name}`: {var}={item:?} is not a valid URL")
                });
                if let Some(&(_, target)) = URL_TARGETS.iter().find(|(v, _)| *v == var) {
                    assert_eq!(
                        url.host, target,
                        "service `{name}`: {var} must point at the `{target}` service by its DNS name, found {item:?}"
                    );
                    checked_targets += 1;
                }
                if url.host == "localhost" || url.host == "127.0.0.1" || url.host == "0.0.0.0" {
                    // Browser-facing URLs: the user's browser reaches
                    // them through the host's published ports.
                    assert!(
                        var == "PORTICO_PUBLIC_URL"
                            || var == "PORTICO_ALLOWED_ORIGINS"
                            || var == "PORTICO_PODIO_AUTHORIZE_URL",
                        "service `{name}`: {var}={item:?} points at the container itself; use the target service's name"
                    );
                    continue;
                }
                let Some(target_svc) = all.get(&url.host) else {
                    continue; // an external host, such as https://api.podio.com
                };
                let port = url.port.or_else(|| default_port(&url.scheme));
                let listening = ports.get(&url.host).cloned().unwrap_or_default();
                assert!(
                    port.is_some_and(|p| listening.contains(&p)),
                    "service `{name}`: {var}={item:?} uses port {port:?}, but `{}` listens on {listening:?}",
                    url.host
                );
                if healthcheck(target_svc).is_some() {
                    assert!(
                        deps.contains(&url.host),
                        "service `{name}` calls `{}` ({var}) and should list it in depends_on with condition service_healthy",
                        url.host
                    );
                }
            }
        }
    }
    assert!(
        checked_targets >= URL_TARGETS.len(),
        "expected every dependency URL {URL_TARGETS:?} to be set somewhere, checked {checked_targets}"
    );
    let tools = environment(service(&doc, "tools"));
    for var in ["PORTICO_AUTH_URL", "PORTICO_CONNECTOR_URL"] {
        assert!(
            tools.contains_key(var),
            "service `tools` must set {var} (its default is 127.0.0.1)"
        );
    }
    let frontdoor = environment(service(&doc, "frontdoor"));
    for var in ["PORTICO_AUTH_URL", "PORTICO_TOOLS_URL"] {
        assert!(
            frontdoor.contains_key(var),
            "service `frontdoor` must set {var} (its default is 127.0.0.1)"
        );
    }
    let connector = environment(service(&doc, "connector"));
    assert!(
        connector.contains_key("PORTICO_PODIO_API_URL"),
        "service `connector` must set PORTICO_PODIO_API_URL (http://podio-sim:8090 in compose)"
    );
}

#[test]
fn every_portico_service_exports_traces_over_otlp() {
    let doc = load_compose();
    let all = services(&doc);
    for spec in PORTICO_SERVICES {
        let env = environment(service(&doc, spec.name));
        let endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_else(|| {
            panic!("service `{}` must set OTEL_EXPORTER_OTLP_ENDPOINT so its spans reach the collector", spec.name)
        });
        let url = parse_url(endpoint).unwrap_or_else(|| {
            panic!(
                "service `{}`: OTEL_EXPORTER_OTLP_ENDPOINT={endpoint:?} is not a URL",
                spec.name
            )
        });
        assert!(
            all.contains_key(&url.host),
            "service `{}`: OTEL_EXPORTER_OTLP_ENDPOINT={endpoint:?} must name a collector service defined in compose",
            spec.name
        );
        assert!(
            matches!(url.port, Some(4317) | Some(4318)),
            "service `{}`: OTEL_EXPORTER_OTLP_ENDPOINT={endpoint:?} must use an OTLP port (4317 gRPC or 4318 HTTP)",
            spec.name
        );
        let service_name = env
            .get("OTEL_SERVICE_NAME")
            .map(String::as_str)
            .unwrap_or_default();
        assert!(
            !service_name.is_empty(),
            "service `{}` should set OTEL_SERVICE_NAME so its spans are told apart in the trace viewer",
            spec.name
        );
    }
}

#[test]
fn prometheus_scrapes_every_portico_service_on_its_metrics_port() {
    let doc = load_compose();
    let prometheus = service(&doc, "prometheus");
    let mounts: Vec<String> = prometheus
        .get("volumes")
        .and_then(Value::as_array)
        .map(|v| v.iter().map(scalar_to_string).collect())
        .unwrap_or_default();
    let config = mounts
        .iter()
        .find_map(|m| {
            let (host, container) = m.split_once(':')?;
            container
                .starts_with("/etc/prometheus/prometheus.yml")
                .then(|| compose_dir().join(host))
        })
        .expect("prometheus mounts its configuration at /etc/prometheus/prometheus.yml");
    let text = std::fs::read_to_string(&config)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", config.display()));
    let config: Value = serde_yaml::from_str(&text).expect("prometheus.yml is YAML");
    let targets: BTreeSet<String> = config["scrape_configs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|job| {
            job["static_configs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|sc| sc["targets"].as_array().cloned().unwrap_or_default())
        .map(|t| scalar_to_string(&t))
        .collect();
    for spec in PORTICO_SERVICES.iter().filter(|s| s.name != "podio-sim") {
        let env = environment(service(&doc, spec.name));
        let listen = env
            .get("PORTICO_METRICS_LISTEN")
            .unwrap_or_else(|| panic!("service `{}` must set PORTICO_METRICS_LISTEN", spec.name));
        let port = listen
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("`{}`: PORTICO_METRICS_LISTEN={listen:?}", spec.name));
        let target = format!("{}:{port}", spec.name);
        assert!(
            targets.contains(&target),
            "prometheus.yml scrapes {targets:?}, not {target}"
        );
    }
}

#[test]
fn only_the_public_surfaces_are_published() {
    let doc = load_compose();
    for (name, svc) in services(&doc) {
        let Some(ports) = svc.get("ports").and_then(Value::as_array) else {
            continue;
        };
        for p in ports {
            let container_port: Option<u16> = match p {
                Value::Object(m) => m
                    .get("target")
                    .and_then(|t| scalar_to_string(t).parse().ok()),
                other => scalar_to_string(other)
                    .split('/')
                    .next()
                    .and_then(|s| s.rsplit(':').next())
                    .and_then(|s| s.parse().ok()),
            };
            let container_port = container_port
                .unwrap_or_else(|| panic!("service `{name}`: cannot read published port {p}"));
            assert!(
                PUBLISHABLE.contains(&(name.as_str(), container_port)),
                "service `{name}` publishes port {container_port} to the host; only {PUBLISHABLE:?} may be published (gRPC services, Postgres and Redis stay internal)"
            );
        }
    }
    let frontdoor_published = service(&doc, "frontdoor")
        .get("ports")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    assert!(
        frontdoor_published,
        "service `frontdoor` must publish port 8080 (the MCP endpoint)"
    );
}

/// A value that looks like a real credential: a known token prefix, a key
/// block, or a long random-looking string.
fn looks_like_secret(value: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "sk-",
        "sk_live_",
        "rk_live_",
        "ghp_",
        "gho_",
        "ghs_",
        "github_pat_",
        "xoxb-",
        "xoxp-",
        "akia",
        "asia",
        "aiza",
        "glpat-",
        "pt_live_",
    ];
    let lower = value.to_ascii_lowercase();
    if value.contains("-----BEGIN") || PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    // Long tokens with letters and digits and no URL/path/address punctuation.
    value.split([',', ' ', ';']).any(|word| {
        word.len() >= 24
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_+/=".contains(c))
            && !word.contains('/')
            && word.chars().any(|c| c.is_ascii_digit())
            && word.chars().any(|c| c.is_ascii_alphabetic())
    })
}

#[test]
fn no_real_secrets_in_compose() {
    let doc = load_compose();
    for (name, svc) in services(&doc) {
        for (var, value) in environment(svc) {
            let upper = var.to_ascii_uppercase();
            let is_interpolated = value.starts_with("${") && value.ends_with('}');
            let holds_credential = ["SECRET", "PASSWORD", "API_KEY", "PRIVATE_KEY"]
                .iter()
                .any(|k| upper.contains(k))
                || ["_TOKEN", "_CLIENT_ID", "_USERNAME"]
                    .iter()
                    .any(|k| upper.ends_with(k));
            if holds_credential {
                assert!(
                    is_interpolated || DEMO_CREDENTIALS.contains(&value.as_str()),
                    "service `{name}`: {var} holds a credential that is not one of the documented demo values {DEMO_CREDENTIALS:?}; put real secrets in an uncommitted override or `${{VAR}}` interpolation"
                );
            }
            if let Some(password) = parse_url(&value).and_then(|u| u.password) {
                assert!(
                    DEMO_CREDENTIALS.contains(&password.as_str()) || password.starts_with("${"),
                    "service `{name}`: {var} embeds a password that is not a documented demo value"
                );
            }
            assert!(
                !looks_like_secret(&value),
                "service `{name}`: {var}={value:?} looks like a real secret; compose must only hold demo credentials"
            );
        }
    }
}

#[test]
fn url_parser_handles_the_forms_compose_uses() {
    let u = parse_url("postgres://portico:portico@postgres:5432/portico").expect("parses");
    assert_eq!(
        (u.scheme.as_str(), u.host.as_str(), u.port),
        ("postgres", "postgres", Some(5432))
    );
    assert_eq!(u.password.as_deref(), Some("portico"));
    assert_eq!(u.path, "/portico");
    let u = parse_url("http://auth:50051").expect("parses");
    assert_eq!(
        (u.host.as_str(), u.port, u.path.as_str()),
        ("auth", Some(50051), "")
    );
    let u = parse_url("https://api.podio.com").expect("parses");
    assert_eq!((u.host.as_str(), u.port), ("api.podio.com", None));
    assert_eq!(default_port(&u.scheme), Some(443));
    assert!(parse_url("portico:").is_none());
    assert!(looks_like_secret(
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    ));
    assert!(looks_like_secret("Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2Q"));
    assert!(!looks_like_secret("http://podio-sim:8090"));
    assert!(!looks_like_secret("portico-dev-secret"));
    assert!(portico_spec("auth").default_port == 50051);
}
