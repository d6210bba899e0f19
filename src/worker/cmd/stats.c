/* src/worker/cmd/stats.c -- (being written) */
