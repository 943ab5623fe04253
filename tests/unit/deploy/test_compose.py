"""docker-compose.yml and the Dockerfile agree with the code: every command runs a module that
exists, every variable set is one the code reads, ports match gunicorn's bind, secrets and
volumes are declared, both profiles are there, and no password has a default. Runs everywhere:
no Docker engine needed."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from shared.cli import main as actnow
from shared.settings import SERVICE_NAMES, Settings, SettingsError
from shared.stack.processes import ROOT
from tests.unit.deploy.code_reads import environment_names, environment_names_read
from tests.unit.deploy.compose_file import (
    MissingVariable,
    dockerfile_env,
    dockerfile_instructions,
    interpolate,
    load_compose,
    references,
)

NODES = ("al", "ba", "me", "mk", "rs")
# what an operator sets in .env (deploy/README.md); everything else must have a safe default
OPERATOR_ENV = {
    "ACTNOW_NODE": "mk",
    **{f"MM2_{node.upper()}_BOOTSTRAP": f"kafka.{node}.example:9094" for node in NODES},
}
APP_PORT = 8000
# a variable named like a secret (ACTNOW_SECRETS_DIR names a folder, not a secret)
SECRET_WORDS = re.compile(r"PASSWORD|PASSPHRASE|SECRET$|TOKEN$|_KEY$", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(OPERATOR_ENV)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def built(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The services that run our image (the Dockerfile's), not an official one."""
    return {name: spec for name, spec in services.items() if "build" in spec}


def in_profile(services: dict[str, dict[str, Any]], profile: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in services.items() if profile in spec.get("profiles", [])}


def command(spec: dict[str, Any]) -> list[str]:
    raw = spec.get("command", [])
    return raw.split() if isinstance(raw, str) else list(raw)


def web_module(spec: dict[str, Any]) -> str | None:
    """`services.intake.wsgi:app` of a gunicorn command, else None."""
    args = command(spec)
    return args[-1] if args[:1] == ["gunicorn"] else None


def worker_module(spec: dict[str, Any]) -> str | None:
    args = command(spec)
    return args[2] if args[:2] == ["python", "-m"] else None


def module_source(module: str) -> str:
    found = importlib.util.find_spec(module)
    assert found is not None and found.origin, f"{module} does not exist"
    return Path(found.origin).read_text()


def volume_mounts(spec: dict[str, Any]) -> dict[str, str]:
    """Mount point -> source (a named volume or a host path)."""
    mounts = {}
    for entry in spec.get("volumes", []):
        source, target = entry.split(":")[:2]
        mounts[target] = source
    return mounts


# --- profiles ------------------------------------------------------------------------------


def test_both_profiles_are_present_and_every_service_belongs_to_one(services):
    profiles = {name: set(spec.get("profiles", [])) for name, spec in services.items()}
    assert {p for found in profiles.values() for p in found} == {"node", "hub"}
    assert not [name for name, found in profiles.items() if not found]


def test_the_node_runs_official_postgres_and_kafka_images(services):
    images = [spec.get("image", "") for spec in in_profile(services, "node").values()]
    assert any(re.fullmatch(r"postgres:\d+", image) for image in images)
    assert any(re.fullmatch(r"apache/kafka:[\d.]+", image) for image in images)


def test_the_node_runs_every_service_and_every_worker_of_the_code(services):
    node = in_profile(built(services), "node")
    webs = {web_module(spec) for spec in node.values()}
    workers = {worker_module(spec) for spec in node.values()}
    for service in SERVICE_NAMES:
        assert f"services.{service}.wsgi:app" in webs
        assert f"services.{service}.worker" in workers


def test_the_hub_runs_the_indicators_and_reporting_services_and_workers_as_the_hub(services):
    hub = in_profile(built(services), "hub")
    runs = {web_module(s) or worker_module(s): s for s in hub.values() if command(s)[0] != "actnow"}
    assert set(runs) == {f"services.{name}.{part}" for name in ("indicators", "reporting")
                         for part in ("wsgi:app", "worker")}  # fmt: skip
    for spec in runs.values():
        assert spec["environment"]["ACTNOW_NODE"] == "hub"
        assert set(spec["environment"]["REGIONAL_SOURCES"].split(",")) == set(NODES)


