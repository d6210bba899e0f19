/* src/worker/cmd/database.c -- (being written) */
