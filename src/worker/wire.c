/* src/worker/wire.c -- (being written) */
