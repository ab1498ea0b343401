/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The backend report protocol, version 2: the datagrams in which backends
 * tell the agent which connection IDs they issue and retire. The wire format
 * and the agent's acceptance rules are specified in docs/report-protocol.md;
 * this is the C codec that backends (libquicsteer) and the agent share.
 * It encodes and decodes version 1 too, which agents accept only when
 * configured to, during an upgrade of their backends.
 *
 * Encoding and decoding are pure: no sockets, no allocation in this code,
 * no locks, no global state. An encoder or reader belongs to one thread at a
 * time; the caller serialises. The MAC itself is computed by libcrypto,
 * which on OpenSSL 3.0 allocates a context inside the call.
 *
 * Decoded structs hold integers in host order; addresses and ports stay in
 * network order, as in the map keys of abi.h, so they copy straight into a
 * struct qs_vip_key or qs_flow_key.
 */
#ifndef QUICSTEER_REPORT_H
#define QUICSTEER_REPORT_H

#include <stddef.h>
#include <linux/types.h>
#include "quicsteer/types.h"

#define QS_REPORT_MAGIC 0x51535250u /* "QSRP" */
#define QS_REPORT_VERSION 2
#define QS_REPORT_V1 1 /* no timestamp, random incarnations */
#define QS_REPORT_KEY_LEN 32 /* HMAC-SHA256 key */
#define QS_REPORT_MAC_LEN 32 /* HMAC-SHA256 output, the datagram's last bytes */
/* Version 2's header is version 1's and the timestamp after it. */
#define QS_REPORT_HDR_LEN 56
#define QS_REPORT_V1_HDR_LEN 48
#define QS_REPORT_REC_HDR_LEN 3 /* type u8, length be16 */

/*
 * 1232 bytes: the UDP payload that fits the IPv6 minimum MTU (1280 - 40 -
 * 8), so a report is never fragmented on any path. Bigger datagrams are
 * refused, smaller ones are fine.
 */
#define QS_REPORT_MAX_DGRAM 1232
#define QS_REPORT_MIN_DGRAM (QS_REPORT_HDR_LEN + QS_REPORT_MAC_LEN) /* 88 */
#define QS_REPORT_MAX_BODY (QS_REPORT_MAX_DGRAM - QS_REPORT_MIN_DGRAM) /* 1144 */
/* Empty-valued records (heartbeat, drain) are the smallest: 3 bytes each. */
#define QS_REPORT_MAX_RECORDS (QS_REPORT_MAX_BODY / QS_REPORT_REC_HDR_LEN) /* 381 */
/* The same for version 1, whose header is 8 bytes shorter. */
#define QS_REPORT_V1_MIN_DGRAM (QS_REPORT_V1_HDR_LEN + QS_REPORT_MAC_LEN) /* 80 */
#define QS_REPORT_V1_MAX_RECORDS \
	((QS_REPORT_MAX_DGRAM - QS_REPORT_V1_MIN_DGRAM) / QS_REPORT_REC_HDR_LEN) /* 384 */

/* Value lengths, without the 3-byte record header. */
#define QS_REPORT_HANDLE_LEN 8
#define QS_REPORT_CID_ISSUED_MAX (QS_REPORT_HANDLE_LEN + QS_CID_MAX_LEN) /* 28 */
#define QS_REPORT_HANDSHAKE_LEN 28 /* handle, address[16], port, family, pad */
#define QS_REPORT_CLOSED_LEN QS_REPORT_HANDLE_LEN
#define QS_REPORT_SNAPSHOT_PART_LEN 8 /* snapshot id, part, flags, pad */

enum qs_report_type {
	QS_REPORT_CID_ISSUED = 1, /* handle u64, CID */
	QS_REPORT_CID_RETIRED = 2, /* CID */
	QS_REPORT_HANDSHAKE_DONE = 3, /* handle u64, client address */
	QS_REPORT_CONN_CLOSED = 4, /* handle u64 */
	QS_REPORT_HEARTBEAT = 5, /* empty */
	QS_REPORT_DRAIN = 6, /* empty */
	QS_REPORT_SNAPSHOT_PART = 7, /* snapshot id u32, part u16, flags u8, pad u8 */
	QS_REPORT_SNAPSHOT_CID = 8, /* handle u64, CID */
};

#define QS_REPORT_SNAPSHOT_FINAL 0x01 /* last part of the snapshot */

/*
 * Why a datagram is refused. The codec returns the first group; the agent
 * counts its own refusals (after the codec accepted) with the second, so one
 * array of counters indexed by this enum covers all report intake.
 */
