"""The production shape, read rather than run: docker-compose.yml, Dockerfile, .env.example.

Docker is not available where the tests run, so these tests check what a broken file would get
wrong: the services of Airflow's official Airflow 3 compose file, CeleryExecutor with Redis,
PostgreSQL for both databases, a healthcheck on every long-running service, workers that can be
scaled, no secret written into the file, the image built from the Dockerfile, and a Dockerfile
that starts FROM apache/airflow:3.3.2 and installs from uv.lock.

Compose interpolates ``${VAR}`` after parsing the YAML; :func:`interpolate` follows the Compose
spec for the forms used here, so the file can be checked both as written (secrets must be
``${...}`` references) and as Compose would hand it to Docker (with the values of a filled-in
``.env``), against the Compose specification's JSON schema (``compose-spec.json``, copied from
github.com/compose-spec/compose-spec at 170098ba, schema/compose-spec.json, Apache-2.0).

The Python that airflow-init runs is run here too: it writes the admin password file, and it
creates the project database on this machine's PostgreSQL when there is one (else skipped).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
SCHEMA = Path(__file__).with_name("compose-spec.json")

INFRA = ("postgres", "redis")
AIRFLOW_LONG_RUNNING = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
RUN_ONCE = ("airflow-init",)
AIRFLOW_SERVICES = (*AIRFLOW_LONG_RUNNING, *RUN_ONCE)

# Environment variables whose value is a secret, or a URL that carries one.
SECRET_KEYS = (
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW_CONN_BAPAS_SMTP",
    "BAPAS_DB_URL",
    "BAPAS_SECRET_KEY",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "REDISCLI_AUTH",
    "AIRFLOW_ADMIN_PASSWORD",
)


# --------------------------------------------------------------------------- helpers


class MissingVariable(ValueError):
    pass


_VAR = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[_A-Za-z][_A-Za-z0-9]*))")
_BRACED = re.compile(r"^(?P<name>[_A-Za-z][_A-Za-z0-9]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?$", re.S)


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
    ``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+alt}``."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            return env.get(match["named"], "")
        braced = _BRACED.match(match["braced"])
        if braced is None:
            raise ValueError(f"invalid interpolation: {match[0]}")
        name, op, arg = braced["name"], braced["op"], braced["arg"] or ""
        is_set, current = name in env, env.get(name, "")
        if op is None:
            return current
        if op == ":-":
            return current if current else arg
        if op == "-":
            return current if is_set else arg
        if op == ":?":
            if not current:
                raise MissingVariable(f"{name}: {arg}")
            return current
        if op == "?":
            if not is_set:
                raise MissingVariable(f"{name}: {arg}")
            return current
        if op == ":+":
            return arg if current else ""
        return arg if is_set else ""  # "+"

    return _VAR.sub(replace, value)


def strings(value: Any) -> list[str]:
    """Every string (keys and values) of a parsed YAML document; comments are not in it."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def variables(document: Any) -> dict[str, str | None]:
    """Every ``${VAR...}``/``$VAR`` reference in a parsed document (``$$`` skipped) -> its operator."""
    found: dict[str, str | None] = {}
    for match in _VAR.finditer("\n".join(strings(document))):
        if match["named"]:
            found.setdefault(match["named"], None)
        elif match["braced"] is not None:
            braced = _BRACED.match(match["braced"])
            assert braced is not None, match[0]
            if found.get(braced["name"]) not in (":?", "?"):
                found[braced["name"]] = braced["op"]
    return found


def read_env_file(path: Path) -> tuple[dict[str, str], set[str]]:
    """(assignments, names mentioned in commented-out assignments) of a dotenv file."""
    values: dict[str, str] = {}
    commented: set[str] = set()
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if match := re.match(r"^#\s*([A-Z][A-Z0-9_]*)=", stripped):
            commented.add(match[1])
        elif stripped and not stripped.startswith("#"):
            name, sep, value = stripped.partition("=")
            assert sep, f"not NAME=value: {line!r}"
            values[name.strip()] = value.strip()
    return values, commented


