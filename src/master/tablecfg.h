/*
 * src/master/tablecfg.h -- the WiredTiger configuration of collection and index tables.
 *
 * create's storageEngine: {wiredTiger: {configString}} and indexOptionDefaults:
 * {storageEngine: ...}, and an index spec's storageEngine, reach WiredTiger here as mongod's
 * WiredTiger record store and index pass them: the client's string first, then ours, so the
 * key and value formats the master relies on always win (WiredTiger keeps the last value of a
 * repeated key).  The worker has checked the documents' shape (src/worker/engine/tablecfg.c);
 * the strings themselves are validated by WiredTiger (wiredtiger_config_validate) before
 * anything is created, with mongod's codes and wording.
 *
 * Contract: any master thread; nothing kept between calls; a string returned by
 * ms_tablecfg_*_new belongs to the caller (bson_free).
 */
#ifndef MS_TABLECFG_H
#define MS_TABLECFG_H

#include "../common/errors.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <wiredtiger.h>

/* ms_tablecfg_check -- validate doc's <path>.wiredTiger.configString (path names a
 * storageEngine document, e.g. "storageEngine" or "indexOptionDefaults.storageEngine");
 * nothing there is fine.  BadValue "22: Invalid argument. <WiredTiger's words>." for a string
 * WiredTiger refuses, 6627201 for type=lsm, as mongod 7.0. */
int ms_tablecfg_check(const bson_t *doc, const char *path, sdb_error_t *err);

/* ms_tablecfg_create_coll -- create a collection's table (key_format=q,value_format=u) with
 * its options' storageEngine configString first (options may be NULL). */
int ms_tablecfg_create_coll(WT_SESSION *s, const char *uri, const bson_t *options,
                            sdb_error_t *err);

/* ms_tablecfg_create_index -- create an index's table (key_format=u,value_format=u) with the
 * collection's indexOptionDefaults, then the spec's own storageEngine configString first.
 *
 * Both: when WiredTiger refuses a configuration that carries a client's configString (an
 * unknown block_compressor, say), the client's error: BadValue "22: Invalid argument" as
 * mongod's wtRCToStatus; other failures are logged and returned as they are. */
int ms_tablecfg_create_index(WT_SESSION *s, const char *uri, const bson_t *coll_options,
                             const bson_t *spec, sdb_error_t *err);

#endif
