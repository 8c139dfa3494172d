#!/usr/bin/python3
"""Holds backchannel.doap against the module registry's disco features, so
that the list of XEPs we publish cannot drift from what we implement.

Usage: check_doap.py DOAP_FILE VERSION < features
where features is doap_features' output ("feature<TAB>where" lines) and
VERSION the package version.

Checked:
- the DOAP file is XEP-0453 DOAP: every SupportedXep names its XEP, a
  version and a known status;
- every feature the registry advertises belongs to a XEP we know the
  namespace of (a new module must be added to FEATURE_XEPS below) and
  that XEP is listed in the DOAP file as complete or partial;
- every XEP listed as implemented that has a disco feature advertises it,
  and every other listed XEP is in NOT_DISCOVERABLE: a claim must be
  backed by the registry or be one that disco cannot show;
- the release is the package version.
"""

import re
import sys
import xml.etree.ElementTree as ET

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DOAP = "http://usefulinc.com/ns/doap#"
XMPP = "https://linkmauve.fr/ns/xmpp-doap#"
STATUSES = {"complete", "partial", "planned", "deprecated", "removed",
            "wontfix"}

# Disco features and the XEP that defines each.
FEATURE_XEPS = {
    "http://jabber.org/protocol/disco#info": "0030",
    "http://jabber.org/protocol/disco#items": "0030",
    "http://jabber.org/protocol/commands": "0050",
    "jabber:iq:register": "0077",
    "jabber:iq:version": "0092",
    "urn:xmpp:blocking": "0191",
    "urn:xmpp:ping": "0199",
    "urn:xmpp:reporting:1": "0377",
    "urn:xmpp:reporting:0": "0377",
    "urn:xmpp:reporting:reason:spam:0": "0377",
    "urn:xmpp:reporting:reason:abuse:0": "0377",
    # The rooms on M, as they land.
    "http://jabber.org/protocol/muc": "0045",
    "http://jabber.org/protocol/muc#unique": "0045",
    "http://jabber.org/protocol/muc#stable_id": "0045",
    "http://jabber.org/protocol/muc#self-ping-optimization": "0410",
    "muc_persistent": "0045", "muc_membersonly": "0045",
    "muc_hidden": "0045", "muc_public": "0045", "muc_open": "0045",
    "muc_nonanonymous": "0045", "muc_semianonymous": "0045",
    "muc_moderated": "0045", "muc_unmoderated": "0045",
    "muc_passwordprotected": "0045", "muc_unsecured": "0045",
    "muc_temporary": "0045",
    "urn:xmpp:mam:2": "0313",
    "urn:xmpp:mam:2#extended": "0313",
    "urn:xmpp:sid:0": "0359",
    "urn:xmpp:occupant-id:0": "0421",
    "urn:xmpp:hats:0": "0317",
    "urn:xmpp:message-moderate:0": "0425",
    "urn:xmpp:message-moderate:1": "0425",
    "urn:xmpp:message-retract:0": "0424",
    "urn:xmpp:message-retract:1": "0424",
    "urn:xmpp:message-retract:1#tombstone": "0424",
    "http://jabber.org/protocol/rsm": "0059",
    "vcard-temp": "0054",
}

# XEPs that a component implements without a disco feature of its own, and
# why disco cannot show them.
NOT_DISCOVERABLE = {
    "0004": "data forms travel inside other protocols",
    "0082": "date and time formats",
    "0106": "JID escaping is an addressing convention",
    "0114": "the component protocol is between component and server",
    "0128": "extends disco#info itself",
    "0157": "published as a form inside disco#info",
    "0172": "a nick carried in presence",
    "0203": "delay stamps on delivered messages",
    "0297": "forwarded messages travel inside other protocols",
    "0356": "a permission granted by the server",
}


def fail(msg):
    print("check_doap: %s" % msg, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        fail("usage: check_doap.py DOAP_FILE VERSION < features")
    doap_path, version = sys.argv[1], sys.argv[2]
    features = set()
    for line in sys.stdin:
        if line.strip():
            features.add(line.split("\t")[0])
    if not features:
        fail("the registry advertised no feature: is the input empty?")

    root = ET.parse(doap_path).getroot()
    project = root.find("{%s}Project" % DOAP)
    if project is None:
        fail("%s: no doap:Project" % doap_path)
    revisions = [r.text for r in project.iter("{%s}revision" % DOAP)]
    if version not in revisions:
        fail("%s: no release %s (found %s)" % (doap_path, version, revisions))

    listed = {}
    for sx in project.iter("{%s}SupportedXep" % XMPP):
        xep = sx.find("{%s}xep" % XMPP)
        ref = xep.get("{%s}resource" % RDF) if xep is not None else None
        m = re.fullmatch(r"https://xmpp\.org/extensions/xep-(\d{4})\.html",
                         ref or "")
        if not m:
            fail("%s: a SupportedXep without a XEP address: %r" % (doap_path, ref))
        num = m.group(1)
        ver = (sx.findtext("{%s}version" % XMPP) or "").strip()
        status = (sx.findtext("{%s}status" % XMPP) or "").strip()
        if not re.fullmatch(r"\d+(\.\d+)+", ver):
            fail("XEP-%s: version %r is not a XEP version" % (num, ver))
        if status not in STATUSES:
            fail("XEP-%s: status %r is not one of %s" % (num, status,
                                                         sorted(STATUSES)))
        if num in listed:
            fail("XEP-%s is listed twice" % num)
        listed[num] = status

    implemented = {n for n, s in listed.items() if s in ("complete", "partial")}
    advertised_xeps = set()
    for f in sorted(features):
        if f not in FEATURE_XEPS:
            fail("the registry advertises %r, whose XEP this check does not "
                 "know: add it to FEATURE_XEPS in %s and the XEP to %s"
                 % (f, __file__, doap_path))
        advertised_xeps.add(FEATURE_XEPS[f])
    for num in sorted(advertised_xeps - implemented):
        fail("the registry advertises XEP-%s (%s) but %s does not list it "
             "as complete or partial" % (
                 num, ", ".join(sorted(f for f in features
                                       if FEATURE_XEPS[f] == num)),
                 doap_path))
    with_features = set(FEATURE_XEPS.values())
    for num in sorted(implemented - advertised_xeps):
        if num in with_features:
            fail("%s lists XEP-%s as %s, but the registry advertises none of "
                 "its features" % (doap_path, num, listed[num]))
        if num not in NOT_DISCOVERABLE:
            fail("%s lists XEP-%s, which neither the registry advertises nor "
                 "NOT_DISCOVERABLE explains" % (doap_path, num))
    print("check_doap: %d XEPs listed, %d advertised features, all accounted "
          "for" % (len(listed), len(features)))


if __name__ == "__main__":
    main()