def test_no_variable_is_required_when_compose_reads_the_file():
    """Compose fills `${VAR:?}` in every service before it applies profiles: a variable only
    the hub needs would stop a node from starting (and the other way round)."""
    required = [r["name"] for r in references() if "?" in (r["op"] or "")]
    assert required == []


def test_a_node_without_its_name_refuses_to_start():
    spec = load_compose({})["services"]["identity"]
    with pytest.raises(SettingsError, match="ACTNOW_NODE"):
        Settings.from_env("identity", spec["environment"])


# --- commands ------------------------------------------------------------------------------


def test_every_gunicorn_command_serves_an_app_that_exists(services):
    for name, spec in built(services).items():
        module = web_module(spec)
        if module is None:
            continue
        path, _, attribute = module.partition(":")
        tree = ast.parse(module_source(path))
        assigned = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                    if isinstance(t, ast.Name)}  # fmt: skip
        assert attribute in assigned, f"{name}: {path} defines no {attribute}"
        config = command(spec)[command(spec).index("-c") + 1]
        assert (ROOT / config).is_file(), f"{name}: no {config}"
        assert config in _copied_into_image(), f"{name}: the Dockerfile does not copy {config}"


def test_every_worker_command_runs_a_module_that_runs_as_main(services):
    for name, spec in built(services).items():
        module = worker_module(spec)
        if module is not None:
            assert '__name__ == "__main__"' in module_source(module), f"{name}: {module}"


def test_every_operator_command_parses_with_the_actnow_cli(services):
    for name, spec in built(services).items():
        args = command(spec)
        if args[:1] != ["actnow"]:
            continue
        group, rest = actnow, args[1:]
        while rest and rest[0] in getattr(group, "commands", {}):
            group, rest = group.commands[rest[0]], rest[1:]
        assert not hasattr(group, "commands"), f"{name}: {args} names no command"
        group.make_context(name, list(rest))  # raises on an unknown option or choice


def test_every_built_service_runs_something_the_image_has(services):
    for name, spec in built(services).items():
        assert web_module(spec) or worker_module(spec) or command(spec)[0] == "actnow", name


def _copied_into_image() -> set[str]:
    copied = set()
    for instruction, args in dockerfile_instructions():
        if instruction == "COPY":
            *sources, target = args.split()
            copied |= set(sources) | {target.removeprefix("./")}
    return copied


# --- environment ---------------------------------------------------------------------------


def test_every_variable_set_for_our_image_is_one_the_code_reads(services):
    read = environment_names_read()
    for name, spec in built(services).items():
        unknown = set(spec.get("environment", {})) - read
        assert not unknown, f"{name} sets {sorted(unknown)}, which no code reads"


def test_every_variable_the_dockerfile_sets_is_read_by_the_code_or_python():
    # PYTHON* are read by the interpreter, MALLOC_* by glibc's malloc (MALLOC_ARENA_MAX)
    unknown = {n for n in dockerfile_env() if not n.startswith(("PYTHON", "MALLOC_"))}
    assert unknown - environment_names_read() == set()


def test_the_scanner_finds_names_read_every_way_the_code_reads_them():
    source = (
        'a = env.get("ALPHA", "x")\nb = os.environ["BETA"]\nc = _required(env, "GAMMA")\n'
        'd = env.get(f"{name.upper()}_URL")\ne = other.get("NOT_ENV")\n'
    )
    expected = {"ALPHA", "BETA", "GAMMA", *(f"{s.upper()}_URL" for s in SERVICE_NAMES)}
    assert environment_names(source) == expected


def keeps_data(spec: dict[str, Any]) -> bool:
    """All but the web front: it keeps nothing, so it needs neither PostgreSQL nor Kafka."""
    return web_module(spec) != "services.web.wsgi:app"


def test_the_services_get_every_setting_they_require(services):
    for name, spec in built(services).items():
        env = spec.get("environment", {})
        needed = ("DATABASE_URL", "KAFKA_BOOTSTRAP", "ACTNOW_NODE") if keeps_data(spec) else (
            "ACTNOW_NODE", "IDENTITY_JWKS_URL", "IDENTITY_URL", "INTAKE_URL", "INDICATORS_URL",
            "REPORTING_URL")  # fmt: skip
        for required in needed:
            assert env.get(required), f"{name} lacks {required}"


