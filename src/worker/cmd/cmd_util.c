/* src/worker/cmd/cmd_util.c -- (being written) */
