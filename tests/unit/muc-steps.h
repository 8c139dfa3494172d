/*
 * muc-steps.h - the XEP-0045 stanzas the room tests send, addressed to
 * ROOM (which the including test defines).
 */
#ifndef BC_TEST_MUC_STEPS_H
#define BC_TEST_MUC_STEPS_H

#define JOIN(from, nick)                                                       \
	"<presence from='" from "' to='" ROOM "/" nick "'>"                    \
	"<x xmlns='" NS_MUC "'/></presence>"
#define JOINH(from, nick, hist)                                                \
	"<presence from='" from "' to='" ROOM "/" nick "'>"                    \
	"<x xmlns='" NS_MUC "'>" hist "</x></presence>"
#define LEAVE(from, nick)                                                      \
	"<presence type='unavailable' from='" from "' to='" ROOM "/" nick "'/>"
#define SAY(from, id, text)                                                    \
	"<message type='groupchat' id='" id "' from='" from "' to='" ROOM      \
	"'><body>" text "</body></message>"
#define OWNER_SET(from, id, payload)                                           \
	"<iq type='set' id='" id "' from='" from "' to='" ROOM "'>"            \
	"<query xmlns='" NS_MUC_OWNER "'>" payload "</query></iq>"
#define ADMIN_SET(from, id, payload)                                           \
	"<iq type='set' id='" id "' from='" from "' to='" ROOM "'>"            \
	"<query xmlns='" NS_MUC_ADMIN "'>" payload "</query></iq>"
#define ADMIN_GET(from, id, payload)                                           \
	"<iq type='get' id='" id "' from='" from "' to='" ROOM "'>"            \
	"<query xmlns='" NS_MUC_ADMIN "'>" payload "</query></iq>"
#define INSTANT "<x xmlns='" NS_DATA "' type='submit'/>"

#endif