# --- ports and addresses -------------------------------------------------------------------


def gunicorn_port() -> int:
    """The port gunicorn binds in the image: GUNICORN_BIND (read by deploy/gunicorn.conf.py)."""
    assert "GUNICORN_BIND" in environment_names((ROOT / "deploy/gunicorn.conf.py").read_text())
    return int(dockerfile_env()["GUNICORN_BIND"].rsplit(":", 1)[1])


def test_the_image_binds_and_exposes_the_port_compose_publishes(services):
    port = gunicorn_port()
    assert port == APP_PORT
    exposed = [args for instruction, args in dockerfile_instructions() if instruction == "EXPOSE"]
    assert exposed == [str(port)]
    for name, spec in built(services).items():
        if web_module(spec):
            assert [int(p.rsplit(":", 1)[1]) for p in spec["ports"]] == [port], name
            assert f":{port}/readyz" in " ".join(spec["healthcheck"]["test"]), name


def test_every_published_port_is_on_its_own_host_port(services):
    published = [p.rsplit(":", 1)[0] for spec in services.values() for p in spec.get("ports", [])]
    assert len(published) == len(set(published))


def test_service_urls_name_a_compose_service_running_that_service(services):
    runs = {name: web_module(spec) for name, spec in services.items()}
    for name, spec in built(services).items():
        for var, value in spec.get("environment", {}).items():
            if not var.endswith("_URL") or var == "DATABASE_URL":
                continue
            url = urlparse(value)
            target = var.removesuffix("_JWKS_URL").removesuffix("_URL").lower()
            assert runs.get(url.hostname) == f"services.{target}.wsgi:app", f"{name}: {var}"
            assert url.port == gunicorn_port(), f"{name}: {var}"


def test_database_and_kafka_addresses_name_a_service_of_the_same_profile(services):
    for name, spec in built(services).items():
        if not keeps_data(spec):
            continue
        env = spec["environment"]
        database = urlparse(env["DATABASE_URL"]).hostname
        kafka = env["KAFKA_BOOTSTRAP"].split(":")[0]
        for host in (database, kafka):
            assert set(services[host]["profiles"]) == set(spec["profiles"]), f"{name}: {host}"


# --- secrets, passwords, volumes, health ----------------------------------------------------


def test_every_secret_referenced_is_declared_and_read_from_a_file(compose, services):
    declared = compose["secrets"]
    for name, spec in services.items():
        for secret in spec.get("secrets", []):
            assert secret in declared, f"{name} uses undeclared secret {secret}"
            assert "file" in declared[secret]
        for var, value in spec.get("environment", {}).items():
            if str(value).startswith("/run/secrets/"):
                assert value.removeprefix("/run/secrets/") in spec.get("secrets", []), var


def test_no_password_is_set_or_defaulted_in_the_compose_file(services):
    for ref in references():
        if SECRET_WORDS.search(ref["name"]):
            assert not (ref["op"] or "").endswith("-"), f"${{{ref['name']}}} has a default"
    for name, spec in services.items():
        for var, value in spec.get("environment", {}).items():
            if SECRET_WORDS.search(var):
                assert var.endswith("_FILE") and str(value).startswith("/"), f"{name}: {var}"
            assert var != "POSTGRES_HOST_AUTH_METHOD", f"{name} turns authentication off"
            if var == "DATABASE_URL":
                assert urlparse(value).password is None, f"{name}: password in DATABASE_URL"


def test_every_key_and_state_file_lives_on_a_named_volume(compose, services):
    """Keys made on first start (checkpoint, token, linkage, report keys) must outlive the
    container, so each path a service is told to keep them at is on a declared volume."""
    for name, spec in built(services).items():
        env, mounts = spec["environment"], volume_mounts(spec)
        paths = [env[v] for v in ("ACTNOW_STATE_DIR", "CHECKPOINT_KEY_FILE", "LINKAGE_KEY_FILE")
                 if v in env]  # fmt: skip
        if worker_module(spec):
            assert "CHECKPOINT_KEY_FILE" in env, f"{name}: checkpoint key not on a volume"
        for path in paths:
            source = next((s for t, s in mounts.items() if Path(path).is_relative_to(t)), None)
            assert source in compose["volumes"], f"{name}: {path} is not on a named volume"


