/* src/worker/cmd/insert.c -- (being written) */
