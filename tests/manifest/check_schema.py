#!/usr/bin/python3
"""Every document of every manifest under manifests/ validates against
docs/cmkctl-manifest.schema.json, and documents the loader refuses (a wrong
consumer name per binding kind, an unknown member, two principals) do not.

Usage: check_schema.py REPO"""
import copy
import json
import pathlib
import sys

import jsonschema
import yaml


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2's core schema, as editors' schema checkers read YAML: no
    timestamp type, so `expiry: 2027-06-30T00:00:00Z` stays a string."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def main(repo: pathlib.Path) -> int:
    schema = json.loads((repo / "docs/cmkctl-manifest.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    seen = {}
    files = sorted((repo / "manifests").rglob("*.yaml"))
    for path in files:
        if "sandbox-seed" in path.name or path.name.startswith("seed"):
            continue
        for doc in yaml.load_all(path.read_text(), Loader=Yaml12Loader):
            if not isinstance(doc, dict) or "kind" not in doc:
                continue
            errors = list(validator.iter_errors(doc))
            if errors:
                failures += 1
                print(f"FAIL {path.relative_to(repo)}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}: "
                      f"{errors[0].message}")
            seen.setdefault(doc["kind"], doc)
    print(f"{len(files)} manifest files; kinds seen: {', '.join(sorted(seen))}")

    # Documents written here for the kinds, then broken one way each.
    good = [
        {"apiVersion": "cmkctl/v1", "kind": "SqlTdeBinding", "metadata": {"name": "tde", "owner": "db"},
         "spec": {"sqlServer": "bank-sql-01", "key": "bank-cmk", "keyVersion": "auto",
                  "identity": {"userAssigned": "bank-uami"}}},
        {"apiVersion": "cmkctl/v1", "kind": "DiskEncryptionSetBinding", "metadata": {"name": "des", "owner": "vm"},
         "spec": {"diskEncryptionSet": "Bank_DES-01", "key": "bank-cmk", "identity": "system"}},
        {"apiVersion": "cmkctl/v1", "kind": "RoleAssignment", "metadata": {"name": "ra", "owner": "db"},
         "spec": {"principal": {"sqlServer": "bank-sql-01"}, "role": "Key Vault Crypto Service Encryption User",
                  "scope": {"key": "bank-cmk"}}},
    ]
    for doc in good:
        for e in validator.iter_errors(doc):
            failures += 1
            print(f"FAIL valid {doc['kind']} refused: {e.message}")
    bad = []
    d = copy.deepcopy(good[0]); d["spec"]["sqlServer"] = "Bank_SQL"; bad.append(("upper-case SQL server name", d))
    d = copy.deepcopy(good[0]); d["spec"]["storageAccount"] = d["spec"].pop("sqlServer"); bad.append(("storageAccount in a SqlTdeBinding", d))
    d = copy.deepcopy(good[1]); d["spec"]["diskEncryptionSet"] = "des.01"; bad.append(("dot in a DES name", d))
    d = copy.deepcopy(good[1]); del d["spec"]["key"]; bad.append(("DES binding without key", d))
    d = copy.deepcopy(good[1]); d["spec"]["keyVersion"] = "latest"; bad.append(("keyVersion neither auto nor hex", d))
    d = copy.deepcopy(good[2]); d["spec"]["principal"]["diskEncryptionSet"] = "des01"; bad.append(("two principals", d))
    for what, doc in bad:
        if not list(validator.iter_errors(doc)):
            failures += 1
            print(f"FAIL accepted: {what}")
    print(f"{len(good)} valid and {len(bad)} broken documents checked")
    if failures:
        print(f"{failures} failure(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
