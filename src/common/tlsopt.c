/*
 * src/common/tlsopt.c -- parse and check the TLS options with mongod's names and messages.
 *
 * The values are small tables (modes, protocol names); the checks are mongod's start-up rules
 * in its order, each printing mongod's BadValue text and returning 2 (fatal config error).
 * Called by config.c on the main thread at start-up, in the master and in every worker.
 */
#include "tlsopt.h"

#include <stdio.h>
#include <string.h>

static const char *const modes[] = {"disabled", "allowTLS", "preferTLS", "requireTLS"};

static const struct {
    const char *name;
    uint32_t bit;
} protos[] = {
    {"TLS1_0", SDB_TLS_PROTO_1_0},
    {"TLS1_1", SDB_TLS_PROTO_1_1},
    {"TLS1_2", SDB_TLS_PROTO_1_2},
    {"TLS1_3", SDB_TLS_PROTO_1_3},
};

static int
bad_value(const char *msg, const char *what)
{
    fprintf(stderr, "BadValue: %s%s\ntry 'secantusdb --help' for more information\n", msg, what);
    return 2;
}

/*
 * sdb_tlsopt_mode_name --
 *     The name of a --tlsMode value.
 */
const char *
sdb_tlsopt_mode_name(int mode)
{
    return mode >= 0 && mode < (int)(sizeof(modes) / sizeof(modes[0])) ? modes[mode] : "disabled";
}

/*
 * sdb_tlsopt_protocols_append --
 *     A protocol bit set as its --tlsDisabledProtocols text ("TLS1_0,TLS1_1" or "none").
 */
void
sdb_tlsopt_protocols_append(uint32_t mask, const char *key, bson_t *out)
{
    char list[64] = "";
    unsigned i;

    for (i = 0; i < 4; i++)
        if (mask & (1u << i))
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%sTLS1_%u",
                     list[0] != '\0' ? "," : "", i);
    BSON_APPEND_UTF8(out, key, list[0] != '\0' ? list : "none");
}

/* A comma-separated list of protocol names, or "none", into a bit set. */
static int
parse_protocols(const char *val, uint32_t *out)
{
    char tok[32], msg[96];
    const char *p = val, *comma;
    size_t n, k;

    *out = 0;
    if (strcmp(val, "none") == 0)
        return 0;
    for (;;) {
        comma = strchr(p, ',');
        n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        snprintf(tok, sizeof(tok), "%.*s", (int)(n < sizeof(tok) ? n : sizeof(tok) - 1), p);
        for (k = 0; k < sizeof(protos) / sizeof(protos[0]); k++)
            if (strcmp(protos[k].name, tok) == 0)
                break;
        if (k == sizeof(protos) / sizeof(protos[0])) {
            snprintf(msg, sizeof(msg), "Unrecognized disabledProtocols '%s'", tok);
            return bad_value(msg, "");
        }
        *out |= protos[k].bit;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

/*
 * sdb_tlsopt_parse --
 *     Parse --tlsMode or --tlsDisabledProtocols.
 */
int
sdb_tlsopt_parse(sdb_config_t *cfg, const char *name, const char *val)
{
    size_t i;

    if (strcmp(name, "tlsDisabledProtocols") == 0)
        return parse_protocols(val, &cfg->tls_disabled_protocols);
    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(modes[i], val) == 0) {
            cfg->tls_mode = (int)i;
            return 0;
        }
    return bad_value("unsupported value for tlsMode ", val);
}

/*
 * sdb_tlsopt_check --
 *     mongod's start-up rules for the TLS options.
 */
int
sdb_tlsopt_check(const sdb_config_t *cfg)
{
    if (cfg->tls_mode != SDB_TLS_MODE_DISABLED) {
        if (cfg->tls_cert_key_file[0] == '\0')
            return bad_value("need tlsCertificateKeyFile or certificateSelector when TLS is "
                             "enabled",
                             "");
        if (cfg->tls_crl_file[0] != '\0' && cfg->tls_ca_file[0] == '\0')
            return bad_value("need tlsCAFile with tlsCRLFile", "");
        return 0;
    }
    if (cfg->tls_cert_key_file[0] != '\0' || cfg->tls_cert_key_password[0] != '\0' ||
        cfg->tls_ca_file[0] != '\0' || cfg->tls_crl_file[0] != '\0' ||
        sdb_config_given(cfg, "tlsDisabledProtocols") || cfg->tls_allow_no_cert)
        return bad_value("need to enable TLS via the sslMode/tlsMode flag when using TLS "
                         "configuration parameters",
                         "");
    return 0;
}
