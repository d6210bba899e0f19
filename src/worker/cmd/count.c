/* src/worker/cmd/count.c -- (being written) */
