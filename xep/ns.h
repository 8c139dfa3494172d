/*
 * ns.h - every XML namespace the component speaks, in one place.
 */
#ifndef BC_NS_H
#define BC_NS_H

#define NS_CLIENT         "jabber:client"
#define NS_COMPONENT      "jabber:component:accept"
#define NS_STANZAS        "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_DISCO_INFO     "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS    "http://jabber.org/protocol/disco#items"
#define NS_DATA           "jabber:x:data"
#define NS_SERVERINFO     "http://jabber.org/network/serverinfo"
#define NS_VERSION        "jabber:iq:version"
#define NS_PING           "urn:xmpp:ping"
#define NS_REGISTER       "jabber:iq:register"
#define NS_COMMANDS       "http://jabber.org/protocol/commands"
#define NS_BLOCKING       "urn:xmpp:blocking"
#define NS_BLOCKING_ERRORS "urn:xmpp:blocking:errors"
#define NS_REPORTING      "urn:xmpp:reporting:1"
/* XEP-0377 0.2: the older report shape and its disco features. */
#define NS_REPORTING0     "urn:xmpp:reporting:0"
#define NS_REPORTING0_SPAM "urn:xmpp:reporting:reason:spam:0"
#define NS_REPORTING0_ABUSE "urn:xmpp:reporting:reason:abuse:0"
#define NS_MUC            "http://jabber.org/protocol/muc"
#define NS_MUC_USER       "http://jabber.org/protocol/muc#user"
#define NS_MUC_ADMIN      "http://jabber.org/protocol/muc#admin"
#define NS_MUC_OWNER      "http://jabber.org/protocol/muc#owner"
#define NS_MUC_ROOMCONFIG "http://jabber.org/protocol/muc#roomconfig"
#define NS_MUC_ROOMINFO   "http://jabber.org/protocol/muc#roominfo"
#define NS_MUC_REQUEST    "http://jabber.org/protocol/muc#request"
#define NS_MUC_STABLE_ID  "http://jabber.org/protocol/muc#stable_id"
#define NS_MUC_SELF_PING  "http://jabber.org/protocol/muc#self-ping-optimization"
#define NS_CONFERENCE     "jabber:x:conference"
#define NS_DELAY          "urn:xmpp:delay"
#define NS_NICK           "http://jabber.org/protocol/nick"
#define NS_SID            "urn:xmpp:sid:0"
#define NS_MAM            "urn:xmpp:mam:2"
#define NS_FORWARD        "urn:xmpp:forward:0"
#define NS_OCCUPANT_ID    "urn:xmpp:occupant-id:0"
#define NS_PRIVILEGE      "urn:xmpp:privilege:2"
#define NS_PRIVILEGE_1    "urn:xmpp:privilege:1"
#define NS_ROSTER         "jabber:iq:roster"
#define NS_GATEWAY        "jabber:iq:gateway"
#define NS_JID            "urn:xmpp:jid:0"
#define NS_RETRACT        "urn:xmpp:message-retract:1"
#define NS_RETRACT_0      "urn:xmpp:message-retract:0"
#define NS_FASTEN         "urn:xmpp:fasten:0"
#define NS_MODERATE       "urn:xmpp:message-moderate:1"
#define NS_RSM            "http://jabber.org/protocol/rsm"
/* A room report a rooms instance sends on to D (xep/reports.c): between
 * the service's own daemons only. */
#define NS_BC_FILED       "urn:xmpp:backchannel:filed:0"
#define NS_FALLBACK       "urn:xmpp:fallback:0"
#define NS_XDATA_VALIDATE "http://jabber.org/protocol/xdata-validate"
#define NS_MAM_EXTENDED   "urn:xmpp:mam:2#extended"
#define NS_RETRACT_TOMBSTONE "urn:xmpp:message-retract:1#tombstone"
#define NS_HATS           "urn:xmpp:hats:0"

/* Every namespace above with a short prefix, for XPath in the tests
 * (tests/unit/harness.h): X(prefix, NS_*).  A new NS_* gets its line here
 * too; prefixes are unique NCNames. */
#define NS_PREFIXES(X)                                                         \
	X("client", NS_CLIENT)                                                 \
	X("component", NS_COMPONENT)                                           \
	X("st", NS_STANZAS)                                                    \
	X("disco", NS_DISCO_INFO)                                              \
	X("items", NS_DISCO_ITEMS)                                             \
	X("data", NS_DATA)                                                     \
	X("serverinfo", NS_SERVERINFO)                                         \
	X("ver", NS_VERSION)                                                   \
	X("ping", NS_PING)                                                     \
	X("reg", NS_REGISTER)                                                  \
	X("cmd", NS_COMMANDS)                                                  \
	X("block", NS_BLOCKING)                                                \
	X("blk", NS_BLOCKING_ERRORS)                                           \
	X("rep", NS_REPORTING)                                                 \
	X("rep0", NS_REPORTING0)                                               \
	X("muc", NS_MUC)                                                       \
	X("muc_user", NS_MUC_USER)                                             \
	X("muc_admin", NS_MUC_ADMIN)                                           \
	X("muc_owner", NS_MUC_OWNER)                                           \
	X("roomconfig", NS_MUC_ROOMCONFIG)                                     \
	X("roominfo", NS_MUC_ROOMINFO)                                         \
	X("mucreq", NS_MUC_REQUEST)                                            \
	X("stableid", NS_MUC_STABLE_ID)                                        \
	X("selfping", NS_MUC_SELF_PING)                                        \
	X("conf", NS_CONFERENCE)                                               \
	X("delay", NS_DELAY)                                                   \
	X("nick", NS_NICK)                                                     \
	X("sid", NS_SID)                                                       \
	X("mam", NS_MAM)                                                       \
	X("fwd", NS_FORWARD)                                                   \
	X("occupant", NS_OCCUPANT_ID)                                          \
	X("priv", NS_PRIVILEGE)                                                \
	X("priv1", NS_PRIVILEGE_1)                                             \
	X("roster", NS_ROSTER)                                                 \
	X("gateway", NS_GATEWAY)                                               \
	X("jid", NS_JID)                                                       \
	X("retract", NS_RETRACT)                                               \
	X("retract0", NS_RETRACT_0)                                            \
	X("fasten", NS_FASTEN)                                                 \
	X("moderate", NS_MODERATE)                                             \
	X("rsm", NS_RSM)                                                       \
	X("filed", NS_BC_FILED)                                                \
	X("fallback", NS_FALLBACK)                                             \
	X("xdv", NS_XDATA_VALIDATE)                                            \
	X("mamx", NS_MAM_EXTENDED)                                             \
	X("tombstone", NS_RETRACT_TOMBSTONE)                                   \
	X("hats", NS_HATS)

#endif