def filled_env() -> dict[str, str]:
    """.env.example with every empty value filled in, as an administrator would."""
    values, _ = read_env_file(ENV_EXAMPLE)
    return {name: value or f"example{name.lower().replace('_', '')}" for name, value in values.items()}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    """docker-compose.yml as written (YAML anchors and merge keys resolved, no interpolation)."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    """docker-compose.yml as Compose hands it to Docker with a filled-in .env."""
    return interpolate(raw, filled_env())


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if pending and line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def dockerfile_stages() -> list[dict[str, Any]]:
    """The build stages, each with its resolved base image and its instructions."""
    args: dict[str, str] = {}
    stages: list[dict[str, Any]] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            parts = rest.split()
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m[1], ""), parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append({"image": image, "name": name, "instructions": []})
        else:
            assert stages or keyword in ("ARG",), f"{keyword} before FROM"
            if stages:
                stages[-1]["instructions"].append((keyword, rest))
    return stages


# --------------------------------------------------------------------------- compose: shape


def test_services_of_the_official_airflow3_compose_are_there(raw):
    services = raw["services"]
    for name in (*INFRA, *AIRFLOW_SERVICES):
        assert name in services, f"service {name} missing"
    assert "airflow-webserver" not in services, "Airflow 3 has an api-server, not a webserver"
    assert services["airflow-apiserver"]["command"] == "api-server"
    assert services["airflow-scheduler"]["command"] == "scheduler"
    assert services["airflow-dag-processor"]["command"] == "dag-processor"
    assert services["airflow-triggerer"]["command"] == "triggerer"
    assert services["airflow-worker"]["command"] == "celery worker"
    assert "x-airflow-common" in raw, "the shared settings live in the x-airflow-common anchor"


def test_compose_file_is_valid_against_the_compose_spec(compose):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(compose)


def test_every_airflow_service_runs_the_image_built_from_the_dockerfile(compose):
    images = set()
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        build = service.get("build")
        assert build, f"{name} is not built from the Dockerfile"
        assert (ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE
        images.add(service.get("image"))
    assert len(images) == 1, f"all Airflow services must run one image, found {images}"


def test_celery_executor_with_redis_broker_and_postgres_for_both_databases(compose):
    services = compose["services"]
    for name in AIRFLOW_SERVICES:
        env = env_of(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
        assert broker.scheme == "redis" and broker.hostname == "redis", name
        backend = urlsplit(env["AIRFLOW__CELERY__RESULT_BACKEND"])
        assert backend.scheme.startswith("db+postgresql") and backend.hostname == "postgres", name
        airflow_db = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        bapas_db = urlsplit(env["BAPAS_DB_URL"])
        for url in (airflow_db, bapas_db):
            assert url.scheme.startswith("postgresql") and url.hostname == "postgres", (name, url.geturl())
            assert url.password, "the database URL must carry the password from .env"
        assert airflow_db.path != bapas_db.path, "the project keeps its own database, apart from Airflow's"
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_async_database_driver_is_locked(compose):
    """Airflow 3.3 derives an async URL (postgresql+asyncpg) from the sync one; without asyncpg
    in the image every component fails at start. The image installs the celery extra of the
    lock, so asyncpg must be in it, and the compose file must not turn the async engine off."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    project = next(p for p in lock["package"] if p["name"] == "bapas-sop")
    celery_extra = {d["name"] for d in project["optional-dependencies"]["celery"]}
    assert "asyncpg" in celery_extra, "asyncpg must be locked in the celery extra (the image installs it)"
    assert "asyncpg" in {p["name"] for p in lock["package"]}
    for name in AIRFLOW_SERVICES:
        env = env_of(compose["services"][name])
        async_url = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC")
        assert async_url is None or async_url.startswith("postgresql+asyncpg://"), (
            f"{name}: leave the async URL to Airflow (it derives postgresql+asyncpg), got {async_url!r}"
        )


def test_compose_env_mirrors_what_devstack_gives_the_processes(raw, tmp_path):
    """Every setting the plain-process stack needs is also set in compose, except dev-only ones."""
    from bapas_sop import devstack

    dev_env = devstack.stack_env(devstack.StackConfig(home=tmp_path), base={})
    dev_only = {
        "PATH",  # the image's PATH already has airflow
        "AIRFLOW_HOME",  # the image's /opt/airflow
        "AIRFLOW__API__PORT",  # 8080 inside the container; the host port is mapped
        "AIRFLOW__CORE__PARALLELISM",  # Airflow's default suits a server
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL",  # DAG files change only with a new image
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",  # one worker per container: the default 8793
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT",  # one scheduler per container: 8974
        # SQLite's busy timeout for Airflow's engines: the embedded default only (compose runs PostgreSQL)
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC",
    }
    compose_env = env_of(raw["services"]["airflow-scheduler"])
    missing = sorted(set(dev_env) - set(compose_env) - dev_only)
    assert not missing, f"devstack sets these for every process, compose does not: {missing}"
    assert compose_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert compose_env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"


