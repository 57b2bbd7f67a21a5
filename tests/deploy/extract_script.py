#!/usr/bin/python3
"""Prints one shell script embedded in a deploy/ file, so that a test can run it.

  extract_script.py WORKFLOW.yml JOB STEP_NAME [EXPRESSION=VALUE ...]
      the `run:` script of the step named STEP_NAME in job JOB, each GitHub expression
      ${{ EXPRESSION }} replaced by VALUE (an expression left without a value is an error),
      after `export NAME=VALUE` lines for the step's env: block
  extract_script.py CRONJOB.yaml --container NAME
      the container's `sh -c` script (its single argument)
"""

import re
import shlex
import sys

import yaml


def main(argv):
    path = argv[1]
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if argv[2] == "--container":
        pod = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        container = next(c for c in pod["containers"] if c["name"] == argv[3])
        if container.get("command") != ["/bin/sh", "-c"] or len(container.get("args", [])) != 1:
            sys.exit(f"{path}: container {argv[3]} is not a single `sh -c` script")
        print(container["args"][0], end="")
        return
    job, step_name = argv[2], argv[3]
    values = dict(a.split("=", 1) for a in argv[4:])
    steps = doc["jobs"][job]["steps"]
    step = next((s for s in steps if s.get("name") == step_name), None)
    if step is None:
        sys.exit(f"{path}: job {job} has no step named {step_name!r}")

    def substitute(match):
        expression = match.group(1).strip()
        if expression not in values:
            sys.exit(f"{path}: no value given for ${{{{ {expression} }}}}")
        return values[expression]

    # The step's env: block comes first, as the runner sets it.
    for name, value in (step.get("env") or {}).items():
        value = re.sub(r"\$\{\{(.*?)\}\}", substitute, str(value))
        print(f"export {name}={shlex.quote(value)}")
    print(re.sub(r"\$\{\{(.*?)\}\}", substitute, step["run"]), end="")


if __name__ == "__main__":
    main(sys.argv)
