"""Reporters: live console output, JSON, JUnit XML and a self-contained HTML report."""

from __future__ import annotations

from conformance.reporters._console import ConsoleReporter
from conformance.reporters._data import fix_list, run_to_dict
from conformance.reporters._files import junit_xml, write_json, write_junit
from conformance.reporters._html import html_report, write_html

__all__ = [
    "ConsoleReporter",
    "fix_list",
    "html_report",
    "junit_xml",
    "run_to_dict",
    "write_html",
    "write_json",
    "write_junit",
]
