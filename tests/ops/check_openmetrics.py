#!/usr/bin/python3
"""Parses an OpenMetrics exposition with a real parser (Debian's
python3-prometheus-client) and checks that backchanneld's families are all
there with the right types; with --sample, also the values that
"test_metrics --print" sets.

Usage: check_openmetrics.py [--sample] < exposition
Importable: families(text) -> {name: family} (raises on a bad exposition).
"""

import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

# Every family backchanneld exports, with its type.
FAMILIES = {
    "backchannel_build": "info",
    "backchannel_start_time_seconds": "gauge",
    "backchannel_stanzas_received": "counter",
    "backchannel_stanzas_sent": "counter",
    "backchannel_connected": "gauge",
    "backchannel_reconnects": "counter",
    "backchannel_relays": "counter",
    "backchannel_requests_held": "counter",
    "backchannel_requests_accepted": "counter",
    "backchannel_requests_declined": "counter",
    "backchannel_reports": "counter",
    "backchannel_rooms": "gauge",
    "backchannel_occupants": "gauge",
    "backchannel_outbox_stanzas": "gauge",
    "backchannel_store_commit_seconds": "histogram",
}


def families(text):
    """The parsed families by name; fails on anything the parser refuses
    (a missing "# EOF", a bad name, unsorted buckets, ...)."""
    found = {}
    for fam in text_string_to_metric_families(text):
        if fam.name in found:
            raise AssertionError("family %s given twice" % fam.name)
        found[fam.name] = fam
    for name, kind in FAMILIES.items():
        if name not in found:
            raise AssertionError("no family %s in:\n%s" % (name, text))
        if found[name].type != kind:
            raise AssertionError("%s is a %s, not a %s" % (
                name, found[name].type, kind))
    extra = set(found) - set(FAMILIES)
    if extra:
        raise AssertionError("families not checked here: %s" % sorted(extra))
    return found


def value(fams, family, sample, **labels):
    """The value of one sample of a family."""
    for s in fams[family].samples:
        if s.name == sample and s.labels == labels:
            return s.value
    raise AssertionError("no sample %s%s in %s" % (sample, labels, family))


def check_sample(fams):
    """The values test_metrics --print sets (see fill() there)."""
    d, m = "bc.example.org", "rooms.bc.example.org"
    want = [
        ("backchannel_stanzas_received", "backchannel_stanzas_received_total", {"domain": d}, 12),
        ("backchannel_stanzas_received", "backchannel_stanzas_received_total", {"domain": m}, 3),
        ("backchannel_stanzas_sent", "backchannel_stanzas_sent_total", {"domain": d}, 10),
        ("backchannel_connected", "backchannel_connected", {"domain": m}, 1),
        ("backchannel_reconnects", "backchannel_reconnects_total", {"domain": d}, 1),
        ("backchannel_relays", "backchannel_relays_total", {}, 7),
        ("backchannel_requests_held", "backchannel_requests_held_total", {}, 4),
        ("backchannel_requests_accepted", "backchannel_requests_accepted_total", {}, 2),
        ("backchannel_requests_declined", "backchannel_requests_declined_total", {}, 1),
        ("backchannel_reports", "backchannel_reports_total", {}, 1),
        ("backchannel_rooms", "backchannel_rooms", {}, 2),
        ("backchannel_occupants", "backchannel_occupants", {}, 5),
        ("backchannel_outbox_stanzas", "backchannel_outbox_stanzas", {}, 9),
        ("backchannel_start_time_seconds", "backchannel_start_time_seconds", {}, 1764060651.123),
        ("backchannel_store_commit_seconds", "backchannel_store_commit_seconds_bucket", {"le": "0.005"}, 3),
        ("backchannel_store_commit_seconds", "backchannel_store_commit_seconds_bucket", {"le": "+Inf"}, 4),
        ("backchannel_store_commit_seconds", "backchannel_store_commit_seconds_count", {}, 4),
    ]
    for fam, sample, labels, v in want:
        got = value(fams, fam, sample, **labels)
        if abs(got - v) > 1e-6:
            raise AssertionError("%s%s = %s, expected %s" % (sample, labels, got, v))
    got = value(fams, "backchannel_store_commit_seconds",
                "backchannel_store_commit_seconds_sum")
    if abs(got - 5.00605) > 1e-6:
        raise AssertionError("commit sum %s" % got)
    info = fams["backchannel_build"].samples[0]
    if info.name != "backchannel_build_info" or "version" not in info.labels:
        raise AssertionError("bad info sample %s" % (info,))


def main():
    text = sys.stdin.read()
    fams = families(text)
    if "--sample" in sys.argv[1:]:
        check_sample(fams)
    print("openmetrics: %d families parsed and checked" % len(fams))


if __name__ == "__main__":
    main()
