/* src/worker/cmd/diag.c -- (being written) */