enum qs_report_reason {
	QS_REPORT_OK = 0,
	QS_REPORT_E_BAD_MAGIC,
	QS_REPORT_E_BAD_VERSION,
	QS_REPORT_E_TRUNCATED, /* datagram or record cut short */
	QS_REPORT_E_OVERSIZE, /* longer than QS_REPORT_MAX_DGRAM */
	QS_REPORT_E_BAD_HEADER, /* reserved field set; backend id, incarnation or timestamp 0 */
	QS_REPORT_E_TOO_MANY_RECORDS,
	QS_REPORT_E_UNKNOWN_RECORD, /* type 0 or not in enum qs_report_type */
	QS_REPORT_E_BAD_LENGTH, /* record length impossible for its type */
	QS_REPORT_E_CID_TOO_LONG,
	QS_REPORT_E_BAD_FAMILY,
	QS_REPORT_E_NONZERO_PAD, /* pad byte or unused address byte set */
	QS_REPORT_E_NO_VIP, /* VIP-bound record in a datagram without a VIP */
	QS_REPORT_E_BAD_SNAPSHOT, /* snapshot CIDs without exactly one part, bad flags */
	QS_REPORT_E_TRAILING, /* bytes between the last record and the MAC */
	QS_REPORT_E_BAD_MAC,
	QS_REPORT_E_MAC_ERROR, /* libcrypto failed: not the sender's fault */
	/* Agent-level refusals; the codec never returns these. */
	QS_REPORT_E_UNKNOWN_BACKEND,
	QS_REPORT_E_UNKNOWN_VIP,
	QS_REPORT_E_REPLAY, /* sequence not newer within the incarnation */
	QS_REPORT_E_STALE_INCARNATION, /* older than the live one, or already replaced */
	QS_REPORT_E_STALE_TIMESTAMP, /* sent longer ago than the agent's window */
	QS_REPORT_E_FUTURE_TIMESTAMP, /* sent later than the agent's clock and window */
	QS_REPORT_E_V1_REFUSED, /* version 1, which the agent is not configured to take */
	QS_REPORT_E_V1_DOWNGRADE, /* version 1 from a backend that has spoken version 2 */
	QS_REPORT_NR_REASONS,
};

/* Short snake_case name ("bad_mac"), for logs and metric labels. */
const char *qs_report_reason_name(int reason);

/* An address and UDP port; same shape as struct qs_vip_key. */
struct qs_report_endpoint {
	struct qs_addr addr; /* IPv4 in addr[0], addr[1..3] zero */
	__be16 port;
	__u8 family; /* enum qs_family */
	__u8 pad;
};

struct qs_report_header {
	/*
	 * Never 0. Version 2: when the backend process started, wall clock
	 * (CLOCK_REALTIME) in nanoseconds since the Unix epoch, so that a
	 * later incarnation compares greater. Version 1: random.
	 */
	__u64 incarnation;
	__u64 sequence; /* strictly increasing within the incarnation */
	/*
	 * Version 2: when the datagram was sent, wall clock in nanoseconds
	 * since the Unix epoch, never 0; the agent refuses it outside its
	 * window around its own clock. Version 1: 0 (not on the wire).
	 */
	__u64 timestamp;
	__u32 backend_id; /* as configured at the agent, never 0 */
	/* The VIP every VIP-bound record is about; family QS_AF_NONE: none. */
	struct qs_report_endpoint vip;
	/*
	 * QS_REPORT_VERSION or QS_REPORT_V1, as decoded; to the encoder, 0
	 * means QS_REPORT_VERSION.
	 */
	__u8 version;
	__u8 pad[7]; /* zero */
};

struct qs_report_cid {
	__u8 len; /* 0..QS_CID_MAX_LEN */
	__u8 bytes[QS_CID_MAX_LEN];
};

/* One decoded record; the member named after the type is valid. */
struct qs_report_record {
	__u8 type; /* enum qs_report_type */
	union {
		struct {
			__u64 handle;
			struct qs_report_cid cid;
		} cid_issued; /* also QS_REPORT_SNAPSHOT_CID */
		struct {
			struct qs_report_cid cid;
		} cid_retired;
		struct {
			__u64 handle;
			struct qs_report_endpoint client;
		} handshake;
		struct {
			__u64 handle;
		} closed;
		struct {
			__u32 snapshot_id;
			__u16 part; /* 0 first */
			__u8 flags; /* QS_REPORT_SNAPSHOT_FINAL */
		} snapshot;
	};
};

/*
 * Encoder over a caller's buffer. Fields are private; they are here so the
 * encoder can live on the stack or inside another struct.
 */
struct qs_report_encoder {
	__u8 *buf;
	size_t cap; /* min(buffer size, QS_REPORT_MAX_DGRAM) */
	size_t len; /* header and records so far */
	__u16 nrecords; /* at most the version's maximum, which its length implies */
	__u8 vip_bound; /* a VIP-bound record may be added */
	__u8 has_part; /* a SNAPSHOT_PART was added */
	__u8 has_snapshot_cid;
};

/*
 * Starts a datagram in buf[size], of hdr->version. -EINVAL: a header field
 * the decoder would refuse (backend id 0, incarnation 0, timestamp 0 in
 * version 2 or set in version 1, bad VIP family or padding, an unknown
 * version); -ENOSPC: size below the version's header and MAC.
 */
