#!/usr/bin/env python3
"""Rewrites each scenario's "rules" list: the catalog rules the scenario exercises,
as judged when the whole library plays against the embedded reference server.

A rule is "not run" (never inconclusive) when every scenario that lists it was
skipped or left out, so the lists must say which rules each scenario exercises.
The expectations stay hand-written; this only keeps that metadata true.
usage: update-scenario-rules.py TASKCONFORM SCENARIO_DIR [--check]
--check changes nothing and exits 1 when a list is not what the scenario exercises,
or when a catalog rule is listed by no scenario.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

taskconform, scenario_dir = sys.argv[1], sys.argv[2]
check = "--check" in sys.argv[3:]
with tempfile.TemporaryDirectory() as out:
    subprocess.run([taskconform, "run", "--scenarios", scenario_dir, "--report-dir", out], check=True,
                   stdout=subprocess.DEVNULL)
    report = json.load(open(os.path.join(out, "report.json")))
exercises = {}
for rule in report["rules"]:
    for res in rule["results"]:
        if res["outcome"] in ("PASS", "FAIL"):  # an inconclusive one did not really exercise it
            exercises.setdefault(res["scenario"], []).append(rule["id"])
changed = 0
listed = set()
for name in sorted(os.listdir(scenario_dir)):
    if not name.endswith(".json"):
        continue
    path = os.path.join(scenario_dir, name)
    text = open(path).read()
    doc = json.loads(text)
    rules = exercises.get(doc["name"], [])
    if not rules:  # a scenario the live runner skips (simulator only) keeps its list
        print(f"{path}: not played live; its list stays {doc['rules']}")
        continue
    listed.update(rules)
    new = re.sub(r'"rules":\s*\[[^\]]*\]', '"rules": ' + json.dumps(rules), text, count=1)
    if new != text:
        changed += 1
        if check:
            print(f"{path}: lists {doc['rules']}, exercises {rules}")
        else:
            open(path, "w").write(new)
unlisted = [r["id"] for r in report["rules"] if r["id"] not in listed]
if unlisted:
    print("rules no scenario exercises: " + " ".join(unlisted))
if check:
    sys.exit(1 if changed or unlisted else 0)
print(f"rewrote the rules list of {changed} scenarios")