# --------------------------------------------------------------------------- compose: health


def test_every_long_running_service_has_a_healthcheck(raw):
    for name, service in raw["services"].items():
        if name in RUN_ONCE:
            continue
        check = service.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        test = check["test"]
        assert test and test not in (["NONE"], "NONE"), f"{name}: healthcheck disabled"
        assert service.get("restart") in ("always", "unless-stopped", "on-failure"), f"{name} is not restarted"
    checks = {name: " ".join(service["healthcheck"]["test"]) for name, service in raw["services"].items() if name not in RUN_ONCE}
    assert "/api/v2/monitor/health" in checks["airflow-apiserver"]
    assert "localhost:8974/health" in checks["airflow-scheduler"]
    assert "DagProcessorJob" in checks["airflow-dag-processor"]
    assert "TriggererJob" in checks["airflow-triggerer"]
    assert "inspect ping" in checks["airflow-worker"] and "celery@$${HOSTNAME}" in checks["airflow-worker"]
    assert "pg_isready" in checks["postgres"]
    assert "redis-cli ping" in checks["redis"]


def test_healthcheck_targets_exist_in_the_installed_airflow():
    """The routes and the Celery app the healthchecks name are those of the locked Airflow."""
    import importlib.util

    # Read the sources without importing Airflow (an import costs seconds).
    airflow = Path(importlib.util.find_spec("airflow").submodule_search_locations[0])
    monitor = airflow / "api_fastapi" / "core_api" / "routes" / "public"
    assert 'prefix="/monitor"' in (monitor / "monitor.py").read_text()
    assert '"/health"' in (monitor / "monitor.py").read_text()
    assert "include_router(monitor_router)" in (monitor / "__init__.py").read_text()
    celery_executor = airflow / "providers" / "celery" / "executors" / "celery_executor.py"
    assert 'name == "app"' in celery_executor.read_text()


def test_startup_order_uses_conditions(raw):
    services = raw["services"]
    for name in AIRFLOW_SERVICES:
        depends = services[name]["depends_on"]
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions, not a list"
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    for name in AIRFLOW_LONG_RUNNING:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully", name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    for name, service in services.items():
        for dep, how in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert how.get("condition") in ("service_started", "service_healthy", "service_completed_successfully")
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy, which it never reports"


def test_worker_can_be_scaled(raw):
    worker = raw["services"]["airflow-worker"]
    for key in ("container_name", "ports", "hostname"):
        assert key not in worker, f"airflow-worker has {key}: `--scale airflow-worker=N` would clash"
    assert "deploy" not in worker or "replicas" not in worker.get("deploy", {})
    # Only the API server is published on the host; the databases and the broker stay inside.
    published = {name for name, service in raw["services"].items() if service.get("ports")}
    assert published == {"airflow-apiserver"}


def test_init_migrates_both_databases_and_creates_the_project_database(raw):
    init = raw["services"]["airflow-init"]
    script = "\n".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    assert "airflow db migrate" in script
    assert "from bapas_sop.store import migrate; migrate()" in script
    # The office's configuration is checked before anything is migrated or started (issue 15).
    assert script.index("python -m bapas_sop.checkconfig") < script.index("airflow db migrate")
    assert "CREATE DATABASE" in script
    assert init.get("restart") == "no", "a one-shot init must not restart forever"
    # The script is what bash gets: Compose turns $$ into $; it must parse, and so must the
    # Python it feeds through here-documents.
    shell = interpolate(script, filled_env())
    subprocess.run(["bash", "-n"], input=shell, text=True, check=True)
    for snippet in re.findall(r"<<'PY'\n(.*?)\nPY\n", shell, flags=re.S):
        compile(snippet, "airflow-init", "exec")
    assert shell.count("<<'PY'") == len(re.findall(r"<<'PY'\n(.*?)\nPY\n", shell, flags=re.S)) == 2


