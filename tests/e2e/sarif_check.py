"""Checks a SARIF log against the vendored SARIF 2.1.0 schema, then what
cmkctl promises beyond the schema: every rule a result names is listed, each
result has a stable fingerprint, and locations are relative to the repository.

Usage: sarif_check.py SCHEMA LOG [--outside-ok] [RULE_ID ...]
(--outside-ok: the manifests lie outside the repository, so file:// URIs are right.)
Prints one line per problem and exits 1 on any; prints the rule ids found.
"""
import json
import sys

import jsonschema


def main():
    schema_path, log_path, *expected = sys.argv[1:]
    outside_ok = "--outside-ok" in expected
    expected = [e for e in expected if e != "--outside-ok"]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(log_path, encoding="utf-8") as f:
        log = json.load(f)
    problems = [f"schema: {e.message} at {'/'.join(map(str, e.absolute_path))}"
                for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
    run = log["runs"][0] if log.get("runs") else {}
    rules = [r["id"] for r in run.get("tool", {}).get("driver", {}).get("rules", [])]
    found = []
    for i, result in enumerate(run.get("results", [])):
        rule = result.get("ruleId")
        found.append(rule)
        if rule not in rules or rules.index(rule) != result.get("ruleIndex"):
            problems.append(f"result {i}: rule {rule} is not listed at ruleIndex")
        if not result.get("partialFingerprints"):
            problems.append(f"result {i}: no partialFingerprints")
        for loc in result.get("locations", []):
            uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            if outside_ok and uri.startswith("file:///"):
                pass
            elif uri.startswith("/") or uri.startswith("file:") or ".." in uri.split("/"):
                problems.append(f"result {i}: location {uri} is not relative to the repository")
            if loc["physicalLocation"]["region"]["startLine"] < 1:
                problems.append(f"result {i}: no line")
    for rule in expected:
        if rule not in found:
            problems.append(f"expected a result of rule {rule}")
    for p in problems:
        print(p)
    print("rules:", " ".join(sorted(set(found))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
