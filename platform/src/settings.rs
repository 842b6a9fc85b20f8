//! Every environment variable a binary reads, listed in one place per
//! binary with its default and the rule its value must meet.
//!
//! Each binary's `main` starts with [`load`] over its lists: `--help` prints
//! them, and a value that breaks its rule stops the process before anything
//! starts, naming the variable (`REQUEST_TIMEOUT_SECONDS: must be a whole
//! number, got "abc"`), instead of a default silently taken or a failure
//! minutes later. The code that uses a value still reads it where it is
//! used ([`crate::config::var`]); this is the one place that says what may
//! be set. The lists shared by every binary are here; each crate keeps its
//! own beside its `main` (`gateway::settings::GATEWAY`, …). README's
//! configuration table is checked against all of them by a test
//! (`stack/tests/settings.rs`).

/// One environment variable.
#[derive(Clone, Copy, Debug)]
pub struct Var {
    pub name: &'static str,
    /// As `--help` shows it.
    pub default: &'static str,
    pub about: &'static str,
    /// The rule a value must meet; the error says which.
    pub check: fn(&str) -> Result<(), String>,
    /// A secret's value is never printed, not even in an error.
    pub secret: bool,
}

impl Var {
    pub const fn new(
        name: &'static str,
        default: &'static str,
        check: fn(&str) -> Result<(), String>,
        about: &'static str,
    ) -> Self {
        Self {
            name,
            default,
            about,
            check,
            secret: false,
        }
    }

    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
}

/// Handles `--help` (prints the lists and exits 0) and checks every
/// variable that is set against its rule: a bad one is printed, naming the
/// variable, and the process exits 2 (a usage error) before it opens
/// anything. The first start-up step of every binary.
pub fn load(binary: &str, about: &str, lists: &[&[Var]]) {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        print!("{}", help(binary, about, lists));
        std::process::exit(0);
    }
    if let Err(e) = check(lists, crate::config::var) {
        eprintln!("{binary}: {e}\n(`{binary} --help` lists every variable)");
        std::process::exit(2);
    }
}

/// The errors of every variable set against its rule, one line each.
pub fn check(lists: &[&[Var]], get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let problems: Vec<String> = lists
        .iter()
        .flat_map(|l| l.iter())
        .filter_map(|v| {
            let value = get(v.name)?;
            let rule = (v.check)(value.trim()).err()?;
            Some(if v.secret {
                format!("{}: {rule}", v.name)
            } else {
                format!("{}: {rule}, got {value:?}", v.name)
            })
        })
        .collect();
    anyhow::ensure!(
        problems.is_empty(),
        "bad configuration:\n  {}",
        problems.join("\n  ")
    );
    Ok(())
}

/// What `--help` prints: usage, then every variable with its default.
pub fn help(binary: &str, about: &str, lists: &[&[Var]]) -> String {
    let mut out = format!("{binary}: {about}\n\nEnvironment (default in brackets):\n");
    for v in lists.iter().flat_map(|l| l.iter()) {
        let default = if v.default.is_empty() {
            "unset"
        } else {
            v.default
        };
        out.push_str(&format!(
            "  {:<30} [{default}]\n      {}\n",
            v.name, v.about
        ));
    }
    out
}

/// Every name in the lists, each once, in order.
pub fn names(lists: &[&[Var]]) -> Vec<&'static str> {
    let mut seen = Vec::new();
    for v in lists.iter().flat_map(|l| l.iter()) {
        if !seen.contains(&v.name) {
            seen.push(v.name);
        }
    }
    seen
}

// ---- Rules

pub fn any(_: &str) -> Result<(), String> {
    Ok(())
}

/// A whole number from `MIN` to `MAX`.
pub fn number<const MIN: u64, const MAX: u64>(v: &str) -> Result<(), String> {
    match v.parse::<u64>() {
        Ok(n) if (MIN..=MAX).contains(&n) => Ok(()),
        _ => Err(format!("must be a whole number from {MIN} to {MAX}")),
    }
}

/// `host:port` to listen on.
pub fn listen_addr(v: &str) -> Result<(), String> {
    let (host, port) = v
        .rsplit_once(':')
        .ok_or("must be host:port, e.g. 0.0.0.0:8080")?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err("must be host:port, e.g. 0.0.0.0:8080".into());
    }
    Ok(())
}

