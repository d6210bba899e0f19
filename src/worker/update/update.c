/* src/worker/update/update.c -- (being written) */