int qs_report_encoder_init(struct qs_report_encoder *enc, void *buf, size_t size,
			   const struct qs_report_header *hdr);

/*
 * Appends one record. -ENOSPC: it does not fit in front of the MAC (finish
 * and send this datagram, start the next one, add the record again);
 * -EINVAL: a record the decoder would refuse (unknown type, CID longer than
 * 20 bytes, bad family or padding, VIP-bound record without a VIP, a second
 * SNAPSHOT_PART). On error the encoder is unchanged.
 */
int qs_report_add(struct qs_report_encoder *enc, const struct qs_report_record *rec);

/* Shorthands for qs_report_add. */
int qs_report_add_cid_issued(struct qs_report_encoder *enc, __u64 handle, const void *cid,
			     size_t cid_len);
int qs_report_add_cid_retired(struct qs_report_encoder *enc, const void *cid, size_t cid_len);
int qs_report_add_handshake(struct qs_report_encoder *enc, __u64 handle,
			    const struct qs_report_endpoint *client);
int qs_report_add_closed(struct qs_report_encoder *enc, __u64 handle);
int qs_report_add_heartbeat(struct qs_report_encoder *enc);
int qs_report_add_drain(struct qs_report_encoder *enc);
int qs_report_add_snapshot_part(struct qs_report_encoder *enc, __u32 snapshot_id, __u16 part,
				__u8 flags);
int qs_report_add_snapshot_cid(struct qs_report_encoder *enc, __u64 handle, const void *cid,
			       size_t cid_len);

/* Bytes a record takes on the wire (header included); -EINVAL if invalid. */
int qs_report_record_size(const struct qs_report_record *rec);

/*
 * Writes the record count and appends the MAC over every byte before it.
 * Returns the datagram's length (> 0), or -EINVAL (snapshot CIDs without a
 * SNAPSHOT_PART), -EIO (libcrypto failed). The encoder is spent either way:
 * init it again for the next datagram.
 */
int qs_report_finish(struct qs_report_encoder *enc, const __u8 key[QS_REPORT_KEY_LEN]);

/* Iterates the records of a verified datagram; fields but hdr are private. */
struct qs_report_reader {
	const __u8 *buf;
	size_t end; /* offset of the MAC */
	size_t off; /* next record */
	__u16 nrecords;
	__u16 next; /* index of the next record */
	struct qs_report_header hdr;
};

/*
 * Checks everything but the MAC: the header and every record, of either
 * version. Returns QS_REPORT_OK and fills *hdr (may be NULL; hdr->version
 * says which), or a refusal reason. The header is not authenticated yet:
 * use it only to find the backend's key. Whether a version-1 datagram, or
 * a timestamp, is acceptable is the agent's decision, not the codec's.
 */
int qs_report_check(const void *buf, size_t len, struct qs_report_header *hdr);

/*
 * qs_report_check, then the MAC with the backend's key (compared in
 * constant time). Returns QS_REPORT_OK with *rd ready for qs_report_next
 * and rd->hdr filled, or a refusal reason with *rd empty: nothing of a
 * refused datagram is ever handed out. The agent's own checks (backend,
 * VIP, replay, incarnation) come after this, on rd->hdr.
 */
int qs_report_verify(struct qs_report_reader *rd, const void *buf, size_t len,
		     const __u8 key[QS_REPORT_KEY_LEN]);

/* Next record of a verified datagram: 1 with *rec filled, 0 at the end. */
int qs_report_next(struct qs_report_reader *rd, struct qs_report_record *rec);

/*
 * Reads a key file, what the agent's key-file and a backend's reporter
 * share: the 32-byte key as 64 hex digits (either case), optionally
 * followed by a line end (LF or CR LF). Returns 0, -EINVAL for any other
 * content, or what opening or reading the file failed with.
 *
 * It opens whatever path names, as the caller may: it checks neither the
 * kind of file (a FIFO blocks the open until someone writes into it) nor
 * its owner or mode, which are the caller's policy. A server that wants
 * one opens the file itself, checks it with fstat and reads it with
 * qs_report_key_read_fd; quicsteerd and qs-h3server take only a regular
 * file owned by root or by their own user that group and others cannot
 * read or change (docs/quicsteerd.8).
 */
int qs_report_key_read(const char *path, __u8 key[QS_REPORT_KEY_LEN]);

/*
 * The same from a descriptor open for reading, from where it stands; it
 * is neither closed nor checked. Since libquicsteer 0.2.
 */
int qs_report_key_read_fd(int fd, __u8 key[QS_REPORT_KEY_LEN]);

/*
 * Any key file of that form: key_len (1..QS_KEY_MAX_LEN) bytes as twice
 * as many hex digits, a line end allowed; a QUIC-LB configuration's
 * AES-128 key is 16 (QS_QUICLB_KEY_LEN). The same return values and the
 * same caveats. Since libquicsteer 0.3.
 */
#define QS_KEY_MAX_LEN 32
int qs_key_read_fd(int fd, void *key, size_t key_len);

#endif /* QUICSTEER_REPORT_H */