# --------------------------------------------------------------------------- compose: secrets


def test_secrets_are_references_to_env_not_literals(raw):
    for name, service in raw["services"].items():
        for key, value in env_of(service).items():
            if key.endswith(("_FILE", "_DIR")):
                continue  # where a secret is kept, not the secret
            if key in SECRET_KEYS or re.search(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$", key):
                assert "${" in value, f"{name}: {key} is written into the file; take it from .env"
                if "://" in value:
                    password = urlsplit(value.replace("${", "<").replace("}", ">")).password
                    assert password is None or password.startswith("<"), f"{name}: {key} has a literal password"
    text = COMPOSE_FILE.read_text()
    for literal in ("POSTGRES_PASSWORD: airflow", "airflow:airflow@", "FERNET_KEY: ''", "admin:admin@"):
        assert literal not in text


def test_required_secrets_make_compose_refuse_to_start_when_missing(raw):
    """With .env.example copied as it is (empty secrets), Compose stops with a message."""
    template, _ = read_env_file(ENV_EXAMPLE)
    with pytest.raises(MissingVariable):
        interpolate(raw, template)
    required = {name for name, op in variables(raw).items() if op in (":?", "?")}
    for name in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET",
                 "AIRFLOW_API_SECRET_KEY", "BAPAS_SECRET_KEY", "AIRFLOW_CONN_BAPAS_SMTP", "AIRFLOW_ADMIN_PASSWORD"):
        assert name in required, f"{name} should be required (${{{name}:?...}})"
    assert "BAPAS_PUBLIC_URL" in required and "AIRFLOW_PUBLIC_URL" in required


def test_env_example_documents_every_variable_and_holds_no_secret(raw):
    values, commented = read_env_file(ENV_EXAMPLE)
    used = variables(raw)
    undocumented = sorted(set(used) - set(values) - commented)
    assert not undocumented, f"docker-compose.yml uses variables .env.example does not mention: {undocumented}"
    required = {name for name, op in used.items() if op in (":?", "?")}
    assert required <= set(values), "every required variable must be an uncommented line to fill in"
    for name, value in values.items():
        assert value == "", f".env.example must not ship a value for {name} (it would become everyone's secret)"
    for name in AIRFLOW_SERVICES:
        env_file = raw["services"][name].get("env_file")
        paths = [env_file] if isinstance(env_file, str) else [e if isinstance(e, str) else e["path"] for e in env_file or []]
        assert ".env" in paths, f"{name} does not read .env"


def test_env_file_is_kept_out_of_git_and_out_of_the_image():
    gitignore = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in gitignore or "/.env" in gitignore
    dockerignore = (ROOT / ".dockerignore").read_text().splitlines()
    for pattern in (".env", ".venv/", ".git/", "var/"):
        assert pattern in dockerignore, f".dockerignore should exclude {pattern}"


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_starts_from_airflow_332_with_python_311():
    stages = dockerfile_stages()
    assert stages, "no FROM"
    for stage in stages:
        assert stage["image"] == "apache/airflow:3.3.2-python3.11", stage["image"]
    assert stages[-1]["name"] is None or stages[-1]["name"] != "lock"


