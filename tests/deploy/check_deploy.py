#!/usr/bin/python3
"""Checks the files under deploy/ offline: schemas, the rules they promise, and cmkctl's flags.

Usage: check_deploy.py SCHEMA_DIR DEPLOY_DIR... [--cmkctl PATH]

Every YAML document under each DEPLOY_DIR is parsed and validated against its published JSON schema
(vendored in SCHEMA_DIR, see its README.md): workflows against SchemaStore's github-workflow.json,
kustomization.yaml against kustomization.json, Kubernetes objects against the Kubernetes v1.32
standalone-strict schema of their apiVersion and kind. Then the rules the schemas cannot express:
pinned actions, least-privilege permissions, OIDC without secrets, shard counts that agree, the
Kubernetes security settings, and every cmkctl command line using only flags cmkctl has (read from
`cmkctl --help`; the drift command is checked against its specified interface when the binary has
none). Prints every problem found, each with its file's path, then exits 1 if there was any.
Several trees are checked in one run (the test's broken copies) to load the schemas once.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys

import jsonschema
import yaml

KUBERNETES_SCHEMAS = {
    ("batch/v1", "CronJob"): "kubernetes-v1.32.0-standalone-strict/cronjob-batch-v1.json",
    ("v1", "ServiceAccount"): "kubernetes-v1.32.0-standalone-strict/serviceaccount-v1.json",
    ("v1", "ConfigMap"): "kubernetes-v1.32.0-standalone-strict/configmap-v1.json",
}

# `cmkctl drift` as specified for the drift-detection work (issue 15): checked literally when the
# binary at hand has no drift command yet.
DRIFT_INTERFACE = {"-f", "--file", "--target", "--format", "--summary", "--shard", "--subscription"}
FORMATS = {"plan": {"text", "json", "markdown"}, "drift": {"text", "json", "markdown"}}

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML 1.1 (as Kubernetes reads it), but a key given twice is an error, not a silent overwrite."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


class WorkflowLoader(UniqueKeyLoader):
    """GitHub reads workflows as YAML 1.2: `on` is a key, only true/false are booleans."""


WorkflowLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in UniqueKeyLoader.yaml_implicit_resolvers.items()
}
WorkflowLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_documents(path, loader):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return [d for d in yaml.load_all(text, Loader=loader) if d is not None], text
    except yaml.YAMLError as e:
        problem(path, f"not valid YAML: {e}")
        return None, text


def load_schema(schema_dir, name):
    with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
        return json.load(f)


def validate(path, document, schema, label):
    validator = jsonschema.Draft7Validator(schema)
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        message = error.message if len(error.message) < 300 else error.message[:300] + "..."
        problem(path, f"{label} schema: at {where}: {message}")


def get(obj, *keys, default=None):
    for key in keys:
        if isinstance(obj, dict) and key in obj:
            obj = obj[key]
        elif isinstance(obj, list) and isinstance(key, int) and key < len(obj):
            obj = obj[key]
        else:
            return default
    return obj


def cmkctl_command_lines(script):
    """The cmkctl invocations in a shell script, backslash continuations joined, as argument lists."""
    joined = re.sub(r"\\\n\s*", " ", script)
    # A GitHub expression is one word here: ${{ matrix.shard }} -> ${{matrix.shard}}.
    joined = re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: "${{" + m.group(1).replace(" ", "") + "}}", joined)
    commands = []
    for line in joined.splitlines():
        line = line.strip()
        match = re.match(r"^(?:exec\s+)?cmkctl\s+(.*)$", line)
        if not match:
            continue
        rest = re.split(r"\s(?:>|2>|\||&&|;)", " " + match.group(1))[0].strip()
        try:
            commands.append(shlex.split(rest))
        except ValueError as e:
            commands.append(["<unparsable>", str(e)])
    return commands


class CmkctlFlags:
    """The flags cmkctl really has, read from its --help output once per sub-command."""

    def __init__(self, cmkctl):
        self.cmkctl = cmkctl
        self.cache = {}
        self.skipped_drift = False
        top = self._run([])
        self.global_flags = self._flags(top.split("Subcommands:")[0]) if top is not None else None
        # Sub-commands as `cmkctl --help` lists them (`cmkctl NOSUCH --help` prints the top help).
        self.commands = set(re.findall(r"^  ([a-z][\w-]*)\s", top.split("Subcommands:", 1)[1], re.M)
                            if top and "Subcommands:" in top else [])

    def _run(self, sub):
        run = subprocess.run([self.cmkctl, *sub, "--help"], capture_output=True, text=True)
        return run.stdout if run.returncode == 0 else None

    @staticmethod
    def _flags(text):
        return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text))

    def for_command(self, sub):
        if sub not in self.commands:
            return None
        if sub not in self.cache:
            text = self._run([sub])
            self.cache[sub] = self._flags(text) if text is not None else None
        return self.cache[sub]



def check_cmkctl_command(where, args, flags):
    if not args or args[0] == "<unparsable>":
        problem(where, f"cannot parse the cmkctl command line: {args}")
        return None
    sub = args[0]
    known = flags.for_command(sub) if flags else None
    if known is None and sub == "drift":
        if flags and not flags.skipped_drift:
            flags.skipped_drift = True
            print("note: this cmkctl has no `drift` command yet; drift flags are checked against "
                  "its specified interface: " + " ".join(sorted(DRIFT_INTERFACE)))
        known = set(DRIFT_INTERFACE)
    elif known is None:
        if flags and flags.cmkctl:
            problem(where, f"`cmkctl {sub}` is not a cmkctl command")
        return sub
    if flags and flags.global_flags:
        known |= flags.global_flags
    for i, arg in enumerate(args[1:], start=1):
        if not arg.startswith("-"):
            continue
        name = arg.split("=", 1)[0]
        if name not in known:
            problem(where, f"`cmkctl {sub}` has no flag {name}")
        value = args[i + 1] if i + 1 < len(args) else ""
        if name == "--format" and value not in FORMATS.get(sub, {value}):
            problem(where, f"`cmkctl {sub} --format {value}`: not one of {sorted(FORMATS[sub])}")
        if name == "--target" and value != "azure":
            problem(where, f"`cmkctl {sub}` runs against --target {value}, not azure")
        if name == "--shard" and not re.fullmatch(r"\S+/[0-9]+", value):
            problem(where, f"--shard {value}: expected INDEX/COUNT")
    return sub


def shard_count(args):
    for i, arg in enumerate(args):
        if arg == "--shard" and i + 1 < len(args):
            match = re.fullmatch(r".*/([0-9]+)", args[i + 1])
            return int(match.group(1)) if match else None
    return None


def check_workflow(path, doc, text, flags, seen_commands):
    name = os.path.basename(path)
    if "AZURE_CLIENT_SECRET" in text or re.search(r"client[-_]secret", text, re.I):
        problem(path, "mentions a client secret: these workflows log in by OIDC only")
    for match in re.finditer(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", text, re.M):
        ref, rest = match.group(1), match.group(2)
        if ref.startswith("./") or ref.startswith("docker://"):
            continue
        if not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref):
            problem(path, f"action {ref} is not pinned to a full commit SHA")
        elif not re.search(r"#\s*v[0-9]", rest):
            problem(path, f"action {ref} has no `# vX.Y.Z` comment naming the pinned version")
    if doc.get("permissions") != {}:
        problem(path, "top-level permissions must be {} (each job asks for what it needs)")
    if "concurrency" not in doc:
        problem(path, "no concurrency group")
    jobs = doc.get("jobs", {})
    for job_name, job in jobs.items():
        where = f"{path}: job {job_name}"
        perms = job.get("permissions")
        if not isinstance(perms, dict):
            problem(where, "no job-level permissions map")
            perms = {}
        uploads_sarif = any(isinstance(step, dict) and str(step.get("uses", "")).startswith(
            "github/codeql-action/upload-sarif@") for step in job.get("steps", []))
        for scope, level in perms.items():
            if level == "write" and scope not in {"id-token", "pull-requests"} and not (
                    scope == "security-events" and uploads_sarif):
                problem(where, f"permission {scope}: write is more than these workflows need")
        if "timeout-minutes" not in job:
            problem(where, "no timeout-minutes")
        scripts = [step.get("run", "") for step in job.get("steps", []) if isinstance(step, dict)]
        commands = [c for s in scripts for c in cmkctl_command_lines(s)]
        azure = any("--target" in c and "azure" in c for c in commands)
        if azure:
            if perms.get("id-token") != "write":
                problem(where, "runs cmkctl against Azure without `id-token: write`")
            joined = "\n".join(scripts)
            for needed in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                           "audience=api%3A%2F%2FAzureADTokenExchange", "AZURE_FEDERATED_TOKEN_FILE",
                           "AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
                if needed not in joined:
                    problem(where, f"the OIDC login does not use {needed}")
            env_values = " ".join(str(v) for s in job.get("steps", []) for v in (s.get("env") or {}).values())
            for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
                if not re.search(r"\$\{\{\s*vars\.[A-Z_]*" + var.split("_", 1)[1], env_values):
                    problem(where, f"{var} does not come from a repository variable (vars.*)")
        for args in commands:
            sub = check_cmkctl_command(where, args, flags)
            seen_commands.append((name, job_name, job, args))
            if sub == "drift":
                check_drift_matrix(where, job, args)


def check_drift_matrix(where, job, args):
    count = shard_count(args)
    shards = get(job, "strategy", "matrix", "shard")
    if count is None:
        problem(where, "cmkctl drift without --shard INDEX/COUNT")
    elif not any(a.startswith("${{matrix.shard}}/") for a in args):
        problem(where, "--shard does not take its index from ${{ matrix.shard }}")
    elif shards != list(range(count)):
        problem(where, f"matrix.shard {shards} does not cover --shard .../{count} (0..{count - 1})")
    if get(job, "strategy", "fail-fast") is not False:
        problem(where, "the shard matrix must not fail fast: every shard reports")


def check_workflow_set(commands, workflows, workflow_dir):
    """What the three workflows promise together."""
    by_file = {}
    for name, job_name, job, args in commands:
        by_file.setdefault(name, []).append((job_name, job, args))
    expected = {
        "cmkctl-plan.yml": ["plan", "-f", "manifests", "--target", "azure", "--format", "markdown",
                            "--out", "plan.json", "--detailed-exitcode"],
        "cmkctl-drift.yml": ["drift", "-f", "manifests", "--target", "azure", "--format", "markdown",
                             "--summary", "drift-summary.json", "--shard"],
        "cmkctl-apply.yml": ["apply", "plan.json", "--auto-approve", "--target", "azure"],
    }
    for name, want in expected.items():
        if name not in workflows:
            problem(os.path.join(workflow_dir, name), "missing")
            continue
        got = [args for _, _, args in by_file.get(name, [])]
        if not any(args[:len(want)] == want for args in got):
            problem(os.path.join(workflow_dir, name), f"does not run `cmkctl {' '.join(want)}`; runs {got}")
    plan, drift, apply = (workflows.get(n) for n in expected)
    if plan:
        on = plan["doc"].get("on", {})
        if "pull_request" not in on or "pull_request_target" in on:
            problem(os.path.join(workflow_dir, "cmkctl-plan.yml"), "must run on pull_request (never pull_request_target)")
        text = plan["text"]
        for needed in ("--detailed-exitcode", "<!-- cmkctl-plan -->", "PATCH", "plan.json"):
            if needed not in text:
                problem(os.path.join(workflow_dir, "cmkctl-plan.yml"), f"missing {needed!r} (comment updated in place, saved plan)")
        if not re.search(r"0\).*\n\s*2\)", text):
            problem(os.path.join(workflow_dir, "cmkctl-plan.yml"), "does not treat exit 2 (changes) as success")
    if drift:
        on = drift["doc"].get("on", {})
        if not get(on, "schedule", 0, "cron"):
            problem(os.path.join(workflow_dir, "cmkctl-drift.yml"), "no cron schedule")
        report = [j for j in drift["doc"].get("jobs", {}).values() if j.get("needs") == "drift"]
        if not report or report[0].get("if") != "always()":
            problem(os.path.join(workflow_dir, "cmkctl-drift.yml"), "no `if: always()` job merging the shards after `drift`")
        text = drift["text"]
        for code in ("4)", "5)", "6)"):
            if code not in text:
                problem(os.path.join(workflow_dir, "cmkctl-drift.yml"), f"exit code {code[0]} is not interpreted")
    if apply:
        on = apply["doc"].get("on", {})
        if get(on, "push", "branches") != ["main"]:
            problem(os.path.join(workflow_dir, "cmkctl-apply.yml"), "must run on push to main")
        text = apply["text"]
        if "cmkctl-plan.yml" not in text or "run-id:" not in text:
            problem(os.path.join(workflow_dir, "cmkctl-apply.yml"), "does not download the plan artifact of the cmkctl-plan.yml run")
        artifact = "name: cmkctl-plan-pr${{"
        if not plan or artifact not in plan["text"] or artifact not in text:
            problem(os.path.join(workflow_dir, "cmkctl-apply.yml"), "downloads an artifact name the plan workflow does not upload")
        if get(apply["doc"], "concurrency", "cancel-in-progress") is not False:
            problem(os.path.join(workflow_dir, "cmkctl-apply.yml"), "applies must queue, never cancel each other")


def check_kubernetes(objects, kustomization, kdir, flags):
    by_kind = {}
    for path, doc in objects:
        by_kind.setdefault(doc.get("kind"), []).append((path, doc))
    accounts = {get(d, "metadata", "name"): (p, d) for p, d in by_kind.get("ServiceAccount", [])}
    configmaps = {get(d, "metadata", "name"): (p, d) for p, d in by_kind.get("ConfigMap", [])}
    cronjobs = by_kind.get("CronJob", [])
    if not cronjobs:
        problem(kdir, "no CronJob")
    for path, cron in cronjobs:
        spec = cron.get("spec", {})
        job = get(spec, "jobTemplate", "spec", default={})
        pod = get(job, "template", "spec", default={})
        labels = get(job, "template", "metadata", "labels", default={})
        if spec.get("concurrencyPolicy") != "Forbid":
            problem(path, "concurrencyPolicy must be Forbid")
        for field in ("activeDeadlineSeconds", "backoffLimit"):
            if not isinstance(job.get(field), int):
                problem(path, f"jobTemplate.spec.{field} is not set")
        if job.get("completionMode") != "Indexed":
            problem(path, "completionMode must be Indexed")
        if labels.get("azure.workload.identity/use") != "true":
            problem(path, 'pod label azure.workload.identity/use must be the string "true"')
        account = pod.get("serviceAccountName")
        if account not in accounts:
            problem(path, f"serviceAccountName {account!r} is not a ServiceAccount in {kdir}")
        elif not re.fullmatch(r"[0-9a-fA-F-]{36}", str(get(accounts[account][1], "metadata",
                                                          "annotations", "azure.workload.identity/client-id",
                                                          default=""))):
            problem(accounts[account][0], "no azure.workload.identity/client-id annotation (a GUID)")
        pod_security = pod.get("securityContext", {})
        if pod_security.get("runAsNonRoot") is not True:
            problem(path, "pod securityContext.runAsNonRoot must be true")
        rules = get(job, "podFailurePolicy", "rules", default=[])
        fail_index = {c for r in rules if r.get("action") in ("FailIndex", "FailJob")
                      for c in get(r, "onExitCodes", "values", default=[])}
        if not {5, 6} <= fail_index:
            problem(path, "exit codes 5 (risky) and 6 (unobservable) must fail without a retry")
        for volume in pod.get("volumes", []):
            name = get(volume, "configMap", "name")
            if name is not None and name not in configmaps:
                problem(path, f"volume {volume.get('name')} uses ConfigMap {name!r}, not in {kdir}")
        for container in pod.get("containers", []):
            where = f"{path}: container {container.get('name')}"
            security = container.get("securityContext", {})
            if security.get("readOnlyRootFilesystem") is not True:
                problem(where, "readOnlyRootFilesystem must be true")
            if security.get("allowPrivilegeEscalation") is not False:
                problem(where, "allowPrivilegeEscalation must be false")
            if "ALL" not in get(security, "capabilities", "drop", default=[]):
                problem(where, "capabilities must drop ALL")
            if security.get("runAsNonRoot") is not True and pod_security.get("runAsNonRoot") is not True:
                problem(where, "must run as non-root")
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if get(container, "resources", kind, resource) is None:
                        problem(where, f"no resources.{kind}.{resource}")
            for env in container.get("env", []):
                if env.get("name", "").startswith("AZURE_"):
                    problem(where, f"sets {env['name']}: the workload identity webhook injects it "
                                   "(and does not override a value set here)")
            script = " ".join(container.get("command", []) + container.get("args", []))
            commands = cmkctl_command_lines("\n".join(container.get("args", [])))
            if not commands:
                problem(where, "runs no cmkctl command")
            for args in commands:
                sub = check_cmkctl_command(where, args, flags)
                if sub != "drift":
                    continue
                count = shard_count(args)
                if not any("JOB_COMPLETION_INDEX" in a for a in args):
                    problem(where, "--shard does not use JOB_COMPLETION_INDEX")
                if count is None or job.get("completions") != count or job.get("parallelism") != count:
                    problem(path, f"completions {job.get('completions')} and parallelism "
                                  f"{job.get('parallelism')} must both equal the shard count {count}")
            if "/bin/sh" in script and not re.search(r'"\$code"\s+-eq\s+4\s*\]\s*;\s*then\s+exit\s+0', script):
                problem(where, "exit code 4 (expected drift only) must end the pod successfully")
    if kustomization is None:
        problem(kdir, "no kustomization.yaml")
        return
    listed = set(kustomization.get("resources", []))
    present = {os.path.basename(p) for p, _ in objects}
    for missing in sorted(present - listed):
        problem(os.path.join(kdir, "kustomization.yaml"), f"does not list {missing}")
    for extra in sorted(listed - present):
        problem(os.path.join(kdir, "kustomization.yaml"), f"lists {extra}, which is not there")
    images = {i.get("name") for i in kustomization.get("images", [])}
    for _, cron in cronjobs:
        for container in get(cron, "spec", "jobTemplate", "spec", "template", "spec", "containers",
                             default=[]):
            if container.get("image") not in images:
                problem(kdir, f"image {container.get('image')!r} is not set in kustomization images")


def check_tree(deploy_dir, schema_dir, flags, schemas):
    workflows, commands, objects = {}, [], []
    kustomization, kdir = None, os.path.join(deploy_dir, "kubernetes")
    files = sorted(os.path.join(root, f) for root, _, names in os.walk(deploy_dir)
                   for f in names if f.endswith((".yml", ".yaml")))
    if not files:
        problem(deploy_dir, "no YAML files")
    for path in files:
        relative = os.path.relpath(path, deploy_dir)
        is_workflow = relative.startswith(os.path.join("github", "workflows") + os.sep)
        docs, text = load_documents(path, WorkflowLoader if is_workflow else UniqueKeyLoader)
        if docs is None:
            continue
        if not docs:
            problem(path, "no YAML document")
        for doc in docs:
            if is_workflow:
                validate(path, doc, schemas["github-workflow.json"], "github-workflow")
                if isinstance(doc, dict):
                    workflows[os.path.basename(path)] = {"doc": doc, "text": text}
                    check_workflow(path, doc, text, flags, commands)
            elif os.path.basename(path) == "kustomization.yaml":
                validate(path, doc, schemas["kustomization.json"], "kustomization")
                kustomization, kdir = doc, os.path.dirname(path)
            elif isinstance(doc, dict) and (doc.get("apiVersion"), doc.get("kind")) in KUBERNETES_SCHEMAS:
                name = KUBERNETES_SCHEMAS[(doc["apiVersion"], doc["kind"])]
                if name not in schemas:
                    schemas[name] = load_schema(schema_dir, name)
                validate(path, doc, schemas[name], f"{doc['kind']} {doc['apiVersion']}")
                objects.append((path, doc))
            else:
                kind = (doc.get("apiVersion"), doc.get("kind")) if isinstance(doc, dict) else type(doc).__name__
                problem(path, f"no vendored schema for {kind}: vendor it in tests/data/schemas/ first")
    check_workflow_set(commands, workflows, os.path.join(deploy_dir, "github", "workflows"))
    check_kubernetes(objects, kustomization, kdir, flags)
    return len(files)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("schema_dir")
    parser.add_argument("deploy_dirs", nargs="+", metavar="deploy_dir")
    parser.add_argument("--cmkctl")
    options = parser.parse_args()
    flags = CmkctlFlags(options.cmkctl) if options.cmkctl else None
    if options.cmkctl and flags.global_flags is None:
        print(f"FAIL {options.cmkctl}: `cmkctl --help` failed")
        return 1
    schemas = {name: load_schema(options.schema_dir, name)
               for name in ("github-workflow.json", "kustomization.json")}
    failed = 0
    for deploy_dir in options.deploy_dirs:
        del problems[:]
        count = check_tree(deploy_dir, options.schema_dir, flags, schemas)
        for p in problems:
            print("FAIL " + p)
        print(f"{deploy_dir}: {count} files, {len(problems)} problems")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
