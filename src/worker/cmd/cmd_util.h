/* src/worker/cmd/cmd_util.h -- (being written) */
#ifndef SRC_WORKER_CMD_CMD_UTIL_H
#define SRC_WORKER_CMD_CMD_UTIL_H
#endif
