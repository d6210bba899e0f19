/*
 * src/common/config_yaml.h -- mongod's YAML configuration file (--config / -f).
 *
 * One table maps each YAML key (net.port) to the long option of config.c's table (--port) that
 * it sets, so a key and its flag cannot drift: the file's values go through the same parsing
 * and checks as the flags', then the command line is applied on top (a flag overrides the
 * file).  The same table gives getCmdLineOpts its nested `parsed` document.  Called at
 * start-up on the main thread (both the master and each worker, which re-read the file named
 * in their argv), and by getCmdLineOpts on a worker's event loop.
 */
#ifndef SDB_CONFIG_YAML_H
#define SDB_CONFIG_YAML_H

#include "config.h"

#include <bson/bson.h>

/* sdb_config_yaml_load -- read the YAML file `path` into *cfg (its text kept in
 * cfg->config_text), or, with `text` (a worker: the master's copy), that text in its place.
 * 0, or 2 after printing the offending key and its line (an unknown key, a wrong type or
 * value, malformed YAML, an expansion directive), as mongod refuses its file. */
int sdb_config_yaml_load(sdb_config_t *cfg, const char *path, const char *text);

/* sdb_config_yaml_parsed -- append to `parsed` every option given (by flag or file) at its
 * YAML path, nested as mongod's getCmdLineOpts shows them ({config, net: {bindIp, port},
 * storage: {dbPath}, setParameter: {...}, ...}), keys in mongod's (sorted) order. */
void sdb_config_yaml_parsed(const sdb_config_t *cfg, bson_t *parsed);

#endif
