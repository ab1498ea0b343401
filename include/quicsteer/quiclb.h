/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * QUIC-LB connection IDs (draft-ietf-quic-load-balancers-21): the codec
 * that backends generate routable IDs with and that the balancer's agent,
 * its command and the tests decode them with. docs/quic-lb.md describes
 * the formats byte by byte and the draft's misprints this code does not
 * follow.
 *
 * An ID is a first octet, then a plaintext block of server ID and nonce,
 * encrypted or not:
 *
 *	octet 0:  config_id << 5 | (ID length - 1, or 5 random bits)
 *	then:     server_id (1..15 bytes) || nonce (4..18), 19 bytes at most
 *
 *	plaintext:  the block as it is.
 *	aes-single: server ID + nonce exactly 16 bytes, one AES-128-ECB block.
 *	aes-four-pass: any other length, the draft's four-round Feistel
 *	            network with AES-128-ECB as its round function.
 *
 * A codec is one configuration (one value of the three config rotation
 * bits): it encodes a server ID and a nonce into an ID and decodes an ID
 * back. A generator is a codec bound to one server ID and one worker that
 * makes IDs with nonces of its own, never the same twice (see
 * qs_quiclb_gen_new).
 *
 * Threads: a codec or generator keeps libcrypto contexts that its calls
 * use, so it belongs to one thread at a time; make one per thread (they
 * are cheap: two AES key schedules). Different codecs, also of one
 * configuration, may be used at once from different threads. Encoding,
 * decoding and generating allocate nothing; only _new does.
 *
 * Keys: the codec keeps the key only as libcrypto's key schedule, frees it
 * with the codec (libcrypto wipes it) and never writes it anywhere else;
 * the caller's copy stays the caller's to wipe.
 *
 * Conventions, as in the rest of libquicsteer: int results are >= 0 on
 * success and a negative errno on failure; _new returns NULL with errno.
 */
#ifndef QUICSTEER_QUICLB_CODEC_H
#define QUICSTEER_QUICLB_CODEC_H

#include <stddef.h>
#include <linux/types.h>
#include "quicsteer/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * How the plaintext block is protected. The numbers are the router's
 * (include/abi, enum qs_quiclb_mode), so a configuration's mode passes
 * through unchanged.
 */
enum qs_quiclb_cid_mode {
	QS_QUICLB_CID_PLAINTEXT = 1,
	QS_QUICLB_CID_AES_SINGLE = 2, /* server_id_len + nonce_len == 16 */
	QS_QUICLB_CID_AES_FOUR_PASS = 3, /* any other sum */
};

/* qs_quiclb_params.flags */
enum qs_quiclb_flags {
	/*
	 * The first octet's five low bits say the ID's length minus one
	 * (the draft's "length self-description"); without it they are random.
	 */
	QS_QUICLB_F_LEN_SELF = 1u << 0,
};

/* The shortest and longest QUIC-LB ID: first octet, server ID, nonce. */
#define QS_QUICLB_CID_MIN_LEN (1 + 1 + QS_QUICLB_NONCE_MIN)
#define QS_QUICLB_CID_MAX_LEN QS_CID_MAX_LEN

/*
 * A configuration, as the agents' "quic-lb" statement has it. Declare with
 * QS_QUICLB_PARAMS so that sz is set and every field not named is zero: a
 * program built against this header keeps working with a later library
 * whose struct has grown (bytes past the library's struct must be zero).
 */
struct qs_quiclb_params {
	size_t sz; /* sizeof(struct qs_quiclb_params) */
	unsigned int config_id; /* 0..6: the ID's config rotation bits (7 is unroutable) */
	unsigned int mode; /* enum qs_quiclb_cid_mode */
	unsigned int server_id_len; /* 1..QS_QUICLB_SID_MAX */
	unsigned int nonce_len; /* QS_QUICLB_NONCE_MIN..MAX; server_id_len + nonce_len <= 19 */
	unsigned int flags; /* enum qs_quiclb_flags */
	/* QS_QUICLB_KEY_LEN bytes for the AES modes, NULL for plaintext; read by _new only */
	const __u8 *key;
};

#define QS_QUICLB_PARAMS(name, ...) \
	struct qs_quiclb_params name = { .sz = sizeof(struct qs_quiclb_params), __VA_ARGS__ }

struct qs_quiclb_codec;

/*
 * Makes a codec. NULL with errno EINVAL when the parameters break a rule
 * of the draft: config_id over 6, a length out of range or a sum over 19,
 * aes-single whose lengths do not sum to 16 or aes-four-pass whose do, an
 * AES mode without a key or plaintext with one, an unknown mode or flag.
 * ENOMEM, or EIO if libcrypto refuses AES-128-ECB.
 */
struct qs_quiclb_codec *qs_quiclb_codec_new(const struct qs_quiclb_params *params);

/* Frees a codec and wipes its key schedule. NULL is fine. */
void qs_quiclb_codec_free(struct qs_quiclb_codec *codec);

/* The length of the codec's IDs: 1 + server_id_len + nonce_len. */
int qs_quiclb_codec_cid_len(const struct qs_quiclb_codec *codec);

