//! No Docker engine runs where these tests run, so the deployment files are checked against the
//! app statically: what compose sets is what the app reads, and what `.env.example` documents.

use std::collections::BTreeSet;

use app::config::variables;
use yaml_rust2::{Yaml, YamlLoader};

use crate::helpers::workspace_path;

fn read(relative: &str) -> String {
    std::fs::read_to_string(workspace_path(relative)).unwrap()
}

fn compose() -> Yaml {
    YamlLoader::load_from_str(&read("docker-compose.yml"))
        .unwrap()
        .remove(0)
}

fn str_of(yaml: &Yaml) -> String {
    match yaml {
        Yaml::String(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn environment(service: &Yaml) -> Vec<(String, String)> {
    service["environment"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| (str_of(k), str_of(v)))
        .collect()
}

/// Variable names in `.env.example`, commented out or not.
fn documented_variables() -> BTreeSet<String> {
    read(".env.example")
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k.trim().to_owned())
        .filter(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .collect()
}

#[test]
fn env_example_documents_exactly_the_variables_the_app_reads() {
    let documented = documented_variables();
    let read_by_app: BTreeSet<String> = variables().iter().map(|v| (*v).to_owned()).collect();

    assert_eq!(documented, read_by_app);
}

#[test]
fn compose_sets_only_variables_the_app_reads() {
    let compose = compose();
    let read_by_app = variables();
    for name in ["app", "migrate", "worker"] {
        for (key, _) in environment(&compose["services"][name]) {
            assert!(
                read_by_app.contains(&key.as_str()),
                "{name} sets {key}, which the app never reads"
            );
        }
    }
}

#[test]
fn compose_waits_for_a_healthy_postgres_and_migrates_before_serving() {
    let compose = compose();
    let services = &compose["services"];

    let healthcheck = format!("{:?}", services["postgres"]["healthcheck"]["test"]);
    assert!(healthcheck.contains("pg_isready"), "{healthcheck}");
    assert!(
        !services["postgres"]["volumes"].is_badvalue(),
        "postgres data survives restarts"
    );
    for name in ["app", "migrate", "worker"] {
        let condition = str_of(&services[name]["depends_on"]["postgres"]["condition"]);
        assert_eq!(condition, "service_healthy", "{name}");
    }
    assert_eq!(str_of(&services["migrate"]["command"][0]), "migrate");
    assert_eq!(str_of(&services["migrate"]["command"][1]), "up");
    for name in ["app", "worker"] {
        let migrated = str_of(&services[name]["depends_on"]["migrate"]["condition"]);
        assert_eq!(migrated, "service_completed_successfully", "{name}");
    }
}

#[test]
fn compose_checks_the_apps_health_with_the_binary_itself() {
    let compose = compose();
    let test: Vec<&str> = compose["services"]["app"]["healthcheck"]["test"]
        .as_vec()
        .expect("the app service has a healthcheck")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    // The runtime image has no curl or wget: the check is the binary's own (tested in cli.rs).
    assert_eq!(test, ["CMD", "app", "check", "--health"]);
}

#[test]
fn compose_points_the_app_at_the_compose_postgres_and_serves_it_through_the_proxy() {
    let compose = compose();
    let services = &compose["services"];
    let postgres: Vec<(String, String)> = environment(&services["postgres"]);
    let pg = |k: &str| {
        postgres
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let app: Vec<(String, String)> = environment(&services["app"]);
    let app_var = |k: &str| {
        app.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };

    let expected_url = format!(
        "postgres://{}:{}@postgres:5432/{}",
        pg("POSTGRES_USER"),
        pg("POSTGRES_PASSWORD"),
        pg("POSTGRES_DB")
    );
    assert_eq!(app_var("DATABASE_URL"), expected_url);
    assert_eq!(app_var("APP_ADDR"), "0.0.0.0:3000");
    // `--scale app=N` needs the replicas to publish nothing; the proxy is the way in, and it
    // sends to the port the app listens on, from an address the app trusts.
    assert!(
        services["app"]["ports"].is_badvalue(),
        "app publishes no port"
    );
    assert_eq!(
        str_of(&services["proxy"]["ports"][0]),
        "${APP_PORT:-3000}:8080"
    );
    let proxy = read("docker/proxy/haproxy.cfg");
    assert!(proxy.contains("bind :8080"), "{proxy}");
    assert!(proxy.contains("server-template app 20 app:3000"), "{proxy}");
    assert!(proxy.contains("uri /ready"), "the proxy checks readiness");
    assert!(
        app_var("APP_TRUSTED_PROXIES")
            .split(',')
            .any(|net| net == "172.16.0.0/12"),
        "Docker's default networks are trusted"
    );
    assert_eq!(
        app_var("APP_MIGRATE_ON_START"),
        "false",
        "the migrate service does it once"
    );
}

/// The workspace's members as folders, `crates/*` expanded.
fn workspace_members() -> Vec<String> {
    let manifest = read("Cargo.toml");
    let line = manifest.lines().find(|l| l.starts_with("members")).unwrap();
    let list = line.split_once('[').unwrap().1.trim_end_matches(']');
    let mut members = Vec::new();
    for pattern in list.split(',').map(|m| m.trim().trim_matches('"')) {
        match pattern.strip_suffix("/*") {
            Some(dir) => {
                for entry in std::fs::read_dir(workspace_path(dir)).unwrap() {
                    let name = entry.unwrap().file_name().into_string().unwrap();
                    members.push(format!("{dir}/{name}"));
                }
            }
            None => members.push(pattern.to_owned()),
        }
    }
    assert!(members.len() >= 7, "{members:?}");
    members
}

/// The Dockerfile's dependency layer is built from `docker/skeleton.sh`, which must stand in for
/// every target of every member (a `[[bench]]` it missed once broke every `docker compose up`).
/// `.ci/run` also builds that skeleton with cargo.
#[test]
fn the_dockerfile_builds_dependencies_from_a_skeleton_of_every_target() {
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("sh docker/skeleton.sh /skeleton"));
    let root = workspace_path("");
    let out = tempfile::tempdir().unwrap();

    let made = std::process::Command::new("sh")
        .arg("docker/skeleton.sh")
        .arg(out.path())
        .current_dir(&root)
        .status()
        .unwrap();

    assert!(made.success());
    let metadata = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(&root)
        .output()
        .unwrap();
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let root = std::fs::canonicalize(&root).unwrap();
    let mut targets = 0;
    for package in metadata["packages"].as_array().unwrap() {
        let manifest = std::path::Path::new(package["manifest_path"].as_str().unwrap());
        let manifest = manifest.strip_prefix(&root).unwrap();
        assert!(out.path().join(manifest).is_file(), "{manifest:?}");
        for target in package["targets"].as_array().unwrap() {
            let source = std::path::Path::new(target["src_path"].as_str().unwrap());
            let source = source.strip_prefix(&root).unwrap();
            assert!(
                out.path().join(source).is_file(),
                "no stand-in for {source:?}"
            );
            targets += 1;
        }
    }
    assert!(targets >= workspace_members().len());
    assert!(
        dockerfile.contains("COPY templates templates")
            && dockerfile.contains("COPY static static")
    );
    assert!(dockerfile.contains("USER app"));
    assert!(dockerfile.contains(r#"ENTRYPOINT ["app"]"#));
    assert!(dockerfile.contains("EXPOSE 3000"));
}

#[test]
fn the_lock_file_has_one_sqlx_one_sqlite_and_a_single_tls_stack() {
    let lock = read("Cargo.lock");
    let versions = |name: &str| lock.matches(&format!("name = \"{name}\"\n")).count();

    assert_eq!(versions("sqlx-core"), 1, "two sqlx stacks");
    assert_eq!(versions("libsqlite3-sys"), 1, "two SQLite builds");
    for banned in ["aws-lc-sys", "aws-lc-rs", "openssl-sys", "native-tls"] {
        assert_eq!(
            versions(banned),
            0,
            "{banned} is in the graph: rustls must use ring only"
        );
    }
}

#[test]
fn compose_runs_jobs_in_a_worker_service_that_drains_before_it_is_killed() {
    let compose = compose();
    let services = &compose["services"];
    let var = |service: &str, key: &str| {
        environment(&services[service])
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    };
    let worker = &services["worker"];
    assert_eq!(str_of(&worker["image"]), str_of(&services["app"]["image"]));
    assert_eq!(str_of(&worker["command"][0]), "worker");
    assert_eq!(var("app", "APP_JOBS_IN_PROCESS").as_deref(), Some("false"));
    assert_eq!(var("worker", "DATABASE_URL"), var("app", "DATABASE_URL"));

    // Compose waits stop_grace_period after SIGTERM before SIGKILL: it must outlast the drain.
    let grace: f64 = var("worker", "APP_JOBS_GRACE_SECS")
        .unwrap()
        .parse()
        .unwrap();
    let stop = str_of(&worker["stop_grace_period"]);
    let stop: f64 = stop.trim_end_matches('s').parse().unwrap();
    assert!(
        stop > grace,
        "stop_grace_period {stop}s must exceed APP_JOBS_GRACE_SECS {grace}s"
    );

    // Mail goes to Mailpit; exports are shared between the worker that writes them and the app.
    assert!(!services["mailpit"].is_badvalue());
    for service in ["app", "worker"] {
        assert_eq!(
            var(service, "APP_MAILER").as_deref(),
            Some("smtp://mailpit:1025")
        );
        assert_eq!(
            str_of(&services[service]["volumes"][0]),
            "app-data:/app/data"
        );
    }
}