def test_the_volumes_of_earlier_deployments_are_kept(compose):
    kept = {"pgdata", "kafkadata", "identity-state", "intake-state", "reporting-state"}
    kept |= {f"keys-{service}" for service in SERVICE_NAMES}
    assert kept <= set(compose["volumes"])


def test_every_volume_used_is_declared_and_every_host_file_exists(compose, services):
    for name, spec in services.items():
        for source in volume_mounts(spec).values():
            if source.startswith(("./", "/")):
                assert (ROOT / source).is_file(), f"{name}: {source} does not exist"
            else:
                assert source in compose["volumes"], f"{name}: volume {source} undeclared"


def test_a_service_and_its_worker_share_metrics_and_process_ids(services):
    for name, spec in built(services).items():
        module = worker_module(spec)
        if module is None:
            continue
        web = spec["pid"].removeprefix("service:")
        assert web_module(services[web]) == module.replace(".worker", ".wsgi:app"), name
        metrics = "/tmp/prometheus"
        assert volume_mounts(spec)[metrics] == volume_mounts(services[web])[metrics], name


def test_whatever_is_waited_for_has_a_health_check(services):
    for name, spec in services.items():
        for needed, condition in spec.get("depends_on", {}).items():
            assert needed in services, f"{name} depends on unknown {needed}"
            if condition["condition"] == "service_healthy":
                assert "test" in services[needed].get("healthcheck", {}), needed
        if spec.get("ports") and "build" in spec:
            assert "test" in spec["healthcheck"], f"{name} is published without a health check"


# --- MirrorMaker 2 -------------------------------------------------------------------------


def mm2_config(services: dict[str, dict[str, Any]]) -> tuple[dict[str, str], dict[str, Any]]:
    (spec,) = [s for s in services.values() if "connect-mirror-maker.sh" in " ".join(command(s))]
    config = command(spec)[-1]
    (source,) = [s for t, s in volume_mounts(spec).items() if t == config]
    assert source.startswith("./deploy/kafka/")
    return _properties((ROOT / source).read_text()), spec


def _properties(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]  # fmt: skip
    return {key.strip(): value.strip() for key, value in pairs}


def test_mirrormaker_copies_only_each_nodes_regional_topic_under_its_own_name(services):
    props, spec = mm2_config(services)
    clusters = [c.strip() for c in props["clusters"].split(",")]
    assert spec["image"].startswith("apache/kafka:") and "hub" in spec["profiles"]
    assert props["replication.policy.class"].endswith(".IdentityReplicationPolicy")
    flows = {k.removesuffix(".topics"): v for k, v in props.items() if k.endswith(".topics")}
    assert set(flows) == {f"{node}->hub" for node in clusters if node != "hub"}
    for flow, topics in flows.items():
        node = flow.split("->")[0]
        # java.util.Properties turns "\\." into "\.", a literal dot in the regex
        assert topics == f"{node}\\\\.regional", flow
        assert props[f"{flow}.enabled"] == "true"
    assert set(clusters) - {"hub"} == set(NODES)


def test_mirrormaker_is_given_every_address_its_config_reads(services):
    props, spec = mm2_config(services)
    wanted = {m for v in props.values() for m in re.findall(r"\$\{env:(\w+)\}", v)}
    assert wanted and wanted <= set(spec["environment"])
    assert spec["environment"]["MM2_HUB_BOOTSTRAP"].split(":")[0] in services


def test_compose_runs_the_kafka_version_the_local_stack_tested(services):
    pom = (ROOT / "deploy/kafka/pom.xml").read_text()
    tested = re.search(r"<kafka.version>([\d.]+)</kafka.version>", pom)
    assert tested
    kafkas = {s["image"] for s in services.values() if s.get("image", "").startswith("apache/")}
    assert kafkas == {f"apache/kafka:{tested[1]}"}


def test_interpolation_follows_compose_rules():
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${UNSET}", env) == "v d  d "
    with pytest.raises(MissingVariable):
        interpolate("${EMPTY:?needed}", env)
