/* src/worker/conn.c -- (being written) */