/// An `http://` or `https://` URL with a host.
pub fn http_url(v: &str) -> Result<(), String> {
    match v.parse::<tonic::codegen::http::Uri>() {
        Ok(u) if matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some() => Ok(()),
        _ => Err("must be an http:// or https:// URL, e.g. http://account-svc:50051".into()),
    }
}

pub fn database_url(v: &str) -> Result<(), String> {
    if v.starts_with("postgres://") || v.starts_with("postgresql://") || v.starts_with("sqlite:") {
        Ok(())
    } else {
        Err("must start with postgres:// or sqlite:".into())
    }
}

pub fn redis_url(v: &str) -> Result<(), String> {
    if v.starts_with("redis://") || v.starts_with("rediss://") || v.starts_with("redis+unix://") {
        Ok(())
    } else {
        Err("must start with redis:// or rediss://".into())
    }
}

/// Lowercase letters, digits, `_` (a schema name's part) or `-` as `DASH`
/// allows.
fn name_chars<const DASH: bool>(v: &str) -> Result<(), String> {
    if v.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || (DASH && b == b'-'))
    {
        Ok(())
    } else if DASH {
        Err("may hold only a-z, 0-9, _ and -".into())
    } else {
        Err("may hold only a-z, 0-9 and _".into())
    }
}

pub fn schema_prefix(v: &str) -> Result<(), String> {
    name_chars::<false>(v)
}

pub fn identity_name(v: &str) -> Result<(), String> {
    name_chars::<true>(v)
}

/// CIDR blocks, separated by commas or spaces.
pub fn cidrs(v: &str) -> Result<(), String> {
    for block in v.split([',', ' ']).filter(|s| !s.is_empty()) {
        crate::net::Cidr::parse(block).map_err(|e| format!("{block:?}: {e}"))?;
    }
    Ok(())
}

pub fn log_format(v: &str) -> Result<(), String> {
    if v.eq_ignore_ascii_case("json") || v.eq_ignore_ascii_case("text") {
        Ok(())
    } else {
        Err("must be json or text".into())
    }
}

// ---- The lists every binary shares

/// Where state is kept.
pub const STORAGE: &[Var] = &[
    Var::new(
        "DATA_DIR",
        "./data",
        any,
        "Embedded SQLite files (one per service).",
    ),
    Var::new(
        "DATABASE_URL",
        "",
        database_url,
        "postgres://… (one schema per service) or sqlite:…; unset = embedded SQLite under DATA_DIR.",
    ),
    Var::new(
        "DATABASE_SCHEMA_PREFIX",
        "",
        schema_prefix,
        "Prepended to each schema name on PostgreSQL (and to Redis keys).",
    ),
    Var::new(
        "REDIS_URL",
        "",
        redis_url,
        "Shared cache and rate-limit budgets; unset = in-process (one node).",
    ),
];

/// Who this process is when it calls a service.
pub const CALLER: &[Var] = &[
    Var::new(
        "SERVICE_KEY_FILE",
        "",
        any,
        "This caller's Ed25519 key (base64 PKCS#8; `stack keygen NAME ROLE`).",
    ),
    Var::new(
        "SERVICE_IDENTITY",
        "the binary's name",
        identity_name,
        "The name this caller signs as (its line in the trust file).",
    ),
];

/// Whom a service admits.
pub const TRUST: &[Var] = &[Var::new(
    "SERVICE_TRUST_FILE",
    "",
    any,
    "The internal callers admitted, `name role public-key` per line.",
)];

/// Logs, metrics, traces and shutdown.
pub const OPERATIONS: &[Var] = &[
    Var::new("LOG_FORMAT", "text", log_format, "json for JSON log lines."),
    Var::new("RUST_LOG", "info", any, "Log filter."),
    Var::new(
        "METRICS_ADDR",
        "",
        listen_addr,
        "A port of its own for Prometheus /metrics, e.g. 0.0.0.0:9090.",
    ),
    Var::new(
        "SHUTDOWN_DRAIN_SECONDS",
        "0",
        number::<0, 3600>,
        "After SIGTERM, keep serving this long while reporting not-ready.",
    ),
    Var::new(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "",
        http_url,
        "Export traces over OTLP/gRPC; unset = no OpenTelemetry.",
    ),
    Var::new(
        "OTEL_SERVICE_NAME",
        "the binary's name",
        any,
        "Trace resource name.",
    ),
    Var::new(
        "OTEL_RESOURCE_ATTRIBUTES",
        "",
        any,
        "Trace resource attributes, key=value,…",
    ),
    Var::new(
        "OTEL_TRACES_SAMPLER",
        "parentbased_always_on",
        any,
        "The standard sampler.",
    ),
    Var::new(
        "OTEL_TRACES_SAMPLER_ARG",
        "",
        any,
        "The sampler's argument, e.g. 0.1.",
    ),
];

