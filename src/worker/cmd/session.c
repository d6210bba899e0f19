/* src/worker/cmd/session.c -- (being written) */
