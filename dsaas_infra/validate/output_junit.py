"""JUnit XML report: one testsuite per stage, one failing testcase per error finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dsaas_infra.validate.findings import ERROR, Report


def to_xml(report: Report) -> ET.Element:
    root = ET.Element("testsuites", name="dsaas-infra validate")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for stage in report.stages:
        suite = ET.SubElement(root, "testsuite", name=stage.stage, time=f"{stage.seconds:.3f}")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        if stage.skipped_reason is not None:
            case = ET.SubElement(suite, "testcase", name=stage.stage, classname=f"validate.{stage.stage}")
            ET.SubElement(case, "skipped", message=stage.skipped_reason)
            counts["tests"] += 1
            counts["skipped"] += 1
        errors = [f for f in stage.findings if f.severity == ERROR]
        for f in errors:
            name = " ".join(x for x in (f.rule_id, f.address, f.location()) if x)
            case = ET.SubElement(suite, "testcase", name=name, classname=f"validate.{stage.stage}")
            failure = ET.SubElement(case, "failure", message=f.message, type=f.rule_id)
            failure.text = "\n".join(x for x in (f.location(), f.address, f.message, f.guideline) if x)
            counts["tests"] += 1
            counts["failures"] += 1
        if stage.skipped_reason is None and not errors:
            case = ET.SubElement(suite, "testcase", name=f"{stage.stage} passed", classname=f"validate.{stage.stage}")
            counts["tests"] += 1
        others = [f for f in stage.findings if f.severity != ERROR]
        if others:
            out = ET.SubElement(suite, "system-out")
            out.text = "\n".join(f"{f.severity} {f.rule_id} {f.location()} {f.address or ''} {f.message}"
                                 for f in others)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def render(report: Report) -> str:
    root = to_xml(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