/// Where a service finds a peer: `{NAME}_SVC_URL`.
pub const fn peer_url(name: &'static str, default: &'static str) -> Var {
    Var::new(
        name,
        default,
        http_url,
        "Where this process finds that service.",
    )
}

pub const ACCOUNT_SVC_URL: Var = peer_url("ACCOUNT_SVC_URL", "http://127.0.0.1:50051");
pub const CONTACT_SVC_URL: Var = peer_url("CONTACT_SVC_URL", "http://127.0.0.1:50052");
pub const BILLING_SVC_URL: Var = peer_url("BILLING_SVC_URL", "http://127.0.0.1:50053");
pub const AUTH_SVC_URL: Var = peer_url("AUTH_SVC_URL", "http://127.0.0.1:50054");

/// Where a service listens: `{NAME}_SVC_ADDR`.
pub const fn listen(name: &'static str, default: &'static str) -> Var {
    Var::new(
        name,
        default,
        listen_addr,
        "Where this service's gRPC server listens.",
    )
}

pub const ACCOUNT_SVC_ADDR: Var = listen("ACCOUNT_SVC_ADDR", "127.0.0.1:50051");
pub const CONTACT_SVC_ADDR: Var = listen("CONTACT_SVC_ADDR", "127.0.0.1:50052");
pub const BILLING_SVC_ADDR: Var = listen("BILLING_SVC_ADDR", "127.0.0.1:50053");
pub const AUTH_SVC_ADDR: Var = listen("AUTH_SVC_ADDR", "127.0.0.1:50054");

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &[Var] = &[
        Var::new("TIMEOUT", "30", number::<1, 300>, "a deadline"),
        Var::new("KEY", "", number::<1, 9>, "a secret").secret(),
        Var::new("ADDR", "", listen_addr, "an address"),
    ];

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn a_bad_value_is_named_with_its_rule_and_a_secret_is_not_shown() {
        let err = check(&[LIST], env(&[("TIMEOUT", "abc"), ("KEY", "hunter2")]))
            .expect_err("bad values")
            .to_string();
        assert!(
            err.contains("TIMEOUT: must be a whole number from 1 to 300, got \"abc\""),
            "{err}"
        );
        assert!(err.contains("KEY: must be a whole number"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn unset_and_good_values_pass() {
        check(&[LIST], env(&[])).expect("unset");
        check(
            &[LIST],
            env(&[("TIMEOUT", "300"), ("ADDR", "0.0.0.0:8080")]),
        )
        .expect("good");
        check(&[LIST], env(&[("ADDR", "8080")])).expect_err("no host");
        check(&[LIST], env(&[("TIMEOUT", "0")])).expect_err("below the range");
    }

    #[test]
    fn help_lists_every_variable_with_its_default() {
        let text = help("x", "does things", &[LIST, STORAGE]);
        for v in [LIST, STORAGE].iter().flat_map(|l| l.iter()) {
            assert!(text.contains(v.name), "{} missing", v.name);
        }
        assert!(text.contains("[30]") && text.contains("[./data]"), "{text}");
    }

    #[test]
    fn shared_rules_take_what_the_readme_shows() {
        assert!(http_url("http://account-svc:50051").is_ok());
        assert!(http_url("account-svc:50051").is_err());
        assert!(database_url("postgres://postgres@127.0.0.1:5432/test").is_ok());
        assert!(database_url("mysql://x").is_err());
        assert!(cidrs("10.0.0.0/8, 192.168.0.0/16").is_ok());
        assert!(cidrs("10.0.0.0/33").is_err());
        assert!(identity_name("billing-svc").is_ok());
        assert!(schema_prefix("t1_").is_ok() && schema_prefix("T-1").is_err());
    }
}