def test_dockerfile_installs_exactly_the_lock():
    stages = dockerfile_stages()
    runs = [rest for stage in stages for keyword, rest in stage["instructions"] if keyword == "RUN"]
    export = next((r for r in runs if "uv export" in r), None)
    assert export, "the requirements must come from `uv export` of uv.lock"
    for flag in ("--frozen", "--extra celery", "--no-dev", "--no-emit-project"):
        assert flag in export, f"uv export without {flag}"
    copies = [rest for stage in stages for keyword, rest in stage["instructions"] if keyword == "COPY"]
    assert any("uv.lock" in c for c in copies), "uv.lock is not copied into the build"
    final_runs = [rest for keyword, rest in stages[-1]["instructions"] if keyword == "RUN"]
    lock_install = next((r for r in final_runs if "-r " in r and ("pip install" in r)), None)
    assert lock_install, "the final image does not install the exported requirements"
    assert "--no-deps" in lock_install and "--require-hashes" in lock_install
    project_install = [r for r in final_runs if "pip install" in r and "/opt/bapas" in r and "-r " not in r]
    assert project_install and all("--no-deps" in r for r in project_install)
    # Only installs from the lock: no loose `pip install somepackage` in the final stage.
    for run in final_runs:
        for command in re.split(r"&&|;", run):
            words = shlex.split(command.replace("\\", " ")) if "pip install" in command else []
            if words:
                targets = [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
                assert all(t.startswith("/opt/bapas") for t in targets), f"unlocked install: {command.strip()}"


def test_dockerfile_copies_the_project_where_compose_expects_it(raw):
    stages = dockerfile_stages()
    final = stages[-1]["instructions"]
    copies = {}
    for keyword, rest in final:
        if keyword == "COPY":
            words = [w for w in rest.split() if not w.startswith("--")]
            for source in words[:-1]:
                copies[source.rstrip("/")] = words[-1].rstrip("/")
    for folder in ("dags", "plugins", "templates", "include"):
        assert folder in copies, f"{folder}/ is not copied into the image"
        assert copies[folder] == f"/opt/bapas/{folder}"
    env = env_of(raw["services"]["airflow-scheduler"])
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == copies["dags"]
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == copies["plugins"]
    image_env = " ".join(rest for keyword, rest in final if keyword == "ENV")
    assert f"AIRFLOW__CORE__DAGS_FOLDER={copies['dags']}" in image_env


def test_dockerfile_installs_what_weasyprint_needs():
    runs = " ".join(rest for keyword, rest in dockerfile_stages()[-1]["instructions"] if keyword == "RUN")
    assert "apt-get install" in runs
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz0b", "libharfbuzz-subset0"):
        assert package in runs, f"{package} missing (WeasyPrint)"
    users = [rest for keyword, rest in dockerfile_stages()[-1]["instructions"] if keyword == "USER"]
    assert users and users[-1] == "airflow", "the image must not run as root"


def test_lock_pins_what_the_image_gets():
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    versions = {p["name"]: p["version"] for p in lock["package"] if "version" in p}
    assert versions["apache-airflow"] == "3.3.2"
    assert versions["apache-airflow-providers-celery"] == "3.26.0"
    major, minor = (int(x) for x in versions["celery"].split(".")[:2])
    assert (major, minor) in ((5, 5), (5, 6)), f"celery {versions['celery']}: 5.7 breaks the Celery provider"
    assert "redis" in versions and "psycopg2-binary" in versions


# --------------------------------------------------------------------------- airflow-init, run


def _init_snippets(raw: dict[str, Any]) -> list[str]:
    script = interpolate(raw["services"]["airflow-init"]["command"][-1], filled_env())
    return re.findall(r"<<'PY'\n(.*?)\nPY\n", script, flags=re.S)


def test_init_writes_the_admin_password_file(raw, tmp_path):
    _create_db, write_passwords = _init_snippets(raw)
    path = tmp_path / "auth" / "passwords.json"
    env = {"PATH": "/usr/bin:/bin", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(path),
           "AIRFLOW_ADMIN_USER": "admin", "AIRFLOW_ADMIN_PASSWORD": "s3cret-from-env"}
    subprocess.run([sys.executable, "-c", write_passwords], env=env, check=True)
    assert json.loads(path.read_text()) == {"admin": "s3cret-from-env"}
    assert path.stat().st_mode & 0o777 == 0o600


def test_init_creates_the_project_database_on_postgres_once(raw):
    """Run against the PostgreSQL of this machine when there is one (trust auth for postgres)."""
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL with trust auth on 127.0.0.1:5432: {exc}")
    admin.autocommit = True
    name = f"bapas_deploy_{uuid.uuid4().hex[:10]}"
    create_db, _write_passwords = _init_snippets(raw)
    env = {"PATH": "/usr/bin:/bin", "BAPAS_DB_URL": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"}
    try:
        first = subprocess.run([sys.executable, "-c", create_db], env=env, check=True, capture_output=True, text=True)
        again = subprocess.run([sys.executable, "-c", create_db], env=env, check=True, capture_output=True, text=True)
        assert f"created database {name}" in first.stdout
        assert f"database exists: {name}" in again.stdout
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            assert cur.fetchone() is not None
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