/*
 * Encodes server_id (server_id_len bytes) and nonce (nonce_len bytes)
 * into cid, which holds qs_quiclb_codec_cid_len bytes (QS_CID_MAX_LEN
 * always suffices). The same inputs give the same ID, but for the first
 * octet's random bits when the length is not self-encoded. A server must
 * never use a nonce twice under one key (the draft, "Connection ID
 * Entropy"): a generator keeps that rule for it. Returns the ID's length,
 * -EINVAL for a NULL pointer, -EIO if libcrypto fails, or what getrandom
 * failed with (for the random bits).
 */
int qs_quiclb_encode(struct qs_quiclb_codec *codec, const void *server_id, const void *nonce,
		     void *cid);

/*
 * Decodes an ID of this codec's configuration: writes its server ID
 * (server_id_len bytes) to server_id and, if nonce is not NULL, its nonce
 * (nonce_len bytes) to nonce. Without a nonce to return, aes-four-pass
 * runs the passes 4, 3 and 2 only, and pass 1 too when the server ID is
 * longer than the nonce, as a load balancer does.
 *
 * cid_len may exceed the codec's length (the draft lets servers append
 * bytes; they are ignored); the first octet's low bits are not checked.
 * Any bytes of the right length decode to some server ID: whether it is
 * one of the configuration's is the caller's question.
 *
 * Returns server_id_len; -EINVAL for a NULL pointer or an ID shorter than
 * the codec's length; -ENOENT when the ID's config rotation bits are not
 * this codec's config_id (another configuration, or 7: unroutable);
 * -EIO if libcrypto fails.
 */
int qs_quiclb_decode(struct qs_quiclb_codec *codec, const void *cid, size_t cid_len,
		     void *server_id, void *nonce);

/*
 * The config rotation bits of an ID (0..7; 7 is the draft's unroutable
 * marker), that select the codec to decode it with; -EINVAL for an empty
 * or NULL ID.
 */
int qs_quiclb_cid_config(const void *cid, size_t cid_len);

struct qs_quiclb_gen;

/* Worker IDs have at most this many bits. */
#define QS_QUICLB_WORKER_BITS_MAX 16

/*
 * A generator: a codec bound to one of the server's IDs in that
 * configuration, for one worker (a thread or a process) of the server.
 *
 * Its nonces are numbers of nonce_len * 8 bits: worker_id in the top
 * worker_bits bits (0..16; worker_id < 2^worker_bits), and below them a
 * counter that starts at a random value and counts every ID made. That
 * number is then put through a permutation of nonce_len bytes (the same
 * four-pass construction, under a key of its own) so that nonces show no
 * sequence: the draft forbids linkable plaintext nonces, and unguessable
 * ones blunt the distinguishing attacks on four-pass. A permutation maps
 * distinct numbers to distinct nonces, hence:
 *
 * - Two generators with distinct worker IDs never make the same ID, in
 *   any mode, for any server ID. In the AES modes the permutation's key
 *   is derived from the configuration's key, so this holds across the
 *   server's processes too; in plaintext mode it is drawn at random once
 *   per process (processes forked after that share it), and generators
 *   of different processes make the same ID only as often as random
 *   nonces would. Give every live generator of one server ID and
 *   configuration its own worker_id: two with the same worker_id count
 *   in one space and can meet.
 * - A generator never repeats a nonce until it has made 2^(nonce_len * 8
 *   - worker_bits) IDs (at least 65536: a 4-byte nonce and 16 worker
 *   bits; beyond 2^64 the count is taken as 2^64 - 1). Then it is
 *   exhausted: qs_quiclb_gen_next returns -ENOSPC for good, and the
 *   server must switch to another configuration or, having none, to
 *   unroutable IDs (config rotation bits 0b111, see qs_cid_random), as
 *   the draft requires. qs_quiclb_gen_left says how far away that is, so
 *   the operator can be told in time.
 *
 * params as for qs_quiclb_codec_new; server_id is server_id_len bytes.
 * Returns NULL with errno: EINVAL (parameters, or worker_id and
 * worker_bits), ENOMEM, EIO; or what getrandom failed with.
 */
struct qs_quiclb_gen *qs_quiclb_gen_new(const struct qs_quiclb_params *params,
					const void *server_id, unsigned int worker_id,
					unsigned int worker_bits);

/*
 * Makes the next ID into cid (qs_quiclb_gen_cid_len bytes; QS_CID_MAX_LEN
 * always suffices). Returns its length, -ENOSPC when the generator is
 * exhausted, -EIO if libcrypto fails, or what getrandom failed with.
 */
int qs_quiclb_gen_next(struct qs_quiclb_gen *gen, void *cid);

/* The length of the generator's IDs. */
int qs_quiclb_gen_cid_len(const struct qs_quiclb_gen *gen);

/* How many more IDs the generator can make (UINT64_MAX: at least that many). */
__u64 qs_quiclb_gen_left(const struct qs_quiclb_gen *gen);

/* Frees a generator and wipes its keys and server ID. NULL is fine. */
void qs_quiclb_gen_free(struct qs_quiclb_gen *gen);

#ifdef __cplusplus
}
#endif

#endif /* QUICSTEER_QUICLB_CODEC_H */
