/*
 * errors.h - the component's internal error codes.  Handlers return them;
 * the router turns each into one stanza error (RFC 6120 §8.3) through the
 * single table in component/router.c.
 */
#ifndef BC_ERRORS_H
#define BC_ERRORS_H

enum bc_error {
	BC_EBAD_REQUEST = -1,
	BC_ESERVICE_UNAVAILABLE = -2,
	BC_EITEM_NOT_FOUND = -3,
	BC_ENOT_ALLOWED = -4,
	BC_EFORBIDDEN = -5,
	BC_ENOT_ACCEPTABLE = -6,
	BC_EPOLICY_VIOLATION = -7,
	BC_ERESOURCE_CONSTRAINT = -8,
	BC_ECONFLICT = -9,
	BC_EINTERNAL = -10,
	BC_EFEATURE_NOT_IMPLEMENTED = -11,
	BC_EJID_MALFORMED = -12,
	BC_ENOT_AUTHORIZED = -13,
	BC_EREGISTRATION_REQUIRED = -14,
	BC_ERECIPIENT_UNAVAILABLE = -15,
	BC_EUNEXPECTED_REQUEST = -16,
	BC_EBLOCKED = -17,         /* not-acceptable + <blocked/> (XEP-0191) */
	BC_EREMOTE_SERVER_NOT_FOUND = -18,
	BC_EGONE = -19,
	BC_ERROR_MIN = -19,
};

#endif
